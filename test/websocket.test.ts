// WebSocket proxying through the real gateway to a real ws upstream: the handshake is authorised
// like any request (key-auth: 401 without a key, 101 with one), Origin allow-list, subprotocol and
// forwarding headers, relaying both ways (text stays text, binary stays binary) for 300 connections
// at once, the route's limits (message size 1009, message rate 1008, idle 1001, dead peers),
// close codes in both directions, and upstream failures answered as HTTP problems.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { checkConfig } from '../src/core/config/load.ts';
import type { GatewayConfig } from '../src/core/snapshot/compile.ts';
import { Gateway } from '../src/gateway/gateway.ts';
import { BUNDLED_CATALOG } from '../src/plugins/index.ts';
import { createLogger } from '../src/telemetry/logger.ts';
import { registry } from '../src/telemetry/metrics.ts';
import { refusedPort, startUpstream, type Upstream } from './harness/upstream.ts';
import { waitFor } from './harness/gateway.ts';
import { connectWs, refused, startWsUpstream, type WsUpstream } from './harness/websocket.ts';

const KEY = `wskey-${randomBytes(12).toString('hex')}`;
const APP = 'https://app.example.com';

let up: WsUpstream;
let plain: Upstream;
/** Accepts connections and never answers (a hung upstream). */
let hung: TcpServer;
const hungSockets = new Set<Socket>();
let gateway: Gateway;
let base: string;
let http: string;

function route(name: string, paths: string[], websocket: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) {
  return { name, service: extra.service ?? 'ws', paths, strip_path: true, ...(websocket ? { websocket } : {}), ...extra };
}

before(async () => {
  up = await startWsUpstream();
  plain = await startUpstream();
  const down = await refusedPort();
  hung = createTcpServer((s) => { hungSockets.add(s); s.on('error', () => undefined); });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  const hungPort = (hung.address() as import('node:net').AddressInfo).port;
  const config = checkConfig({
    gateway: { access_log: false },
    consumers: [{ name: 'shop' }],
    services: [
      { name: 'ws', targets: [{ url: up.url }], retries: 0 },
      { name: 'plain', targets: [{ url: plain.url }] },
      { name: 'down', targets: [{ url: `http://127.0.0.1:${down}` }], retries: 1, connect_timeout_ms: 2000 },
      { name: 'half-down', targets: [{ url: `http://127.0.0.1:${down}` }, { url: up.url }], retries: 1, load_balancing: { algorithm: 'round-robin' } },
      { name: 'hung', targets: [{ url: `http://127.0.0.1:${hungPort}` }], retries: 0, connect_timeout_ms: 200, read_timeout_ms: 300 },
    ],
    routes: [
      route('auth', ['/auth'], {}, { plugins: [{ name: 'key-auth' }] }),
      route('open', ['/open'], {}),
      route('origins', ['/origins'], { origins: [APP, 'https://*.partner.example'] }),
      route('small', ['/small'], { max_message_bytes: 1024 }),
      route('rate', ['/rate'], { max_messages_per_second: 5 }),
      route('idle', ['/idle'], { idle_timeout_ms: 400, ping_interval_ms: 0 }),
      route('ping', ['/ping'], { ping_interval_ms: 200 }),
      route('not-ws', ['/not-ws'], undefined),
      route('refuses', ['/refuses'], {}, { service: 'plain' }),
      route('down', ['/down'], {}, { service: 'down' }),
      route('hung', ['/hung'], {}, { service: 'hung' }),
      route('half-down', ['/half-down'], {}, { service: 'half-down' }),
      route('limited', ['/limited'], {}, { plugins: [{ name: 'rate-limiting', config: { limits: [{ window: 'hour', limit: 2 }] } }] }),
    ],
  });
  const lookup = createHash('sha256').update(KEY).digest('hex');
  const withKey: GatewayConfig = { ...config, credentials: [{ id: 'cred-1', consumer: 'shop', type: 'key-auth', lookup, secret_hash: null, expires_at: null, revoked_at: null }] };
  gateway = new Gateway(withKey, {
    logger: createLogger({ pretty: false, level: 'silent' }),
    catalog: BUNDLED_CATALOG,
  });
  const addr = await gateway.listen(0, '127.0.0.1');
  base = `ws://127.0.0.1:${addr.port}`;
  http = `http://127.0.0.1:${addr.port}`;
});

after(async () => {
  await gateway.drain(2000);
  await up.close();
  await plain.close();
  for (const s of hungSockets) s.destroy();
  hung.close();
});

test('handshake without a key: 401 problem, no upgrade, nothing reaches the upstream', async () => {
  const seenBefore = up.closes.length + up.open();
  const r = await refused(`${base}/auth/echo`);
  assert.equal(r.status, 401);
  assert.match(String(r.headers['content-type']), /application\/problem\+json/);
  assert.equal(r.problem.status, 401);
  assert.equal(up.closes.length + up.open(), seenBefore);
});

test('handshake with a key: 101, forwarding headers upstream, key hidden, request id on both sides', async () => {
  const c = await connectWs(`${base}/auth/headers?x=1`, { headers: { apikey: KEY } });
  const seen = JSON.parse(String(await c.next())) as Record<string, string>;
  assert.equal(seen.apikey, undefined, 'the key does not go upstream');
  assert.equal(seen['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen['x-forwarded-prefix'], '/auth');
  assert.match(seen['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(c.upgradeHeaders['x-request-id'], seen['x-request-id'], 'the same request id on the 101');
  assert.match(seen['x-consumer-username'] ?? seen['x-consumer-id'] ?? '', /.+/, 'the consumer is identified to the upstream');
  c.ws.send('hello');
  assert.equal(await c.next(), 'hello');
  c.ws.close(1000);
  assert.equal((await c.closed).code, 1000);
});

test('subprotocols: the client offers several, gets the one the upstream chose', async () => {
  const c = await connectWs(`${base}/open/echo`, { protocols: ['v1', 'v2'] });
  assert.equal(c.ws.protocol, 'v2');
  c.ws.close();
  const none = await connectWs(`${base}/open/echo`);
  assert.equal(none.ws.protocol, '', 'none offered: none chosen');
  none.ws.close();
  // Known limit (docs/websocket.md): an upstream that picks none of the offered ones is refused.
  const ignored = await refused(`${base}/open/echo`, { protocols: ['v1'] });
  assert.equal(ignored.status, 502);
});

test('text stays text, binary stays binary, payloads byte for byte', async () => {
  const c = await connectWs(`${base}/open/echo`);
  const bin = randomBytes(70_000);
  c.ws.send('héllo ✓');
  c.ws.send(bin);
  c.ws.send('');
  assert.equal(await c.next(), 'héllo ✓');
  const echoed = await c.next();
  assert.ok(Buffer.isBuffer(echoed));
  assert.ok(bin.equals(echoed));
  assert.equal(await c.next(), '');
  c.ws.close();
});

test('Origin allow-list: listed and wildcard origins connect, others and none get 403 websocket-origin-forbidden', async () => {
  const ok = await connectWs(`${base}/origins/echo`, { origin: APP });
  ok.ws.close();
  const sub = await connectWs(`${base}/origins/echo`, { origin: 'https://eu.partner.example' });
  sub.ws.close();
  for (const origin of ['https://evil.example', 'https://partner.example.evil.com', 'http://app.example.com', undefined]) {
    const r = await refused(`${base}/origins/echo`, origin === undefined ? {} : { origin });
    assert.equal(r.status, 403, String(origin));
    assert.equal(r.problem.type, 'https://portcullis.dev/problems/websocket-origin-forbidden');
  }
});

test('a message over max_message_bytes closes with 1009 on both sides', async () => {
  const c = await connectWs(`${base}/small/echo?id=size-client`);
  c.ws.send('x'.repeat(1000));
  assert.equal(String(await c.next()).length, 1000);
  const upstreamClosed = up.closeOf('?id=size-client');
  c.ws.send('y'.repeat(2000));
  assert.equal((await c.closed).code, 1009);
  assert.equal((await upstreamClosed).code, 1009);
});

test('an upstream message over max_message_bytes: the client gets 1009 too', async () => {
  const c = await connectWs(`${base}/small/big?bytes=2000`);
  const upstreamClosed = up.closeOf('?bytes=2000');
  c.ws.send('send me something big');
  assert.equal((await c.closed).code, 1009);
  assert.equal((await upstreamClosed).code, 1009);
  assert.equal(c.messages.length, 0);
});

test('more messages per second than max_messages_per_second closes with 1008', async () => {
  const c = await connectWs(`${base}/rate/echo?id=rate`);
  const upstreamClosed = up.closeOf('?id=rate');
  for (let i = 0; i < 50; i++) c.ws.send(`m${i}`);
  const closed = await c.closed;
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /rate/);
  assert.equal((await upstreamClosed).code, 1008);
  assert.ok(c.messages.length <= 5, `at most 5 messages relayed, got ${c.messages.length}`);
});

test('idle connections are closed with 1001 on both sides', async () => {
  const c = await connectWs(`${base}/idle/echo?id=idle`);
  const upstreamClosed = up.closeOf('?id=idle');
  const closed = await c.closed;
  assert.equal(closed.code, 1001);
  assert.equal(closed.reason, 'idle timeout');
  assert.equal((await upstreamClosed).code, 1001);
});

test('keep-alive: a client that stops answering pings is dropped, the upstream is told it went away', async () => {
  // A dead peer, as the gateway sees one: it answers no ping.
  const c = await connectWs(`${base}/ping/echo?id=dead`, { autoPong: false });
  // This client answers pings (ws does by default): it stays.
  const live = await connectWs(`${base}/ping/echo`);
  const upstreamClosed = up.closeOf('?id=dead');
  const closed = await upstreamClosed;
  assert.equal(closed.code, 1001);
  assert.equal((await c.closed).code, 1006, 'the dead peer was dropped without a close handshake');
  live.ws.send('still here');
  assert.equal(await live.next(), 'still here');
  live.ws.close();
});

test('backpressure: a client that stops reading makes the gateway stop reading the upstream; nothing is lost', { timeout: 120_000 }, async () => {
  const LIMIT = 96 * 1024 * 1024;
  const c = await connectWs(`${base}/open/flood?limit=${LIMIT}`);
  c.ws.pause(); // the client reads nothing more: its TCP window closes
  c.ws.send('go');
  // A gateway that kept reading would take everything into its memory, and the upstream would
  // hand all of it to its socket; one that pushes back leaves the upstream stuck with data it
  // cannot write, once the kernel buffers of the two loopback hops (some MiB) are full. Stuck:
  // nothing more written for a while with data still queued; a slow machine can only make this
  // wait longer, never make a gateway without backpressure pass.
  let lastSent = -1;
  let since = Date.now();
  await waitFor(() => {
    if (up.flood.sent !== lastSent) {
      lastSent = up.flood.sent;
      since = Date.now();
    }
    return up.flood.sent >= LIMIT || (up.flood.queued() > 0 && Date.now() - since >= 2000);
  }, 90_000, 'the upstream stalled or sent everything');
  assert.ok(up.flood.sent < LIMIT, `the upstream was held back (sent ${up.flood.sent} of ${LIMIT} bytes)`);
  let received = 0;
  c.ws.on('message', (m: Buffer) => { received += m.length; });
  for (const m of c.messages) received += (m as Buffer).length;
  c.ws.resume();
  await waitFor(() => received === LIMIT, 60_000, 'every byte arrived');
  c.ws.close();
});

test('close codes and reasons pass through in both directions', async () => {
  const a = await connectWs(`${base}/open/close?code=4001&reason=upstream-bye`);
  a.ws.send('please close');
  assert.deepEqual(await a.closed, { code: 4001, reason: 'upstream-bye' });

  const b = await connectWs(`${base}/open/echo?id=client-bye`);
  const upstreamClosed = up.closeOf('?id=client-bye');
  b.ws.close(4002, 'client-bye');
  assert.deepEqual(await upstreamClosed, { path: '/echo', code: 4002, reason: 'client-bye', query: '?id=client-bye' });
  assert.equal((await b.closed).code, 4002);
});

test('a client that vanishes without a close frame: the upstream gets 1001', async () => {
  const c = await connectWs(`${base}/open/echo?id=vanish`);
  const upstreamClosed = up.closeOf('?id=vanish');
  c.ws.terminate();
  assert.equal((await upstreamClosed).code, 1001);
});

test('an upstream that vanishes without a close frame: the client gets 1011', async () => {
  const c = await connectWs(`${base}/open/echo`);
  c.ws.send('x');
  await c.next();
  const newest = [...up.wss.clients].at(-1)!;
  newest.terminate();
  assert.equal((await c.closed).code, 1011);
});

test('upstream down: 502 problem after the retry, no upgrade', async () => {
  const r = await refused(`${base}/down/echo`);
  assert.equal(r.status, 502);
  assert.equal(r.problem.type, 'https://portcullis.dev/problems/upstream-unavailable');
  assert.doesNotMatch(JSON.stringify(r.problem), /127\.0\.0\.1/, 'no upstream address in the answer');
});

test('a target that refuses connections is retried on another: every handshake succeeds', async () => {
  for (let i = 0; i < 4; i++) {
    const c = await connectWs(`${base}/half-down/echo`);
    c.ws.send(`try ${i}`);
    assert.equal(await c.next(), `try ${i}`);
    c.ws.close();
  }
});

test('invalid UTF-8 in a text message closes with 1007 on both sides', async () => {
  const c = await connectWs(`${base}/open/echo?utf8`);
  c.ws.send(Buffer.from([0x68, 0xff, 0xfe]), { binary: false });
  assert.equal((await c.closed).code, 1007);
  assert.equal((await up.closeOf('?utf8')).code, 1007);
});

test('an open connection outlives a reload that removes its route; new handshakes follow the new config', async () => {
  const { startGateway } = await import('./harness/gateway.ts');
  const raw = (withRoute: boolean) => ({
    services: [{ name: 'ws', targets: [{ url: up.url }] }],
    routes: withRoute ? [{ name: 'live', service: 'ws', paths: ['/live'], strip_path: true, websocket: {} }] : [{ name: 'other', service: 'ws', paths: ['/other'] }],
  });
  const gw = await startGateway(raw(true), { healthChecks: false });
  try {
    const url = `${gw.url.replace('http:', 'ws:')}/live/echo`;
    const c = await connectWs(url);
    gw.apply(raw(false));
    c.ws.send('after reload');
    assert.equal(await c.next(), 'after reload');
    assert.equal((await refused(url)).status, 404);
    c.ws.close();
    await c.closed;
  } finally {
    await gw.close();
  }
});

test('an upstream that accepts the connection but never answers the handshake: 504', async () => {
  const r = await refused(`${base}/hung/echo`);
  assert.equal(r.status, 504);
  assert.equal(r.problem.type, 'https://portcullis.dev/problems/upstream-timeout');
});

test('rate-limiting counts connection attempts: the third handshake in the hour gets 429, open connections stay', async () => {
  const a = await connectWs(`${base}/limited/echo`);
  const b = await connectWs(`${base}/limited/echo`);
  assert.match(String(b.upgradeHeaders.ratelimit), /r=0/, 'the 101 carries the RateLimit field');
  const r = await refused(`${base}/limited/echo`);
  assert.equal(r.status, 429);
  assert.ok(r.headers['retry-after'], 'Retry-After on the refusal');
  a.ws.send('a');
  assert.equal(await a.next(), 'a');
  a.ws.close();
  b.ws.close();
});

test('an upstream that answers the handshake without upgrading: 502 upstream-bad-response', async () => {
  const r = await refused(`${base}/refuses/anything`);
  assert.equal(r.status, 502);
  assert.equal(r.problem.type, 'https://portcullis.dev/problems/upstream-bad-response');
});

test('plain requests on a WebSocket route are proxied as usual; a handshake on another route is a plain request', async () => {
  const res = await fetch(`${http}/open/anything`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'plain http');
  // The non-WebSocket route forwards the GET (without Upgrade) and the answer is not a 101.
  const r = await refused(`${base}/not-ws/x`);
  assert.equal(r.status, 200);
});

test('an Upgrade to anything but websocket (h2c) is still a plain HTTP request', async () => {
  const { rawRequest } = await import('./harness/raw-http.ts');
  const r = await rawRequest(Number(new URL(http).port), 'GET /open/h2c HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings, close\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n');
  assert.equal(r.status, 200);
  assert.match(r.text, /plain http/);
});

test('a malformed handshake is refused with 400 before anything else', async () => {
  const { rawRequest } = await import('./harness/raw-http.ts');
  const port = Number(new URL(http).port);
  const r = await rawRequest(port, 'GET /open/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n');
  assert.equal(r.status, 400);
  assert.ok(r.closed);
});

test('300 concurrent connections each relay their own messages', { timeout: 120_000 }, async () => {
  const N = 300;
  const clients = await Promise.all(Array.from({ length: N }, () => connectWs(`${base}/open/echo`)));
  await Promise.all(clients.map(async (c, i) => {
    c.ws.send(`text-${i}`);
    const bin = Buffer.alloc(16, i % 256);
    c.ws.send(bin);
    assert.equal(await c.next(), `text-${i}`);
    assert.ok(bin.equals(await c.next() as Buffer));
  }));
  for (const c of clients) c.ws.close(1000);
  await Promise.all(clients.map((c) => c.closed));
  await waitFor(() => up.open() === 0, 10_000, 'upstream connections closed');
});

test('metrics: open connections, messages and bytes by direction, closes by code', async () => {
  const text = (await registry.metrics()).split('\n').filter((l) => l.startsWith('portcullis_websocket_')).join('\n');
  assert.match(text, /portcullis_websocket_messages_total\{service="ws",route="open",direction="client_to_upstream"\} \d+/);
  assert.match(text, /portcullis_websocket_bytes_total\{service="ws",route="open",direction="upstream_to_client"\} \d+/);
  assert.match(text, /portcullis_websocket_closes_total\{service="ws",route="small",code="1009",initiator="gateway"\} 2/);
  assert.match(text, /portcullis_websocket_closes_total\{service="ws",route="open",code="4001",initiator="upstream"\} 1/);
  // Every connection of the route has closed on both sides (the gauge follows the relays' ends).
  await waitFor(async () => /portcullis_websocket_connections\{service="ws",route="open"\} 0/.test(await registry.metrics()), 10_000, 'open connections back to 0');
});
