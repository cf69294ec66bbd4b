// Request body limits: the gateway default (`gateway.max_body_bytes`), the per-route
// `request-size-limiting` plugin, declared (Content-Length) and streamed (chunked) bodies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startUpstream, type Upstream } from './harness/upstream.ts';
import { startGateway, service, waitFor, type InProcessGateway } from './harness/gateway.ts';
import { rawRequest, rawBody, type RawResponse } from './harness/raw-http.ts';

const LIMIT = 1000; // gateway default in this file
const ROUTE_LIMIT = 1024; // request-size-limiting: 1 kilobyte

/** What one upstream request looked like, body included, and whether the body completed. */
interface Seen { url: string; bytes: number; ended: boolean; closed: boolean }

let up: Upstream;
const seen: Seen[] = [];
let gw: InProcessGateway;

function upstreamHandler(req: IncomingMessage, res: ServerResponse): void {
  const s: Seen = { url: req.url ?? '', bytes: 0, ended: false, closed: false };
  seen.push(s);
  req.on('close', () => { s.closed = true; });
  if (req.url?.startsWith('/early')) {
    // Answers before reading the body: headers and a first chunk now, the end only after the body.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('started;');
    req.on('data', (c: Buffer) => { s.bytes += c.length; });
    req.on('end', () => { s.ended = true; res.end('done'); });
    return;
  }
  req.on('data', (c: Buffer) => { s.bytes += c.length; });
  req.on('end', () => {
    s.ended = true;
    const body = JSON.stringify({ url: req.url, bytes: s.bytes });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

before(async () => {
  up = await startUpstream(upstreamHandler, { streaming: true });
  gw = await startGateway({
    gateway: { max_body_bytes: LIMIT },
    services: [service('s', [up.url])],
    routes: [
      { name: 'sized', service: 's', paths: ['/sized'], plugins: [{ name: 'request-size-limiting', config: { allowed_payload_size: 1, size_unit: 'kilobytes' } }] },
      { name: 'strict', service: 's', paths: ['/strict'], plugins: [{ name: 'request-size-limiting', config: { allowed_payload_size: 1, size_unit: 'kilobytes', require_content_length: true } }] },
      { name: 'default', service: 's', paths: ['/'] },
    ],
  });
});

after(async () => {
  await gw?.close();
  await up?.close();
});

const fixed = (path: string, n: number) =>
  `POST ${path} HTTP/1.1\r\nHost: gw.example\r\nContent-Type: application/octet-stream\r\nContent-Length: ${n}\r\nConnection: close\r\n\r\n${'x'.repeat(n)}`;

function chunked(path: string, sizes: number[]): string {
  let out = `POST ${path} HTTP/1.1\r\nHost: gw.example\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
  for (const n of sizes) out += `${n.toString(16)}\r\n${'y'.repeat(n)}\r\n`;
  return `${out}0\r\n\r\n`;
}

function assertProblem(r: RawResponse, status: number, code: string): Record<string, unknown> {
  assert.equal(r.status, status, r.text.slice(0, 300));
  assert.match(r.text, /\r\ncontent-type: application\/problem\+json\r\n/i);
  const body = rawBody(r) as Record<string, unknown>;
  assert.equal(body.type, `https://portcullis.dev/problems/${code}`);
  assert.equal(body.status, status);
  return body;
}

/** Sends a request and checks it was accepted and that the upstream got exactly `n` body bytes. */
async function expectAccepted(payload: string, path: string, n: number): Promise<void> {
  const mark = seen.length;
  const r = await rawRequest(gw.port, payload, 10_000);
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.deepEqual(rawBody(r), { url: path, bytes: n });
  assert.equal(seen.length, mark + 1);
  assert.equal(seen[mark]!.ended, true);
}

async function expectRefusedUnforwarded(payload: string, status: number, code: string): Promise<Record<string, unknown>> {
  const mark = seen.length;
  const r = await rawRequest(gw.port, payload, 10_000);
  const body = assertProblem(r, status, code);
  // A normal request afterwards: had the refused one been forwarded, it would be ahead of this.
  await expectAccepted(fixed('/after', 3), '/after', 3);
  assert.deepEqual(seen.slice(mark).map((s) => s.url), ['/after'], 'the refused request must not be forwarded');
  return body;
}

test('Content-Length above the default limit → 413 problem+json, not forwarded', async () => {
  const body = await expectRefusedUnforwarded(fixed('/upload', LIMIT + 1), 413, 'payload-too-large');
  assert.equal(body.instance, '/upload');
  await expectRefusedUnforwarded(fixed('/upload', 50_000), 413, 'payload-too-large');
});

test('bodies exactly at the default limit pass (Content-Length and chunked)', async () => {
  await expectAccepted(fixed('/upload', LIMIT), '/upload', LIMIT);
  await expectAccepted(chunked('/upload', [400, 400, 200]), '/upload', LIMIT);
  await expectAccepted(fixed('/upload', 0), '/upload', 0);
});

/** A raw connection that can send a request in steps and collects the answer until close. */
function stagedConnection(port: number) {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (c: Buffer) => { text += c.toString('latin1'); });
  socket.on('error', () => undefined); // a reset after the answer is fine; we assert on `text`
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return {
    write: (s: string) => new Promise<void>((resolve) => socket.write(s, () => resolve())),
    text: () => text,
    closed,
    destroy: () => socket.destroy(),
  };
}

test('chunked body growing past the default limit → 413; the upstream never gets a complete body', async () => {
  const mark = seen.length;
  const conn = stagedConnection(gw.port);
  try {
    await conn.write(`POST /grow HTTP/1.1\r\nHost: gw.example\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n${'a'.repeat(600)}\r\n`);
    await waitFor(() => seen.length === mark + 1 && seen[mark]!.bytes === 600, 10_000, 'the first 600 bytes at the upstream');
    await conn.write(`258\r\n${'b'.repeat(600)}\r\n0\r\n\r\n`); // 1200 in all
    await conn.closed;
    const text = conn.text();
    assertProblem({ text, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), closed: true }, 413, 'payload-too-large');
    assert.match(text, /\r\nconnection: close\r\n/i);
    await waitFor(() => seen[mark]!.closed, 10_000, 'the upstream request to be aborted');
    assert.equal(seen[mark]!.ended, false, 'the upstream must not see the end of an over-limit body');
    assert.ok(seen[mark]!.bytes <= LIMIT, `upstream got ${seen[mark]!.bytes} bytes, more than the limit`);
  } finally {
    conn.destroy();
  }
});

test('chunked body passing the limit after the upstream answered: the client connection is aborted, never a complete response', async () => {
  const mark = seen.length;
  const conn = stagedConnection(gw.port);
  try {
    await conn.write(`POST /early HTTP/1.1\r\nHost: gw.example\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n${'a'.repeat(600)}\r\n`);
    await waitFor(() => conn.text().includes('started;'), 10_000, 'the start of the response at the client');
    assert.match(conn.text(), /^HTTP\/1\.1 200 /);
    await conn.write(`258\r\n${'b'.repeat(600)}\r\n0\r\n\r\n`);
    await conn.closed;
    const text = conn.text();
    assert.ok(!text.includes('done'), 'the upstream must not have seen the whole body');
    assert.ok(!text.endsWith('0\r\n\r\n'), `the chunked response must not be terminated as if complete: ${JSON.stringify(text)}`);
    await waitFor(() => seen[mark]!.closed, 10_000, 'the upstream request to be aborted');
    assert.equal(seen[mark]!.ended, false);
    assert.ok(seen[mark]!.bytes <= LIMIT);
  } finally {
    conn.destroy();
  }
});

test('request-size-limiting on one route (1 KB) while the others keep the default (1000 bytes)', async () => {
  await expectAccepted(fixed('/sized', ROUTE_LIMIT), '/sized', ROUTE_LIMIT);
  await expectAccepted(fixed('/sized', 1010), '/sized', 1010); // above the default, within the route's
  await expectRefusedUnforwarded(fixed('/sized', ROUTE_LIMIT + 1), 413, 'payload-too-large');
  await expectRefusedUnforwarded(fixed('/other', 1010), 413, 'payload-too-large');
  await expectAccepted(chunked('/sized', [1000, 24]), '/sized', ROUTE_LIMIT);
  const mark = seen.length;
  const r = await rawRequest(gw.port, chunked('/sized', [1000, 25]), 10_000);
  assertProblem(r, 413, 'payload-too-large');
  assert.equal(r.closed, true);
  await waitFor(() => seen.length === mark || seen[mark]!.closed, 10_000, 'the upstream request to be aborted');
  assert.ok(seen.length === mark || !seen[mark]!.ended, 'an over-limit chunked body must not complete upstream');
});

test('require_content_length refuses chunked bodies, not forwarded; Content-Length bodies pass', async () => {
  const body = await expectRefusedUnforwarded(chunked('/strict', [10]), 400, 'bad-request');
  assert.match(String(body.detail), /Content-Length/);
  await expectAccepted(fixed('/strict', 10), '/strict', 10);
  await expectRefusedUnforwarded(fixed('/strict', ROUTE_LIMIT + 1), 413, 'payload-too-large');
});

test('max_body_bytes: 0 means unlimited', async () => {
  const g = await startGateway({ gateway: { max_body_bytes: 0 }, services: [service('s', [up.url])], routes: [{ name: 'r', service: 's', paths: ['/'] }] });
  try {
    const n = 3 * 1024 * 1024;
    const r = await fetch(`${g.url}/big`, { method: 'POST', body: new Uint8Array(n) });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { url: '/big', bytes: n });
  } finally {
    await g.close();
  }
});
