// rate-limiting against real gateway processes: exact across the workers of one node (counted in
// the supervisor), exact across three nodes on one real Redis, and the fail-open / fail-closed
// policies while Redis is down, with counting back on Redis once it returns.
import { execFileSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnGateway, waitFor, type GatewayProcess } from './harness/gateway.ts';
import { get, type Reply } from './harness/http-get.ts';
import { testWithRedis } from './harness/redis.ts';
import { startUpstream } from './harness/upstream.ts';

async function upstream(t: TestContext) {
  const up = await startUpstream((_req, res) => { res.setHeader('content-type', 'text/plain'); res.end('ok'); });
  t.after(() => up.close());
  return up;
}

function config(target: string, routes: { name: string; path: string; plugin: Record<string, unknown> }[], redisUrl?: string): Record<string, unknown> {
  return {
    ...(redisUrl ? { gateway: { redis: { url: redisUrl, command_timeout_ms: 200, key_prefix: `t${Date.now()}:` } } } : {}),
    services: [{ name: 's', targets: [{ url: target }], retries: 0 }],
    routes: routes.map((r) => ({ name: r.name, service: 's', paths: [r.path], plugins: [{ name: 'rate-limiting', config: r.plugin }] })),
  };
}

async function start(t: TestContext, raw: Record<string, unknown>, workers = 1): Promise<GatewayProcess> {
  const gw = await spawnGateway(raw, { workers });
  t.after(() => gw.stop());
  return gw;
}

/** `n` requests from `clients` concurrent clients spread over the given gateways. */
async function hammer(urls: string[], n: number, clients = 24): Promise<Reply[]> {
  const replies: Reply[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < n) {
      const i = next++;
      replies.push(await get(urls[i % urls.length]!));
    }
  }));
  return replies;
}

const statuses = (replies: Reply[]) => replies.reduce<Record<number, number>>((acc, r) => { acc[r.status] = (acc[r.status] ?? 0) + 1; return acc; }, {});

test('one node, two workers: exactly the limit passes, the rest get 429 problems with Retry-After and RateLimit fields', async (t) => {
  const up = await upstream(t);
  const gw = await start(t, config(up.url, [{ name: 'r', path: '/', plugin: { limits: [{ window: 'hour', limit: 40 }, { window: 'day', limit: 1000 }], limit_by: 'ip' } }]), 2);
  const replies = await hammer([`${gw.url}/x`], 100);
  assert.deepEqual(statuses(replies), { 200: 40, 429: 60 });
  const ok = replies.find((r) => r.status === 200)!;
  assert.equal(ok.headers['ratelimit-policy'], '"hour";q=40;w=3600, "day";q=1000;w=86400');
  assert.match(String(ok.headers['ratelimit']), /^"hour";r=\d+;t=\d+, "day";r=\d+;t=\d+$/);
  const refused = replies.find((r) => r.status === 429)!;
  assert.equal(refused.headers['content-type'], 'application/problem+json');
  assert.equal(JSON.parse(refused.body).type, 'https://portcullis.dev/problems/rate-limited');
  assert.ok(Number(refused.headers['retry-after']) >= 1);
  assert.match(String(refused.headers['ratelimit']), /^"hour";r=0;t=\d+, "day";r=960;t=\d+$/, 'refused requests are not counted: the day window saw 40');
  assert.equal(up.received.length, 40, 'the upstream saw exactly the allowed requests');
});

test('one node, two workers, a busy key: leases let workers admit without asking, and exactly the limit passes', async (t) => {
  const up = await upstream(t);
  const gw = await start(t, config(up.url, [{ name: 'r', path: '/', plugin: { limits: [{ window: 'hour', limit: 600 }], limit_by: 'ip' } }]), 2);
  const admitted = await hammer([`${gw.url}/x`], 600, 32);
  assert.deepEqual(statuses(admitted), { 200: 600 });
  const workers = new Set(gw.output().split('\n').filter((l) => l.includes('"status":200')).map((l) => (JSON.parse(l) as { worker?: number }).worker));
  assert.equal(workers.size, 2, `both workers admitted requests (${[...workers].join(', ')})`);
  const metrics = (await get(`${gw.adminUrl}/metrics`)).body;
  const leased = Number(/^portcullis_counter_leased_total (\d+)$/m.exec(metrics)?.[1]);
  assert.ok(leased >= 300, `most admissions were decided from leases, without asking the supervisor (${leased} of 600)`);
  // Past the limit: refused only once every lease is back, so exactly the limit passed.
  const refused = await hammer([`${gw.url}/x`], 300, 32);
  assert.deepEqual(statuses(refused), { 429: 300 });
  assert.equal(up.received.length, 600, 'the upstream saw exactly the allowed requests');
  assert.match(String(refused.at(-1)!.headers['ratelimit']), /^"hour";r=0;t=\d+$/);
});

test('a worker killed while it holds leases: the node never admits more than the limit, and keeps serving', async (t) => {
  const up = await upstream(t);
  const gw = await start(t, config(up.url, [{ name: 'r', path: '/', plugin: { limits: [{ window: 'hour', limit: 400 }], limit_by: 'ip' } }]), 2);
  assert.deepEqual(statuses(await hammer([`${gw.url}/x`], 200, 32)), { 200: 200 });
  const pids = execFileSync('pgrep', ['-P', String(gw.child.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
  assert.equal(pids.length, 2);
  process.kill(pids[0]!, 'SIGKILL');
  await waitFor(() => /gateway worker died; replacing it/.test(gw.output()), 5000, 'the supervisor noticed');
  await waitFor(async () => (await get(`${gw.adminUrl}/health`)).status === 200, 10_000, 'the node is healthy again');
  const after = statuses(await hammer([`${gw.url}/x`], 400, 32));
  const admitted = 200 + (after[200] ?? 0);
  t.diagnostic(`admitted ${admitted} of 400 after the kill`);
  // What the dead worker held and had not used stays counted (it may have used it): at most that is lost.
  assert.ok(admitted <= 400, `never more than the limit (${admitted})`);
  // A lease is at most the room over twice the workers: the dead worker held at most 100 of 400.
  assert.ok(admitted >= 400 - 100, `at most one lease's units lost with the worker (${admitted})`);
  assert.equal(up.received.length, admitted, 'the upstream saw exactly the admitted requests');
  assert.equal((after[200] ?? 0) + (after[429] ?? 0), 400, 'every other request was refused with 429, none failed');
});

testWithRedis('three nodes on one Redis: exactly the limit passes across all of them', async (t, redis) => {
  const up = await upstream(t);
  const raw = config(up.url, [{ name: 'r', path: '/', plugin: { limits: [{ window: 'hour', limit: 75 }], limit_by: 'ip', backend: 'redis', fail: 'closed' } }], redis.url);
  const nodes = await Promise.all([start(t, raw), start(t, raw), start(t, raw)]);
  const replies = await hammer(nodes.map((n) => `${n.url}/x`), 200, 30);
  assert.deepEqual(statuses(replies), { 200: 75, 429: 125 });
  assert.equal(up.received.length, 75);
});

testWithRedis('Redis down: fail-closed routes answer 503, fail-open routes count per node; both recover when Redis returns', async (t, redis) => {
  const up = await upstream(t);
  const raw = config(up.url, [
    { name: 'closed', path: '/closed', plugin: { limits: [{ window: 'hour', limit: 4 }], limit_by: 'ip', backend: 'redis', fail: 'closed' } },
    { name: 'open', path: '/open', plugin: { limits: [{ window: 'hour', limit: 3 }], limit_by: 'ip', backend: 'redis', fail: 'open' } },
  ], redis.url);
  const [a, b] = await Promise.all([start(t, raw), start(t, raw)]);
  // Up: one count shared by both nodes.
  assert.deepEqual(statuses(await hammer([`${a.url}/closed`, `${b.url}/closed`], 6, 1)), { 200: 4, 429: 2 });

  await redis.stop();
  const closed = await get(`${a.url}/closed`);
  assert.equal(closed.status, 503);
  assert.equal(JSON.parse(closed.body).type, 'https://portcullis.dev/problems/rate-limit-unavailable');
  assert.equal(closed.headers['retry-after'], '1');
  // fail-open: each node now enforces the limit on its own count.
  assert.deepEqual(statuses(await hammer([`${a.url}/open`], 5, 1)), { 200: 3, 429: 2 });
  assert.deepEqual(statuses(await hammer([`${b.url}/open`], 5, 1)), { 200: 3, 429: 2 });
  for (const node of [a, b]) {
    const metrics = await get(`${node.adminUrl}/metrics`);
    assert.match(metrics.body, /portcullis_counter_backend_errors_total\{backend="redis",reason="(unavailable|error)"\} [1-9]/);
  }
  const warned = a.output().split('\n').filter((l) => l.includes('rate-limit counter unavailable'));
  assert.equal(warned.length, 1, 'one log line per outage, not one per request');

  await redis.start();
  // The restarted Redis is empty: counting there again means 4 more on /closed across both nodes.
  // Each node polled on its own until it serves: only a 200 counts (a 503 consumes nothing), so
  // exactly one count per node is spent here, however long either takes to reconnect.
  await waitFor(async () => (await get(`${a.url}/closed`)).status === 200, 15_000, 'fail-closed route serving again on node a');
  await waitFor(async () => (await get(`${b.url}/closed`)).status === 200, 15_000, 'fail-closed route serving again on node b');
  assert.deepEqual(statuses(await hammer([`${a.url}/closed`, `${b.url}/closed`], 4, 1)), { 200: 2, 429: 2 }, 'counting is shared on Redis again');
  assert.ok(a.output().includes('rate-limit counter recovered'));
});

testWithRedis('Redis hung (SIGSTOP): fail-closed answers 503 within the command timeout instead of waiting', async (t, redis) => {
  const up = await upstream(t);
  const raw = config(up.url, [{ name: 'closed', path: '/', plugin: { limits: [{ window: 'hour', limit: 100 }], limit_by: 'ip', backend: 'redis', fail: 'closed' } }], redis.url);
  const gw = await start(t, raw);
  assert.equal((await get(`${gw.url}/x`)).status, 200);
  redis.pause();
  t.after(() => redis.resume());
  const replies = await Promise.all(Array.from({ length: 10 }, () => get(`${gw.url}/x`, false, 5000)));
  assert.deepEqual(statuses(replies), { 503: 10 });
  redis.resume();
  await waitFor(async () => (await get(`${gw.url}/x`)).status === 200, 5000, 'serving again after Redis resumed');
});

test('answers a plugin makes carry the RateLimit fields too: a cache hit, and the 429 itself', async (t) => {
  const up = await startUpstream((_req, res) => { res.setHeader('cache-control', 'public, max-age=60'); res.setHeader('content-type', 'text/plain'); res.end('ok'); });
  t.after(() => up.close());
  const gw = await start(t, {
    services: [{ name: 's', targets: [{ url: up.url }] }],
    routes: [{ name: 'r', service: 's', paths: ['/'], plugins: [
      { name: 'rate-limiting', config: { limits: [{ window: 'hour', limit: 3 }], limit_by: 'ip' } },
      { name: 'proxy-cache', config: {} },
    ] }],
  });
  const replies = await hammer([`${gw.url}/c`], 4, 1);
  assert.deepEqual(replies.map((r) => r.status), [200, 200, 200, 429]);
  assert.match(String(replies[1]!.headers['cache-status']), /hit/);
  assert.deepEqual(replies.map((r) => r.headers['ratelimit']?.toString().replace(/;t=\d+/, '')), ['"hour";r=2', '"hour";r=1', '"hour";r=0', '"hour";r=0']);
  assert.equal(up.received.length, 1, 'hits are counted against the limit but never reach the upstream');
});
