// API versions through a real gateway process: each selector (path, header, query, media type)
// reaches its own upstream, requests naming no version go to the default one, a deprecated
// version's answers carry exact Deprecation/Sunset/Link headers (errors too), and a version past
// its sunset answers 410 version-sunset without reaching its upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { service, spawnGateway } from './harness/gateway.ts';
import { namedUpstream } from './harness/node.ts';

test('versions by path, header, query and media type; default; lifecycle headers; 410 after sunset', { timeout: 60_000 }, async (t) => {
  const names = ['v1', 'v2', 'v3', 'old'] as const;
  const ups = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await namedUpstream(n)] as const)));
  t.after(() => Promise.all(Object.values(ups).map((u) => u.close())));
  const deprecated = { deprecated_at: '2025-01-01T00:00:00Z', sunset_at: '2099-06-30T23:59:59Z', link: 'https://docs.example.com/v1-to-v2' };
  const gw = await spawnGateway({
    services: names.map((n) => service(n, [ups[n]!.url])),
    routes: [
      // Path versions.
      { name: 'p1', service: 'v1', paths: ['/v1/orders'], version: { name: '1', by: 'path', ...deprecated } },
      { name: 'p2', service: 'v2', paths: ['/v2/orders'], version: { name: '2', by: 'path' } },
      // Header versions with a default.
      { name: 'h1', service: 'v1', paths: ['/orders'], version: { name: '1', by: 'header', default: true, ...deprecated } },
      { name: 'h2', service: 'v2', paths: ['/orders'], version: { name: '2', by: 'header' } },
      // Query versions.
      { name: 'q2', service: 'v2', paths: ['/items'], version: { name: '2', by: 'query' } },
      { name: 'q3', service: 'v3', paths: ['/items'], version: { name: '3', by: 'query', default: true } },
      // Media-type versions.
      { name: 'm2', service: 'v2', paths: ['/carts'], version: { name: '2', by: 'media-type', media_type: 'application/vnd.example.v{version}+json', default: true } },
      { name: 'm3', service: 'v3', paths: ['/carts'], version: { name: '3', by: 'media-type', media_type: 'application/vnd.example.v{version}+json' } },
      // A retired version (and one whose request is refused by a plugin, to see the headers on errors).
      { name: 'gone', service: 'old', paths: ['/legacy'], version: { name: '0', by: 'path', deprecated_at: '2020-01-01T00:00:00Z', sunset_at: '2021-01-01T00:00:00Z', link: 'https://docs.example.com/legacy' } },
      { name: 'refused', service: 'v1', paths: ['/v1/refused'], version: { name: '1', by: 'path', ...deprecated }, plugins: [{ name: 'request-termination', config: { status_code: 503, message: 'down' } }] },
    ],
  });
  t.after(() => gw.stop());
  const call = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gw.url}${path}`, { headers });
    return { status: res.status, body: await res.text(), headers: res.headers };
  };

  assert.equal((await call('/v1/orders')).body, 'v1');
  assert.equal((await call('/v2/orders')).body, 'v2');
  assert.equal((await call('/orders', { 'api-version': '2' })).body, 'v2');
  assert.equal((await call('/orders', { 'API-Version': '1' })).body, 'v1');
  assert.equal((await call('/orders')).body, 'v1', 'no version named: the default');
  assert.equal((await call('/orders', { 'api-version': '7' })).status, 404);
  assert.equal((await call('/items?version=2')).body, 'v2');
  assert.equal((await call('/items?x=1')).body, 'v3');
  assert.equal((await call('/carts', { accept: 'application/vnd.example.v3+json' })).body, 'v3');
  assert.equal((await call('/carts', { accept: 'application/json' })).body, 'v2');

  // The deprecated version: exact lifecycle headers, on proxied answers and on plugin answers.
  const expected = { deprecation: '@1735689600', sunset: 'Tue, 30 Jun 2099 23:59:59 GMT', link: '<https://docs.example.com/v1-to-v2>; rel="deprecation"' };
  for (const r of [await call('/orders'), await call('/v1/orders'), await call('/v1/refused')]) {
    assert.deepEqual({ deprecation: r.headers.get('deprecation'), sunset: r.headers.get('sunset'), link: r.headers.get('link') }, expected);
  }
  assert.equal((await call('/v1/refused')).status, 503);
  const current = await call('/v2/orders');
  assert.deepEqual([current.headers.get('deprecation'), current.headers.get('sunset'), current.headers.get('link')], [null, null, null]);

  // After the sunset: 410 problem+json with the Link, and the upstream is never called.
  const gone = await call('/legacy/anything');
  assert.equal(gone.status, 410);
  assert.equal(gone.headers.get('content-type'), 'application/problem+json');
  assert.equal((JSON.parse(gone.body) as { type: string }).type, 'https://portcullis.dev/problems/version-sunset');
  assert.equal(gone.headers.get('link'), '<https://docs.example.com/legacy>; rel="deprecation"');
  assert.equal(gone.headers.get('sunset'), 'Fri, 01 Jan 2021 00:00:00 GMT');
  assert.equal(gone.headers.get('deprecation'), '@1577836800');
  assert.equal(ups.old!.received.length, 0);
});

test('an ambiguous version config is refused at start with a pointer', { timeout: 30_000 }, async () => {
  const up = await namedUpstream('x');
  try {
    await assert.rejects(spawnGateway({
      services: [service('s', [up.url])],
      routes: [
        { name: 'a', service: 's', paths: ['/o'], version: { name: '1', by: 'header', default: true } },
        { name: 'b', service: 's', paths: ['/o'], version: { name: '2', by: 'header', default: true } },
      ],
    }), /routes\[1\]\.version\.default|routes\/1\/version\/default/);
  } finally {
    await up.close();
  }
});
