// Upstream faults from RELIABILITY.md ("Faults and the expected behaviour") against the real gateway.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { startUpstream, refusedPort, type Handler, type Upstream } from './harness/upstream.ts';
import { startGateway, spawnGateway, waitFor, type InProcessGateway, type RawConfig } from './harness/gateway.ts';

async function upstream(t: TestContext, handler?: Handler): Promise<Upstream> {
  const up = await startUpstream(handler);
  t.after(() => up.close());
  return up;
}
const hang: Handler = () => undefined;
const resetAfterRequest: Handler = (req) => { req.socket.resetAndDestroy(); };
const named = (name: string): Handler => (_req, res, body) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ name, method: _req.method, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), text: body.length < 1024 ? body.toString() : undefined }));
};

function config(targets: { url: string; weight?: number }[], svc: RawConfig = {}): RawConfig {
  return { services: [{ name: 's', targets, ...svc }], routes: [{ name: 'r', service: 's', paths: ['/'] }] };
}
async function gateway(t: TestContext, cfg: RawConfig): Promise<InProcessGateway> {
  const gw = await startGateway(cfg);
  t.after(() => gw.close());
  return gw;
}

/** Checks a gateway error: status, problem+json, type, and that no upstream address leaks out. */
async function expectProblem(res: Response, status: number, code: string, hidden: (string | number)[] = []): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  const body = JSON.parse(text) as Record<string, unknown>;
  assert.match(String(body.type), new RegExp(`/${code}$`));
  assert.equal(body.status, status);
  const { request_id: _id, ...rest } = body;
  const visible = JSON.stringify(rest) + [...res.headers].filter(([k]) => k !== 'x-request-id').join('\n');
  for (const h of ['127.0.0.1', 'localhost', 'undici', 'ECONNREFUSED', 'ECONNRESET', ...hidden.map(String)]) {
    assert.ok(!visible.includes(h), `error response leaks ${h}: ${visible}`);
  }
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const r = await f();
  return [r, performance.now() - start];
}

test('upstream refuses: 502 problem+json upstream-unavailable, never naming the upstream', async (t) => {
  const port = await refusedPort();
  const gw = await gateway(t, config([{ url: `http://127.0.0.1:${port}` }]));
  await expectProblem(await fetch(`${gw.url}/a`), 502, 'upstream-unavailable', [port]);
  await expectProblem(await fetch(`${gw.url}/b`, { method: 'POST', body: 'x' }), 502, 'upstream-unavailable', [port]);
});

test('one target refusing: a GET is retried to the other, within retries+1 attempts (access log)', async (t) => {
  const good = await upstream(t, named('good'));
  const port = await refusedPort();
  // Weight makes the refusing target the first pick of every request.
  const proc = await spawnGateway(config([{ url: `http://127.0.0.1:${port}`, weight: 1000 }, { url: good.url, weight: 1 }], { retries: 1 }));
  t.after(() => proc.stop());
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${proc.url}/r/${i}`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { name: string }).name, 'good');
    ids.push(res.headers.get('x-request-id')!);
  }
  assert.equal(good.received.length, 5);
  const access = () => proc.output().split('\n').filter((l) => l.includes('"log":"access"')).map((l) => JSON.parse(l) as { request_id: string; attempts?: number; status: number });
  await waitFor(() => ids.every((id) => access().some((e) => e.request_id === id)), 10_000, 'access log lines');
  for (const id of ids) {
    const entry = access().find((e) => e.request_id === id)!;
    assert.equal(entry.status, 200);
    assert.equal(entry.attempts, 2, 'first attempt refused, second served (retries: 1 allows at most 2)');
  }
});

test('a POST with a body to a refusing target is retried (never sent) and arrives intact', async (t) => {
  const good = await upstream(t, named('good'));
  const port = await refusedPort();
  const gw = await gateway(t, config([{ url: `http://127.0.0.1:${port}`, weight: 1000 }, { url: good.url, weight: 1 }], { retries: 1 }));
  const small = JSON.stringify({ order: 42, note: 'héllo' });
  const big = Buffer.alloc(300 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  for (const body of [Buffer.from(small), big]) {
    const res = await fetch(`${gw.url}/orders`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 200);
    const got = (await res.json()) as { name: string; method: string; bytes: number; sha256: string };
    assert.deepEqual(got.name + got.method, 'goodPOST');
    assert.equal(got.bytes, body.length);
    assert.equal(got.sha256, createHash('sha256').update(body).digest('hex'));
  }
  assert.equal(good.received.length, 2);
});

test('upstream hangs: 504 upstream-timeout at read_timeout_ms', async (t) => {
  const up = await upstream(t, hang);
  const gw = await gateway(t, config([{ url: up.url }], { read_timeout_ms: 400, retries: 0 }));
  const [res, ms] = await timed(() => fetch(`${gw.url}/slow`));
  await expectProblem(res, 504, 'upstream-timeout', [up.port]);
  assert.ok(ms >= 400 && ms < 2000, `504 after ${ms} ms`);
});

test('upstream hangs: 504 upstream-timeout at request_timeout_ms when it is shorter', async (t) => {
  const up = await upstream(t, hang);
  const gw = await gateway(t, config([{ url: up.url }], { read_timeout_ms: 10_000, request_timeout_ms: 500, retries: 0 }));
  const [res, ms] = await timed(() => fetch(`${gw.url}/slow`));
  await expectProblem(res, 504, 'upstream-timeout', [up.port]);
  assert.ok(ms >= 500 && ms < 2500, `504 after ${ms} ms`);
});

test('the route deadline includes retries: two hanging targets, retries 5, 504 by request_timeout_ms', async (t) => {
  const a = await upstream(t, hang);
  const b = await upstream(t, hang);
  const gw = await gateway(t, config([{ url: a.url }, { url: b.url }], { retries: 5, read_timeout_ms: 300, request_timeout_ms: 700 }));
  const [res, ms] = await timed(() => fetch(`${gw.url}/slow`));
  await expectProblem(res, 504, 'upstream-timeout', [a.port, b.port]);
  assert.ok(ms >= 700 && ms < 1500, `504 after ${ms} ms`);
  const total = a.received.length + b.received.length;
  assert.ok(a.received.length >= 1 && b.received.length >= 1, 'the timed-out GET was retried on the other target');
  assert.ok(total <= 6, `${total} attempts for retries: 5`);
});

// Both with a body and without one (Content-Length: 0), so that it is the method that forbids
// the retry, not only the fact that a streamed body cannot be replayed.
for (const body of ['charge=1', '']) {
  const which = body ? 'with a body' : 'without a body';
  test(`a POST ${which} to a hanging upstream times out without a retry`, async (t) => {
    const a = await upstream(t, hang);
    const b = await upstream(t, hang);
    const gw = await gateway(t, config([{ url: a.url }, { url: b.url }], { retries: 3, read_timeout_ms: 300 }));
    await expectProblem(await fetch(`${gw.url}/pay`, { method: 'POST', body }), 504, 'upstream-timeout');
    assert.equal(a.received.length + b.received.length, 1);
  });

  test(`a POST ${which} whose upstream resets after receiving it is not retried: 502`, async (t) => {
    const bad = await upstream(t, resetAfterRequest);
    const good = await upstream(t, named('good'));
    const gw = await gateway(t, config([{ url: bad.url, weight: 1000 }, { url: good.url, weight: 1 }], { retries: 3 }));
    await expectProblem(await fetch(`${gw.url}/pay`, { method: 'POST', body }), 502, 'upstream-unavailable', [bad.port, good.port]);
    assert.equal(bad.received.length, 1, 'the upstream saw the request exactly once');
    assert.equal(bad.received[0]!.bodyBytes, body.length);
    assert.equal(good.received.length, 0, 'and it was not sent anywhere else');
  });
}

test('a GET whose upstream resets before responding is retried on another target', async (t) => {
  const bad = await upstream(t, resetAfterRequest);
  const good = await upstream(t, named('good'));
  const gw = await gateway(t, config([{ url: bad.url, weight: 1000 }, { url: good.url, weight: 1 }], { retries: 1 }));
  const res = await fetch(`${gw.url}/items`);
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { name: string }).name, 'good');
  assert.equal(bad.received.length, 1);
  assert.equal(good.received.length, 1);
});

test('GET retries stop at retries+1 attempts when every target resets', async (t) => {
  const a = await upstream(t, resetAfterRequest);
  const b = await upstream(t, resetAfterRequest);
  const gw = await gateway(t, config([{ url: a.url }, { url: b.url }], { retries: 2 }));
  await expectProblem(await fetch(`${gw.url}/items`), 502, 'upstream-unavailable', [a.port, b.port]);
  assert.equal(a.received.length + b.received.length, 3);
  assert.ok(a.received.length >= 1 && b.received.length >= 1);
});

/** GET over a fresh connection; reports whether the response body completed. */
function getToEnd(url: string): Promise<{ status: number; bytes: number; complete: boolean; error?: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent: false }, (res) => {
      let bytes = 0;
      let error: string | undefined;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('error', (e) => { error = e.message; });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, bytes, complete: res.complete, error }));
    }).on('error', reject);
  });
}

test('upstream resets mid-response: the client connection is aborted, never a complete response', async (t) => {
  const partial = (framing: 'length' | 'chunked'): Handler => (req, res) => {
    res.writeHead(200, framing === 'length' ? { 'content-length': '100000' } : { 'content-type': 'text/plain' });
    res.write(Buffer.alloc(1000, 'x'));
    setTimeout(() => req.socket.resetAndDestroy(), 50);
  };
  for (const framing of ['length', 'chunked'] as const) {
    const up = await upstream(t, partial(framing));
    const gw = await gateway(t, config([{ url: up.url }]));
    const r = await getToEnd(`${gw.url}/download`);
    assert.equal(r.status, 200, framing);
    assert.equal(r.complete, false, `${framing}: the client must not see a complete response (${r.bytes} bytes)`);
    assert.ok(r.bytes < 100000, framing);
    assert.equal(up.received.length, 1, `${framing}: not retried once headers were sent`);
  }
});

test('upstream stalls after the headers: the client connection is aborted after read_timeout_ms', async (t) => {
  const up = await upstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
  });
  const gw = await gateway(t, config([{ url: up.url }], { read_timeout_ms: 400 }));
  const [r, ms] = await timed(() => getToEnd(`${gw.url}/stall`));
  assert.equal(r.status, 200);
  assert.equal(r.complete, false, 'a stalled body must not be passed off as complete');
  assert.ok(ms >= 400 && ms < 2000, `aborted after ${ms} ms`);
  assert.equal(up.received.length, 1);
});

// request_timeout_ms is the deadline for response headers; after them a body may stream for as
// long as it keeps moving (a large download must not be cut), bounded by read_timeout_ms per gap.
test('after the headers, a body that keeps dripping outlives the route deadline and completes', async (t) => {
  const up = await upstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let n = 0;
    const timer = setInterval(() => { if (++n >= 15 || res.destroyed) { clearInterval(timer); res.end(); } else res.write('.'); }, 100);
  });
  const gw = await gateway(t, config([{ url: up.url }], { read_timeout_ms: 2000, request_timeout_ms: 500 }));
  const [r, ms] = await timed(() => getToEnd(`${gw.url}/drip`));
  assert.equal(r.status, 200);
  assert.equal(r.complete, true, `the dripping body was cut after ${ms} ms`);
  assert.equal(r.bytes, 14);
  assert.ok(ms >= 1400, `ended after ${ms} ms`);
});

/** A raw TCP "upstream" that answers every request with `response` and keeps the socket open. */
async function rawUpstream(t: TestContext, response: string) {
  const perConnection: number[] = [];
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    const index = perConnection.push(0) - 1;
    open.add(socket);
    let buf = '';
    socket.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        perConnection[index]!++;
        socket.write(response);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { for (const s of open) s.destroy(); server.close(() => resolve()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, perConnection, open };
}

const MALFORMED: Record<string, string> = {
  'Content-Length with Transfer-Encoding': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  'two different Content-Lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
  'invalid Content-Length': 'HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello',
  'obs-fold': 'HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 5\r\n\r\nhello',
  'space before the colon': 'HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello',
  'invalid status line': 'HTTP/1.1 2x0 OK\r\nContent-Length: 5\r\n\r\nhello',
};

for (const [name, response] of Object.entries(MALFORMED)) {
  test(`malformed upstream response (${name}): 502 upstream-bad-response, connection not reused`, async (t) => {
    const up = await rawUpstream(t, response);
    const gw = await gateway(t, config([{ url: up.url }]));
    for (let i = 0; i < 2; i++) await expectProblem(await fetch(`${gw.url}/m/${i}`), 502, 'upstream-bad-response', [new URL(up.url).port]);
    assert.ok(up.perConnection.length >= 2, `${up.perConnection.length} connection(s) for 2 requests`);
    assert.ok(up.perConnection.every((n) => n <= 1), `requests per connection: ${up.perConnection}`);
    await waitFor(() => up.open.size === 0, 5000, 'the gateway to close the bad connections');
  });
}

test('an upstream 5xx is passed through as-is, not turned into a gateway error, and not retried', async (t) => {
  for (const status of [500, 502, 503, 504]) {
    const up = await upstream(t, (_req, res) => {
      res.writeHead(status, { 'content-type': 'text/plain', 'x-upstream': 'yes' });
      res.end(`upstream says ${status}`);
    });
    const gw = await gateway(t, config([{ url: up.url }], { retries: 2 }));
    const res = await fetch(`${gw.url}/x`);
    assert.equal(res.status, status);
    assert.equal(res.headers.get('content-type'), 'text/plain');
    assert.equal(res.headers.get('x-upstream'), 'yes');
    assert.equal(await res.text(), `upstream says ${status}`);
    assert.equal(up.received.length, 1, `${status} not retried`);
  }
});

test('other routes and services keep working while one upstream hangs or refuses', async (t) => {
  const slow = await upstream(t, hang);
  const fast = await upstream(t, named('fast'));
  const port = await refusedPort();
  const gw = await gateway(t, {
    services: [
      { name: 'slow', targets: [{ url: slow.url }], read_timeout_ms: 60_000 },
      { name: 'down', targets: [{ url: `http://127.0.0.1:${port}` }] },
      { name: 'fast', targets: [{ url: fast.url }] },
    ],
    routes: [
      { name: 'slow', service: 'slow', paths: ['/slow'] },
      { name: 'down', service: 'down', paths: ['/down'] },
      { name: 'fast', service: 'fast', paths: ['/fast'] },
    ],
  });
  const abort = new AbortController();
  t.after(() => abort.abort());
  let settled = 0;
  const stuck = Array.from({ length: 50 }, (_, i) => fetch(`${gw.url}/slow/${i}`, { signal: abort.signal }).then(() => { settled++; }, () => undefined));
  await waitFor(() => slow.received.length === 50, 10_000, 'slow requests to reach the hanging upstream');
  for (let i = 0; i < 30; i++) {
    const res = await fetch(`${gw.url}/fast/${i}`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { name: string }).name, 'fast');
    if (i % 10 === 0) await expectProblem(await fetch(`${gw.url}/down`), 502, 'upstream-unavailable', [port]);
  }
  assert.equal(settled, 0, 'the hanging requests are still waiting');
  abort.abort();
  await Promise.all(stuck);
});
