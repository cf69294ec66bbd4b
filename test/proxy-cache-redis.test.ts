// proxy-cache with the Redis backend through real gateway processes: a response one node stored is
// a hit on another; a Redis outage makes
// the cache a pass-through (misses), never an error, and it caches again once Redis is back.
import { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnGateway, waitFor, type GatewayProcess } from './harness/gateway.ts';
import { send } from './harness/http-get.ts';

// Behind a load balancer every node sees the same Host, which is part of the cache key.
const get = (url: string) => send(url, { headers: { host: 'api.example.com' } });
import { testWithRedis } from './harness/redis.ts';
import { startUpstream } from './harness/upstream.ts';

async function gateway(t: TestContext, raw: Record<string, unknown>): Promise<GatewayProcess> {
  const gw = await spawnGateway(raw);
  t.after(() => gw.stop());
  return gw;
}

testWithRedis('two nodes share one Redis cache; Redis down is a miss, not an error', async (t, redis) => {
  let served = 0;
  const up = await startUpstream((req, res) => {
    served++;
    res.setHeader('cache-control', 'public, max-age=300');
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-tag', 'rates');
    res.end(JSON.stringify({ path: req.url, n: served }));
  });
  t.after(() => up.close());
  const raw = {
    gateway: { redis: { url: redis.url, command_timeout_ms: 200, key_prefix: `c${Date.now()}:` } },
    services: [{ name: 's', targets: [{ url: up.url }] }],
    routes: [{ name: 'r', service: 's', paths: ['/'], plugins: [{ name: 'proxy-cache', config: { backend: 'redis' } }] }],
  };
  const [a, b] = await Promise.all([gateway(t, raw), gateway(t, raw)]);

  // Both nodes connected to Redis (each one's first request may find it still connecting).
  await waitFor(async () => /hit/.test(String((await get(`${a.url}/warm`)).headers['cache-status'])), 5000, 'node a caching');
  await waitFor(async () => /hit/.test(String((await get(`${b.url}/warm`)).headers['cache-status'])), 5000, 'node b caching');
  const warmups = served;
  // The first node's miss fills Redis (the write completes after the response: wait for its own hit).
  const first = await get(`${a.url}/rates`);
  assert.equal(first.status, 200);
  assert.match(String(first.headers['cache-status']), /fwd=uri-miss/);
  await waitFor(async () => /hit/.test(String((await get(`${a.url}/rates`)).headers['cache-status'])), 5000, 'stored');
  const hit = await get(`${b.url}/rates`);
  assert.match(String(hit.headers['cache-status']), /hit/, 'the other node hits what the first stored');
  assert.equal(hit.body, first.body, 'the stored body, byte for byte');
  assert.equal(served - warmups, 1, 'one upstream request for both nodes');

  // Redis down: both nodes pass requests through (misses), no 5xx.
  await redis.stop();
  const during = await Promise.all([get(`${a.url}/rates`), get(`${b.url}/rates`), get(`${a.url}/other`)]);
  assert.deepEqual(during.map((r) => r.status), [200, 200, 200]);
  for (const r of during) assert.doesNotMatch(String(r.headers['cache-status']), /;\s*hit/);

  // Back: the (empty) Redis is filled again, and the other node hits.
  await redis.start();
  await waitFor(async () => (await get(`${a.url}/again`)).status === 200 && /hit/.test(String((await get(`${b.url}/again`)).headers['cache-status'])), 10_000, 'caching again after Redis returned');
});
