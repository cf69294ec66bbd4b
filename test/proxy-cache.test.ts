// proxy-cache end to end against the real gateway (in this process) and a real upstream that
// counts its requests: every directive, Vary, revalidation, client conditionals, stale-if-error
// with the upstream stopped, stale-while-revalidate, coalescing, invalidation, limits, Cache-Status.
// Staleness never needs a sleep: the upstream sends `Age` to make a response stale on arrival.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startGateway, waitFor, type RawConfig } from './harness/gateway.ts';
import { startUpstream, type Upstream } from './harness/upstream.ts';
import { send as sendRequest, type Reply } from './harness/http-get.ts';

type Behaviour = (req: IncomingMessage, res: ServerResponse, n: number) => void;


const call = (base: string, path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> => sendRequest(`${base}${path}`, opts);

/** An upstream whose answer per path is a behaviour; counts requests per path. */
async function scriptedUpstream(routes: Record<string, Behaviour>): Promise<Upstream & { count(path: string): number }> {
  const counts = new Map<string, number>();
  const up = await startUpstream((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    const b = routes[path];
    if (b) return b(req, res, n);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('none');
  });
  return Object.assign(up, { count: (path: string) => counts.get(path) ?? 0 });
}

const send = (res: ServerResponse, status: number, headers: Record<string, string>, body = '') => {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
};

function config(upstreamUrl: string, plugin: Record<string, unknown> = {}, extraRoutes: RawConfig[] = []): RawConfig {
  return {
    gateway: { access_log: false },
    services: [{ name: 'api', targets: [{ url: upstreamUrl }], retries: 0, connect_timeout_ms: 500, read_timeout_ms: 3000, request_timeout_ms: 3000 }],
    routes: [{ name: 'api', service: 'api', paths: ['/'], plugins: [{ name: 'proxy-cache', config: plugin }] }, ...extraRoutes],
  };
}

const status = (r: Reply) => String(r.headers['cache-status'] ?? '');

test('proxy-cache: directives, validation, Vary, limits and Cache-Status', async (t) => {
  const lastModified = new Date(Date.now() - 5 * 86_400_000).toUTCString();
  const up = await scriptedUpstream({
    '/max-age': (_q, r, n) => send(r, 200, { 'cache-control': 'max-age=60', etag: '"a"' }, `max-age ${n}`),
    '/s-maxage': (_q, r, n) => send(r, 200, { 'cache-control': 'max-age=0, s-maxage=60' }, `s ${n}`),
    '/no-store': (_q, r, n) => send(r, 200, { 'cache-control': 'no-store, max-age=60' }, `ns ${n}`),
    '/private': (_q, r, n) => send(r, 200, { 'cache-control': 'private, max-age=60' }, `p ${n}`),
    '/expires': (_q, r, n) => send(r, 200, { expires: new Date(Date.now() + 60_000).toUTCString(), date: new Date().toUTCString() }, `e ${n}`),
    '/expired': (_q, r, n) => send(r, 200, { expires: 'Thu, 01 Jan 1970 00:00:00 GMT' }, `x ${n}`),
    '/aged': (_q, r, n) => send(r, 200, { 'cache-control': 'max-age=60', age: '50' }, `aged ${n}`),
    '/heuristic': (_q, r, n) => send(r, 200, { 'last-modified': lastModified, date: new Date().toUTCString() }, `h ${n}`),
    '/no-cache': (q, r, n) => (q.headers['if-none-match'] === '"nc"' ? send(r, 304, { etag: '"nc"', 'cache-control': 'no-cache' }) : send(r, 200, { 'cache-control': 'no-cache', etag: '"nc"' }, `nc ${n}`)),
    '/stale': (q, r, n) => (q.headers['if-none-match'] === '"s1"' ? send(r, 304, { etag: '"s1"', 'cache-control': 'max-age=60', 'x-refreshed': String(n) }) : send(r, 200, { 'cache-control': 'max-age=60', age: '61', etag: '"s1"' }, `stale ${n}`)),
    '/vary': (q, r, n) => send(r, 200, { 'cache-control': 'max-age=60', vary: 'Accept' }, `vary ${q.headers.accept} ${n}`),
    '/vary-star': (_q, r, n) => send(r, 200, { 'cache-control': 'max-age=60', vary: '*' }, `vs ${n}`),
    '/cookie': (_q, r, n) => send(r, 200, { 'cache-control': 'max-age=60', 'set-cookie': 'sid=1' }, `c ${n}`),
    '/tagged': (_q, r, n) => send(r, 200, { 'cache-control': 'max-age=60', 'cache-tag': 'a, b' }, `t ${n}`),
    '/big': (_q, r) => send(r, 200, { 'cache-control': 'max-age=60' }, 'x'.repeat(5000)),
    '/binary': (_q, r, n) => send(r, 200, { 'cache-control': 'max-age=60', 'content-type': 'application/octet-stream' }, `b ${n}`),
    '/must': (_q, r, n) => send(r, 200, { 'cache-control': 'max-age=60', 'x-n': String(n) }, `m ${n}`),
    '/old': (_q, r, n) => send(r, 200, { 'cache-control': 'max-age=60, stale-if-error=600', age: '70' }, `old ${n}`),
    '/items': (q, r, n) => (q.method === 'POST' ? send(r, 201, { location: '/items/7' }, 'made') : send(r, 200, { 'cache-control': 'max-age=60' }, `items ${n}`)),
    '/items/7': (_q, r, n) => send(r, 200, { 'cache-control': 'max-age=60' }, `seven ${n}`),
    '/auth': (q, r, n) => send(r, 200, { 'cache-control': 'max-age=60' }, `auth ${q.headers.authorization} ${n}`),
    '/q': (q, r, n) => send(r, 200, { 'cache-control': 'max-age=60' }, `q ${q.url} ${n}`),
  });
  t.after(() => up.close());
  const gw = await startGateway(config(up.url, { max_entry_bytes: 4096, key: { query_exclude: ['utm'] } }), { healthChecks: false });
  t.after(() => gw.close());
  const get = (path: string, headers?: Record<string, string>) => call(gw.url, path, headers ? { headers } : {});

  await t.test('max-age: stored, then a hit with Age and ttl; the upstream is asked once', async () => {
    const a = await get('/max-age');
    assert.equal(a.body, 'max-age 1');
    assert.match(status(a), /^portcullis; fwd=uri-miss; fwd-status=200; stored; ttl=(59|60)$/);
    const b = await get('/max-age');
    assert.equal(b.body, 'max-age 1');
    assert.match(status(b), /^portcullis; hit; ttl=\d+$/);
    assert.match(String(b.headers.age), /^\d+$/);
    assert.equal(up.count('/max-age'), 1);
  });

  await t.test('HEAD is served from the GET entry', async () => {
    const h = await call(gw.url, '/max-age', { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.body, '');
    assert.match(status(h), /hit/);
    assert.equal(up.count('/max-age'), 1);
  });

  await t.test('a client conditional request matching a fresh entry gets 304 from the cache', async () => {
    const r = await get('/max-age', { 'if-none-match': 'W/"a"' });
    assert.equal(r.status, 304);
    assert.equal(r.headers.etag, '"a"');
    assert.equal(up.count('/max-age'), 1);
    const other = await get('/max-age', { 'if-none-match': '"other"' });
    assert.equal(other.status, 200);
  });

  await t.test('s-maxage wins over max-age for a shared cache', async () => {
    await get('/s-maxage');
    assert.match(status(await get('/s-maxage')), /hit/);
    assert.equal(up.count('/s-maxage'), 1);
  });

  await t.test('no-store and private responses are never stored', async () => {
    for (const [path, detail] of [['/no-store', 'no-store'], ['/private', 'private']] as const) {
      assert.match(status(await get(path)), new RegExp(`detail=${detail}`));
      await get(path);
      assert.equal(up.count(path), 2, path);
    }
  });

  await t.test('Expires in the future gives freshness; an Expires in the past does not', async () => {
    await get('/expires');
    assert.match(status(await get('/expires')), /hit/);
    assert.equal(up.count('/expires'), 1);
    assert.match(status(await get('/expired')), /detail=no-freshness/);
    await get('/expired');
    assert.equal(up.count('/expired'), 2);
  });

  await t.test('Age from the upstream counts: a 60 s lifetime with Age 50 has about 10 s left', async () => {
    const a = await get('/aged');
    assert.match(status(a), /stored; ttl=(8|9|10)$/);
    const b = await get('/aged');
    assert.ok(Number(b.headers.age) >= 50, `age ${b.headers.age}`);
  });

  await t.test('heuristic freshness: 10 % of the time since Last-Modified (5 days → 12 h)', async () => {
    const a = await get('/heuristic');
    assert.match(status(a), /stored; ttl=43(19\d|200)$/);
    assert.match(status(await get('/heuristic')), /hit/);
  });

  await t.test('no-cache: stored but revalidated every time; a 304 gives the client the full stored response', async () => {
    assert.equal((await get('/no-cache')).body, 'nc 1');
    const b = await get('/no-cache');
    assert.equal(b.status, 200);
    assert.equal(b.body, 'nc 1');
    assert.match(status(b), /fwd=stale; fwd-status=304/);
    assert.equal(up.received.at(-1)?.headers['if-none-match'], '"nc"');
    assert.equal(up.count('/no-cache'), 2);
  });

  await t.test('a stale entry is revalidated with If-None-Match; the 304 refreshes it', async () => {
    assert.equal((await get('/stale')).body, 'stale 1');
    const b = await get('/stale');
    assert.equal(b.status, 200);
    assert.equal(b.body, 'stale 1');
    assert.equal(b.headers['x-refreshed'], '2');
    assert.match(status(b), /^portcullis; fwd=stale; fwd-status=304; stored; ttl=\d+$/);
    const c = await get('/stale');
    assert.match(status(c), /hit/);
    assert.equal(up.count('/stale'), 2);
  });

  await t.test('request directives: no-cache and max-age go forward (fwd=request), max-stale accepts a stale entry', async () => {
    const r = await get('/must', { 'cache-control': 'no-cache' });
    assert.match(status(r), /fwd=uri-miss/);
    const again = await get('/must', { 'cache-control': 'no-cache' });
    assert.match(status(again), /fwd=request/);
    assert.match(status(await get('/must')), /hit/);
    // /aged is about 50 s old: too old for a client asking for at most 10 s.
    assert.match(status(await get('/aged', { 'cache-control': 'max-age=10' })), /fwd=request/);
    await get('/old');
    assert.match(status(await get('/old', { 'cache-control': 'max-stale=100' })), /^portcullis; hit; ttl=-\d+$/);
    assert.match(status(await get('/old')), /fwd=stale; fwd-status=200/);
  });

  await t.test('Vary: variants per Accept (vary-miss, then hits); Vary: * is never stored', async () => {
    const json = await get('/vary', { accept: 'application/json' });
    assert.match(status(json), /fwd=uri-miss/);
    const text = await get('/vary', { accept: 'text/plain' });
    assert.match(status(text), /fwd=vary-miss/);
    assert.equal((await get('/vary', { accept: 'application/json' })).body, 'vary application/json 1');
    assert.equal((await get('/vary', { accept: 'text/plain' })).body, 'vary text/plain 2');
    assert.equal(up.count('/vary'), 2);
    assert.match(status(await get('/vary-star')), /detail=vary-star/);
  });

  await t.test('Set-Cookie responses are not stored; the tag header is stripped', async () => {
    assert.match(status(await get('/cookie')), /detail=set-cookie/);
    const t1 = await get('/tagged');
    assert.equal(t1.headers['cache-tag'], undefined);
    assert.equal((await get('/tagged')).headers['cache-tag'], undefined);
  });

  await t.test('limits: a body above max_entry_bytes streams through uncached; other content types are not stored', async () => {
    const big = await get('/big');
    assert.equal(big.body.length, 5000);
    await get('/big');
    assert.equal(up.count('/big'), 2);
    assert.match(status(await get('/binary')), /detail=content-type/);
  });

  await t.test('the key: excluded query parameters are ignored, others are not', async () => {
    await get('/q?a=1&utm=x');
    assert.match(status(await get('/q?a=1&utm=y')), /hit/);
    assert.match(status(await get('/q?a=2')), /uri-miss/);
  });

  await t.test('Authorization without an auth plugin: per credential, never shared', async () => {
    assert.equal((await get('/auth', { authorization: 'Bearer one' })).body, 'auth Bearer one 1');
    assert.equal((await get('/auth', { authorization: 'Bearer two' })).body, 'auth Bearer two 2');
    assert.equal((await get('/auth', { authorization: 'Bearer one' })).body, 'auth Bearer one 1');
    assert.equal((await get('/auth')).body, 'auth undefined 3');
  });

  await t.test('a POST invalidates its URI and a same-origin Location', async () => {
    await get('/items');
    await get('/items/7');
    assert.match(status(await get('/items')), /hit/);
    const post = await call(gw.url, '/items', { method: 'POST' });
    assert.equal(post.status, 201);
    assert.match(status(post), /fwd=bypass/);
    assert.match(status(await get('/items')), /uri-miss/);
    assert.match(status(await get('/items/7')), /uri-miss/);
  });

  await t.test('a reload with the same plugin config keeps the cache', async () => {
    await get('/max-age');
    gw.apply({ ...config(up.url, { max_entry_bytes: 4096, key: { query_exclude: ['utm'] } }), gateway: { access_log: false, max_headers: 99 } });
    assert.match(status(await get('/max-age')), /hit/);
  });
});

test('proxy-cache: stale-if-error, must-revalidate and stale-while-revalidate', async (t) => {
  let failWith500 = false;
  const up = await scriptedUpstream({
    '/sie': (_q, r, n) => (failWith500 ? send(r, 500, {}, 'boom') : send(r, 200, { 'cache-control': 'max-age=1, stale-if-error=300', age: '5' }, `sie ${n}`)),
    '/must': (_q, r, n) => send(r, 200, { 'cache-control': 'max-age=1, must-revalidate, stale-if-error=300', age: '5' }, `must ${n}`),
    '/swr': (q, r, n) => (q.headers['if-none-match'] === '"w"'
      ? send(r, 304, { etag: '"w"', 'cache-control': 'max-age=60', 'x-bg': String(n) })
      : send(r, 200, { 'cache-control': 'max-age=1, stale-while-revalidate=300', age: '5', etag: '"w"' }, `swr ${n}`)),
  });
  const gw = await startGateway(config(up.url), { healthChecks: false });
  t.after(() => gw.close());
  const get = (path: string) => call(gw.url, path);

  await t.test('stale-while-revalidate: the stale entry is served at once and refreshed in the background', async () => {
    assert.equal((await get('/swr')).body, 'swr 1');
    const b = await get('/swr');
    assert.equal(b.body, 'swr 1');
    assert.match(status(b), /^portcullis; hit; ttl=-\d+; detail=stale-while-revalidate$/);
    await waitFor(() => up.count('/swr') === 2, 5000, 'the background refresh');
    assert.equal(up.received.filter((r) => r.url === '/swr').at(-1)?.headers['if-none-match'], '"w"');
    await waitFor(async () => /^portcullis; hit; ttl=[1-9]/.test(status(await get('/swr'))), 5000, 'the refreshed entry');
    assert.equal(up.count('/swr'), 2);
  });

  await t.test('stale-if-error: a 500 from the upstream is replaced by the stale entry', async () => {
    assert.equal((await get('/sie')).body, 'sie 1');
    failWith500 = true;
    const b = await get('/sie');
    assert.equal(b.status, 200);
    assert.equal(b.body, 'sie 1');
    assert.match(status(b), /fwd=stale; fwd-status=500; ttl=-\d+; detail=stale-if-error/);
    failWith500 = false;
  });

  await t.test('must-revalidate: never served stale, even on errors', async () => {
    await get('/must');
    await up.close();
    const r = await get('/must');
    assert.equal(r.status, 502);
  });

  await t.test('stale-if-error with the upstream stopped: the stale entry is served', async () => {
    const r = await get('/sie');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'sie 1');
    assert.match(status(r), /fwd=stale; ttl=-\d+; detail=stale-if-error/);
  });
});

test('proxy-cache: 100 concurrent misses send one upstream request; not storable releases the waiters', async (t) => {
  const up = await scriptedUpstream({
    '/slow': (_q, r, n) => setTimeout(() => send(r, 200, { 'cache-control': 'max-age=60' }, `slow ${n}`), 300),
    '/slow-private': (_q, r, n) => setTimeout(() => send(r, 200, { 'cache-control': 'private' }, `sp ${n}`), 300),
  });
  t.after(() => up.close());
  const gw = await startGateway({ ...config(up.url), services: [{ name: 'api', targets: [{ url: up.url }], retries: 0, max_connections: 200 }] }, { healthChecks: false });
  t.after(() => gw.close());

  const replies = await Promise.all(Array.from({ length: 100 }, () => call(gw.url, '/slow')));
  assert.equal(up.count('/slow'), 1);
  assert.ok(replies.every((r) => r.status === 200 && r.body === 'slow 1'));
  assert.equal(replies.filter((r) => /collapsed/.test(status(r))).length, 99);

  const priv = await Promise.all(Array.from({ length: 5 }, () => call(gw.url, '/slow-private')));
  assert.ok(priv.every((r) => r.status === 200));
  assert.equal(up.count('/slow-private'), 5);
});

test('proxy-cache: backend redis without gateway.redis is refused with a clear message', async () => {
  await assert.rejects(startGateway(config('http://127.0.0.1:9', { backend: 'redis' })), /backend "redis" needs gateway\.redis/);
});
