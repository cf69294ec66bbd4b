// Server-sent events through the real gateway binary, unbuffered: the upstream sends an event, then
// waits until the test's client has received it before it sends the next. A gateway that held
// anything back would never deliver the event the upstream is waiting on (the test would stop at
// its timeout); no timing is measured. The response headers reach the client before the first
// event, and a route with a body-rewriting plugin (response-transformer) does not buffer a stream.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { startUpstream, type Upstream } from './harness/upstream.ts';
import { spawnGateway, service, type GatewayProcess } from './harness/gateway.ts';

const EVENTS = 5;

/** Per stream: resolves `received[i]` when the client got event i. */
class Handshake {
  private readonly waiters = new Map<number, () => void>();
  private readonly got = new Set<number>();
  received(i: number): void {
    this.got.add(i);
    this.waiters.get(i)?.();
  }
  receivedBy(i: number): Promise<void> {
    if (this.got.has(i)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(i, resolve));
  }
}

const streams = new Map<string, Handshake>();
let up: Upstream;
let gw: GatewayProcess;

before(async () => {
  up = await startUpstream((req, res) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
    const hs = streams.get(id)!;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // Headers first, then the first event only once the client has the headers (event -1).
    res.flushHeaders();
    void (async () => {
      await hs.receivedBy(-1);
      for (let i = 0; i < EVENTS; i++) {
        res.write(`id: ${i}\ndata: {"n":${i}}\n\n`);
        await hs.receivedBy(i);
      }
      res.end();
    })();
  });
  gw = await spawnGateway({
    services: [service('events', [up.url])],
    routes: [
      { name: 'plain', service: 'events', paths: ['/plain'], strip_path: true },
      { name: 'transformed', service: 'events', paths: ['/transformed'], strip_path: true, plugins: [{ name: 'response-transformer', config: { add: { json: { extra: true } } } }] },
    ],
  });
});

after(async () => {
  await gw.stop();
  await up.close();
});

/** Reads the stream, parsing events as they arrive and telling the upstream about each. */
function readEvents(path: string, hs: Handshake): Promise<{ res: IncomingMessage; events: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gw.url}${path}`, { headers: { accept: 'text/event-stream' } }, (res) => {
      hs.received(-1);
      const events: string[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf('\n\n')) !== -1) {
          const event = buf.slice(0, end);
          buf = buf.slice(end + 2);
          events.push(event);
          const id = /^id: (\d+)$/m.exec(event);
          if (id) hs.received(Number(id[1]));
        }
      });
      res.on('end', () => resolve({ res, events }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

for (const route of ['plain', 'transformed']) {
  test(`SSE through a ${route} route: each event reaches the client before the next is sent`, { timeout: 30_000 }, async () => {
    const id = `${route}-${Math.random()}`;
    const hs = new Handshake();
    streams.set(id, hs);
    const { res, events } = await readEvents(`/${route}/stream?id=${id}`, hs);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    assert.deepEqual(events, Array.from({ length: EVENTS }, (_, i) => `id: ${i}\ndata: {"n":${i}}`));
  });
}
