// The fast lane (gateway.http_engine: fast) against the real binary: simple requests are served on
// it with node:http's framing (keep-alive, pipelining in order, HEAD, chunked, Connection: close,
// header timeout, idle close), and a connection moves to node:http at its first other request,
// with its unread bytes: bodies arrive whole, upgrades work, and every malformed or smuggling
// request sent *after* fast-lane requests on the same connection is refused exactly as on a fresh
// connection (400/431, Connection: close, nothing forwarded).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startUpstream, type Upstream } from './harness/upstream.ts';
import { spawnGateway, service, waitFor, type GatewayProcess } from './harness/gateway.ts';
import { rawRequest } from './harness/raw-http.ts';

let up: Upstream;
let chunked: Upstream;
let gw: GatewayProcess;

before(async () => {
  up = await startUpstream();
  // Answers without Content-Length: the gateway must frame the body itself (chunked).
  chunked = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first,');
    setTimeout(() => res.end('second'), 20);
  });
  gw = await spawnGateway({
    gateway: { http_engine: 'fast', headers_timeout_ms: 1000, keep_alive_timeout_ms: 1500 },
    services: [service('s', [up.url]), service('chunked', [chunked.url])],
    routes: [
      { name: 'chunked', service: 'chunked', paths: ['/chunked'] },
      { name: 'all', service: 's', paths: ['/'] },
    ],
  });
});

after(async () => {
  await gw?.stop();
  await up?.close();
  await chunked?.close();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Splits a byte stream of HTTP/1.1 responses (Content-Length or chunked framed) into messages. */
function responses(text: string): { status: number; head: string; body: string }[] {
  const out: { status: number; head: string; body: string }[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) break;
    const head = rest.slice(0, end);
    rest = rest.slice(end + 4);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    let body = '';
    if (status === 304 || status === 204) body = '';
    else if (length) {
      body = rest.slice(0, Number(length[1]));
      rest = rest.slice(Number(length[1]));
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        const size = parseInt(rest.slice(0, lineEnd), 16);
        rest = rest.slice(lineEnd + 2);
        if (size === 0) {
          rest = rest.slice(2);
          break;
        }
        body += rest.slice(0, size);
        rest = rest.slice(size + 2);
      }
    }
    out.push({ status, head, body });
  }
  return out;
}

function header(head: string, name: string): string | undefined {
  return new RegExp(`\\r\\n${name}: *([^\\r]*)`, 'i').exec(head)?.[1];
}

/** Sends `payload` on one connection and collects everything until close or `timeoutMs`. */
function exchange(payload: string, timeoutMs = 3000): Promise<{ text: string; closed: boolean }> {
  return rawRequest(gw.proxyPort, payload, timeoutMs).then((r) => ({ text: r.text, closed: r.closed }));
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: gw.example\r\n${extra}\r\n`;

test('keep-alive: requests on one connection are served on the fast lane, answered in order with node:http framing', async () => {
  const served = await metric('portcullis_http_fast_lane_requests_total');
  const handoffs = await metric('portcullis_http_fast_lane_handoffs_total');
  // Pipelined: all three in one write; the answers come back in order.
  const r = await exchange(get('/one') + get('/two') + get('/three', 'Connection: close\r\n'));
  const all = responses(r.text);
  assert.deepEqual(all.map((x) => x.status), [200, 200, 200]);
  assert.deepEqual(all.map((x) => (JSON.parse(x.body) as { url: string }).url), ['/one', '/two', '/three']);
  assert.equal(header(all[0]!.head, 'connection'), 'keep-alive');
  assert.match(header(all[0]!.head, 'keep-alive') ?? '', /^timeout=1$/);
  assert.ok(header(all[0]!.head, 'date'), 'a Date field, as node:http adds');
  assert.ok(header(all[0]!.head, 'x-request-id'));
  assert.equal(header(all[2]!.head, 'connection'), 'close', 'the client asked to close: the last answer says so');
  assert.equal(r.closed, true, 'and the connection is closed after it');
  assert.equal(await metric('portcullis_http_fast_lane_requests_total') - served, 3);
  assert.equal(await metric('portcullis_http_fast_lane_handoffs_total') - handoffs, 0);
});

test('HEAD: the head of the GET answer, no body; chunked upstream answers are framed chunked', async () => {
  const r = await exchange(`HEAD /h HTTP/1.1\r\nHost: gw.example\r\n\r\n${get('/chunked', 'Connection: close\r\n')}`);
  const head = r.text.slice(0, r.text.indexOf('\r\n\r\n'));
  assert.match(head, /^HTTP\/1\.1 200 /);
  const rest = r.text.slice(head.length + 4);
  assert.match(rest, /^HTTP\/1\.1 200 /, 'nothing between the HEAD answer and the next one');
  const [second] = responses(rest);
  assert.equal(header(second!.head, 'transfer-encoding'), 'chunked');
  assert.equal(second!.body, 'first,second');
});

test('a request with a body moves the connection to node:http, with the bytes not yet read: all answered in order', async () => {
  const handoffs = await metric('portcullis_http_fast_lane_handoffs_total');
  const mark = up.received.length;
  const body = 'x'.repeat(5000);
  const r = await exchange(get('/before') + `POST /post HTTP/1.1\r\nHost: gw.example\r\nContent-Length: ${body.length}\r\n\r\n${body}` + get('/after', 'Connection: close\r\n'));
  const all = responses(r.text);
  assert.deepEqual(all.map((x) => x.status), [200, 200, 200]);
  const seen = up.received.slice(mark);
  assert.deepEqual(seen.map((x) => x.url), ['/before', '/post', '/after']);
  assert.equal(seen[1]!.bodyBytes, body.length, 'the body reaches the upstream whole');
  assert.equal(await metric('portcullis_http_fast_lane_handoffs_total') - handoffs, 1);
});

// Each is refused by node:http on a fresh connection (test/malformed.test.ts); here it comes after
// a fast-lane request on the same connection, which must change nothing.
const HOSTILE: [string, string, number][] = [
  ['CL + TE', 'POST /x HTTP/1.1\r\nHost: gw.example\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['TE obfuscated', 'POST /x HTTP/1.1\r\nHost: gw.example\r\nTransfer-Encoding: xchunked\r\n\r\n', 400],
  ['two Content-Length', 'POST /x HTTP/1.1\r\nHost: gw.example\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400],
  ['obs-fold', 'GET /x HTTP/1.1\r\nHost: gw.example\r\nX-A: a\r\n b\r\n\r\n', 400],
  ['bare LF', 'GET /x HTTP/1.1\nHost: gw.example\n\n', 400],
  ['space before colon', 'GET /x HTTP/1.1\r\nHost : gw.example\r\n\r\n', 400],
  ['NUL in a value', 'GET /x HTTP/1.1\r\nHost: gw.example\r\nX-A: a\0b\r\n\r\n', 400],
  ['two Host fields', 'GET /x HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n', 400],
  ['invalid chunk size', 'POST /x HTTP/1.1\r\nHost: gw.example\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', 400],
  ['header block over the limit', `GET /x HTTP/1.1\r\nHost: gw.example\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`, 431],
];

for (const [what, payload, status] of HOSTILE) {
  test(`after a fast-lane request, ${what} → ${status}, Connection: close, nothing of it forwarded`, async () => {
    const mark = up.received.length;
    const r = await exchange(get('/ok') + payload + get('/smuggled'), 5000);
    assert.match(r.text, /^HTTP\/1\.1 200 /, 'the first request is served');
    const second = r.text.slice(r.text.indexOf('HTTP/1.1', 10));
    assert.match(second, new RegExp(`^HTTP/1\\.1 ${status} `), `${what}: ${JSON.stringify(second.slice(0, 200))}`);
    assert.match(second, /\r\nconnection: close\r\n/i);
    assert.equal(r.closed, true);
    const urls = up.received.slice(mark).map((x) => x.url);
    assert.deepEqual(urls, ['/ok'], `only the first request reaches the upstream, got ${urls.join(' ')}`);
  });
}

test('a head not complete within headers_timeout_ms → 408 problem, connection closed; an idle keep-alive connection closes quietly', async () => {
  const partial = await exchange('GET /slow HTTP/1.1\r\nHost: gw.example\r\n', 5000);
  assert.match(partial.text, /^HTTP\/1\.1 408 /);
  assert.match(partial.text, /application\/problem\+json/);
  assert.equal(partial.closed, true);
  const socket: Socket = connect(gw.proxyPort, '127.0.0.1');
  let text = '';
  let closed = false;
  socket.on('data', (c: Buffer) => { text += c.toString('latin1'); });
  socket.on('close', () => { closed = true; });
  socket.write(get('/idle'));
  await waitFor(() => text.includes('\r\n\r\n'), 3000, 'the answer');
  await waitFor(() => closed, 5000, 'the idle connection to be closed after keep_alive_timeout_ms');
  assert.equal(responses(text).length, 1, 'nothing but the one answer (no 408 on an idle connection)');
  socket.destroy();
});

test('a client that goes away mid-answer: the exchange ends (logged 499), the process keeps serving', async () => {
  const socket = connect(gw.proxyPort, '127.0.0.1');
  socket.write(get('/chunked'));
  await new Promise((r) => setTimeout(r, 5));
  socket.destroy();
  await waitFor(() => /"path":"\/chunked","status":499/.test(gw.output()), 3000, "the exchange to end, logged 499");
  const r = await exchange(get('/still', 'Connection: close\r\n'));
  assert.match(r.text, /^HTTP\/1\.1 200 /);
});

test('a head that trickles in over several reads goes to node:http (incremental parsing), and is served', async () => {
  const handoffs = await metric('portcullis_http_fast_lane_handoffs_total');
  const socket = connect(gw.proxyPort, '127.0.0.1');
  let text = '';
  socket.on('data', (c: Buffer) => { text += c.toString('latin1'); });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const piece of ['GET /trick', 'le HTTP/1.1\r\n', 'Host: gw.', 'example\r\n', 'Connection: close\r\n', '\r\n']) {
    socket.write(piece);
    await new Promise((r) => setTimeout(r, 30));
  }
  await waitFor(() => text.includes('"url":"/trickle"'), 3000, 'the answer');
  assert.match(text, /^HTTP\/1\.1 200 /);
  assert.equal(await metric('portcullis_http_fast_lane_handoffs_total') - handoffs, 1);
  socket.destroy();
});
