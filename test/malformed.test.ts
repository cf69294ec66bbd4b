// Malformed and hostile requests against the real `portcullis start` binary: each is answered with
// the right status, problem+json and `Connection: close`, the socket is closed, nothing reaches the
// upstream, and the process keeps serving. Path normalisation forwards (and routes on) one path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startUpstream, type Upstream } from './harness/upstream.ts';
import { spawnGateway, service, waitFor, type GatewayProcess } from './harness/gateway.ts';
import { rawRequest, rawBody, type RawResponse } from './harness/raw-http.ts';

let up: Upstream;
let slow: Upstream; // records how a streamed request body ended
const slowState = { bytes: 0, ended: false, closed: false };
let gw: GatewayProcess;
let sentinels = 0;

before(async () => {
  up = await startUpstream();
  slow = await startUpstream((req, res) => {
    req.on('data', (c: Buffer) => { slowState.bytes += c.length; });
    req.on('end', () => { slowState.ended = true; res.end('complete'); });
    req.on('close', () => { slowState.closed = true; });
  }, { streaming: true });
  gw = await spawnGateway({
    services: [service('s', [up.url]), service('slow', [slow.url])],
    routes: [
      { name: 'slow', service: 'slow', paths: ['/slow'] },
      // Everything under /admin is refused to this client (127.0.0.1); the rest is open.
      { name: 'admin', service: 's', paths: ['/admin'], plugins: [{ name: 'ip-restriction', config: { deny: ['127.0.0.1'] } }] },
      { name: 'all', service: 's', paths: ['/'] },
    ],
  });
});

after(async () => {
  await gw?.stop();
  await up?.close();
  await slow?.close();
});

/** The value of a response header in a raw response (first occurrence), or undefined. */
function header(r: RawResponse, name: string): string | undefined {
  const end = r.text.indexOf('\r\n\r\n');
  const head = end === -1 ? r.text : r.text.slice(0, end);
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).toLowerCase() === name) return line.slice(i + 1).trim();
  }
  return undefined;
}

const clip = (s: string | Buffer) => JSON.stringify(s.toString('latin1').slice(0, 120));

/**
 * Sends a normal request on a fresh connection and waits for its answer. Returns what reached the
 * upstream since `mark`: if the gateway had forwarded an earlier (rejected) request, it would show
 * up here ahead of the sentinel.
 */
async function receivedSince(mark: number): Promise<string[]> {
  const path = `/sentinel-${++sentinels}`;
  const r = await rawRequest(gw.proxyPort, `GET ${path} HTTP/1.1\r\nHost: sentinel\r\nConnection: close\r\n\r\n`, 10_000);
  assert.equal(r.status, 200, `the gateway must keep serving after a bad request: ${r.text.slice(0, 200)}`);
  const urls = up.received.slice(mark).map((x) => x.url);
  assert.equal(urls.at(-1), path);
  return urls.slice(0, -1);
}

/** Asserts the full rejection contract for one raw payload. */
async function expectRejected(payload: string | Buffer, status: number, code?: string): Promise<RawResponse> {
  const mark = up.received.length;
  const r = await rawRequest(gw.proxyPort, payload, 5_000);
  const what = `${clip(payload)} → ${clip(r.text)}`;
  assert.equal(r.status, status, `status for ${what}`);
  assert.equal(header(r, 'connection')?.toLowerCase(), 'close', `Connection: close for ${what}`);
  assert.equal(r.closed, true, `socket closed for ${what}`);
  assert.match(header(r, 'content-type') ?? '', /^application\/problem\+json/, `problem+json for ${what}`);
  const body = rawBody(r) as Record<string, unknown> | undefined;
  assert.ok(body, `a JSON body for ${what}`);
  assert.equal(body.status, status);
  assert.match(String(body.type), /^https:\/\/portcullis\.dev\/problems\/[a-z-]+$/);
  if (code !== undefined) assert.equal(body.type, `https://portcullis.dev/problems/${code}`, what);
  assert.deepEqual(await receivedSince(mark), [], `never forwarded: ${what}`);
  return r;
}

const GET = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: gw.example\r\n${extra}\r\n`;

// ---- framing (RFC 9112 §6.1) -------------------------------------------------------------

test('Content-Length together with Transfer-Encoding → 400, closed, not forwarded', async () => {
  await expectRejected('POST /x HTTP/1.1\r\nHost: gw.example\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400);
  await expectRejected('POST /x HTTP/1.1\r\nHost: gw.example\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello', 400);
});

test('two differing Content-Length headers → 400', async () => {
  await expectRejected('POST /x HTTP/1.1\r\nHost: gw.example\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400);
});

test('invalid Content-Length values → 400', async () => {
  for (const v of ['abc', '-1', '1e3', '0x10', '5, 5']) {
    await expectRejected(`POST /x HTTP/1.1\r\nHost: gw.example\r\nContent-Length: ${v}\r\n\r\nhello`, 400);
  }
});

test('bad chunk size → 400, not forwarded', async () => {
  await expectRejected('POST /x HTTP/1.1\r\nHost: gw.example\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', 400);
});

test('bad chunk after the request was forwarded: 400 + close, the upstream never gets a complete body', async () => {
  const socket = connect(gw.proxyPort, '127.0.0.1');
  let text = '';
  socket.on('data', (c: Buffer) => { text += c.toString('latin1'); });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  try {
    socket.write('POST /slow HTTP/1.1\r\nHost: gw.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    await waitFor(() => slow.received.length === 1 && slowState.bytes === 5, 10_000, 'the first chunk at the upstream');
    socket.write('zz\r\nmore\r\n0\r\n\r\n');
    await closed;
    assert.match(text, /^HTTP\/1\.1 400 /, clip(text));
    assert.match(text, /\r\nconnection: close\r\n/i);
    assert.match(text, /\r\ncontent-type: application\/problem\+json/i);
    await waitFor(() => slowState.closed, 10_000, 'the upstream request to be aborted');
    assert.equal(slowState.ended, false, 'the upstream must not see the end of a body the client framed badly');
    assert.equal(slowState.bytes, 5);
  } finally {
    socket.destroy();
  }
});

test('obs-fold continuation line → 400', async () => {
  await expectRejected('GET /x HTTP/1.1\r\nHost: gw.example\r\nX-Folded: first\r\n  second\r\n\r\n', 400);
});

test('space before the colon of a header → 400', async () => {
  await expectRejected('GET /x HTTP/1.1\r\nHost: gw.example\r\nX-Bad : v\r\n\r\n', 400);
});

test('NUL or bare CR in a header value → 400', async () => {
  await expectRejected(Buffer.from('GET /x HTTP/1.1\r\nHost: gw.example\r\nX-Bad: a\x00b\r\n\r\n', 'latin1'), 400);
  await expectRejected('GET /x HTTP/1.1\r\nHost: gw.example\r\nX-Bad: a\rb\r\n\r\n', 400);
});

test('invalid characters in the method → 400', async () => {
  await expectRejected('G(T /x HTTP/1.1\r\nHost: gw.example\r\n\r\n', 400);
  await expectRejected('GE T /x HTTP/1.1\r\nHost: gw.example\r\n\r\n', 400);
});

test('missing Host in HTTP/1.1 → 400 problem+json', async () => {
  await expectRejected('GET /x HTTP/1.1\r\nAccept: */*\r\n\r\n', 400);
});

test('two Host headers → 400 (RFC 9112 §3.2)', async () => {
  await expectRejected('GET /x HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n', 400);
});

// ---- request target ---------------------------------------------------------------------

test('absolute-form target → 400 absolute-form-rejected', async () => {
  await expectRejected('GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n', 400, 'absolute-form-rejected');
});

test('dot segments climbing above the root → 400 invalid-path', async () => {
  for (const t of ['/../etc/passwd', '/a/../../b', '/%2e%2e/etc/passwd', '/a/.%2E/..']) await expectRejected(GET(t), 400, 'invalid-path');
});

test('encoded slash, backslash and NUL → 400 invalid-path', async () => {
  for (const t of ['/a%2Fb', '/a%2fb', '/a%5Cb', '/a%5cb', '/a%00b', '/admin%2F..']) await expectRejected(GET(t), 400, 'invalid-path');
});

test('";" in the path is rejected by default', async () => {
  for (const t of ['/a;jsessionid=1', '/admin;/x', '/a%3Bb']) await expectRejected(GET(t), 400, 'invalid-path');
});

// ---- edge limits -------------------------------------------------------------------------

test('header block over 60 KiB → 431', async () => {
  await expectRejected(GET('/x', `X-Big: ${'a'.repeat(61 * 1024)}\r\n`), 431);
});

test('more than 100 headers → 431; exactly 100 pass', async () => {
  const headers = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join('');
  await expectRejected(GET('/x', headers(120)), 431);
  await expectRejected(GET('/x', headers(100)), 431); // 100 + Host = 101 headers
  const ok = await rawRequest(gw.proxyPort, GET('/x', headers(98) + 'Connection: close\r\n'), 10_000); // 100 in all
  assert.equal(ok.status, 200, ok.text.slice(0, 200));
});

test('URL over 8 KiB → 414; 8 KiB passes', async () => {
  await expectRejected(GET(`/${'a'.repeat(8300)}`), 414);
  const ok = await rawRequest(gw.proxyPort, GET(`/${'b'.repeat(8000)}`, 'Connection: close\r\n'), 10_000);
  assert.equal(ok.status, 200, ok.text.slice(0, 200));
});

// ---- normalisation ------------------------------------------------------------------------

async function forwardedPath(target: string): Promise<string> {
  const mark = up.received.length;
  const r = await rawRequest(gw.proxyPort, GET(target, 'Connection: close\r\n'), 10_000);
  assert.equal(r.status, 200, `${target} → ${r.text.slice(0, 200)}`);
  assert.equal(up.received.length, mark + 1);
  const echoed = rawBody(r) as { url: string };
  assert.equal(echoed.url, up.received[mark]!.url);
  return echoed.url;
}

test('the normalised path is what the upstream receives', async () => {
  assert.equal(await forwardedPath('/a/./b//c/%7Euser'), '/a/b/c/~user');
  assert.equal(await forwardedPath('/a/b/../c'), '/a/c');
  assert.equal(await forwardedPath('/a/%41%2d%5F?q=%41'), '/a/A-_?q=%41'); // query untouched
  assert.equal(await forwardedPath('/a/%e2%82%ac'), '/a/%E2%82%AC');
  assert.equal(await forwardedPath('//x//y/'), '/x/y/');
});

test('a route-level deny on /admin cannot be bypassed with path tricks', async () => {
  for (const t of ['/admin', '/admin/', '/admin/x', '/public/../admin', '//admin', '/%61dmin', '/./admin', '/%61%64%6d%69%6e/users', '/x/..//admin/']) {
    const mark = up.received.length;
    const r = await rawRequest(gw.proxyPort, GET(t, 'Connection: close\r\n'), 10_000);
    assert.equal(r.status, 403, `${t} → ${r.text.slice(0, 200)}`);
    assert.match(header(r, 'content-type') ?? '', /^application\/problem\+json/);
    assert.deepEqual(await receivedSince(mark), [], `${t} must not reach the upstream`);
  }
  assert.equal(await forwardedPath('/administrator'), '/administrator'); // segment boundary, not a prefix of /admin
});

test('after all of the above the process is alive and serving', async () => {
  assert.equal(gw.child.exitCode, null);
  const res = await fetch(`${gw.url}/still/here?x=1`);
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { url: string }).url, '/still/here?x=1');
});
