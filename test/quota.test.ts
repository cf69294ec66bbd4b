// The quota plugin end to end, on a node in store mode (SQLite, one and two workers): a plan's
// allowance admits exactly its limit however the requests spread over workers, then 429 with
// Retry-After and the RateLimit fields; usage survives a graceful restart and a kill -9 (after the
// one-second flush); the 80% and 100% events are recorded exactly once; the admin API shows usage.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expectStatus, randomToken, spawnNode, until, type NodeProcess } from './harness/node.ts';
import { get, type Reply } from './harness/http-get.ts';
import { spawnGateway } from './harness/gateway.ts';
import { request } from 'node:http';
import { startUpstream } from './harness/upstream.ts';

const LIMIT = 10;
const SUBJECT = 'subscription:acme/shipping';

function call(node: NodeProcess, path: string, key: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // A new connection each: the kernel spreads them over the workers.
    const req = request(`${node.proxyUrl}${path}`, { headers: { apikey: key }, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

const burst = (node: NodeProcess, key: string, n: number) => Promise.all(Array.from({ length: n }, () => call(node, '/metered', key)));
const statuses = (replies: Reply[]) => replies.map((r) => r.status).sort((a, b) => a - b);

function events(db: string): { type: string; subject: string; payload: Record<string, unknown> }[] {
  const sqlite = new DatabaseSync(db, { readOnly: true, timeout: 5000 });
  try {
    return (sqlite.prepare("select type, subject, payload from events where type like 'quota.%' order by id").all() as { type: string; subject: string; payload: string }[])
      .map((r) => ({ type: r.type, subject: r.subject, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  } finally {
    sqlite.close();
  }
}

async function usage(node: NodeProcess): Promise<Record<string, unknown> | undefined> {
  const r = expectStatus(await node.admin<{ data: Record<string, unknown>[] }>('GET', '/admin/quotas?consumer=acme'), 'list quotas');
  return r.body.data.find((u) => u.subject === SUBJECT);
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-quota-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

for (const workers of [1, 2]) {
  test(`quota in store mode (SQLite, ${workers} worker(s)): exactly the limit, across restarts and kill -9, events once`, { timeout: 120_000 }, async (t) => {
    const dir = tempDir(t);
    const dbFile = join(dir, 'portcullis.db');
    const db = `sqlite:${dbFile}`;
    const up = await startUpstream();
    t.after(() => up.close());
    const adminToken = randomToken(); // the same admin across restarts
    const start = () => spawnNode({ db, stateDir: join(dir, 'state'), adminToken, workers, t });
    let node = await start();
    expectStatus(await node.admin('POST', '/admin/config/apply', {
      gateway: { access_log: false, drain_timeout_ms: 2000 },
      services: [{ name: 'echo', targets: [{ url: up.url }], retries: 0 }],
      routes: [
        { name: 'metered', service: 'echo', paths: ['/metered'], plugins: [{ name: 'key-auth', config: {} }, { name: 'quota', config: { time_zone: 'UTC' } }] },
        { name: 'open', service: 'echo', paths: ['/open'], plugins: [{ name: 'key-auth', config: {} }] },
      ],
      consumers: [{ name: 'acme' }, { name: 'nosub' }],
      plans: [{ name: 'gold', quota: { period: 'month', limit: LIMIT } }],
      products: [{ name: 'shipping', services: ['echo'], plans: ['gold'], status: 'published' }],
      subscriptions: [{ consumer: 'acme', product: 'shipping', plan: 'gold' }],
    }), 'config apply');
    const key = async (consumer: string) => String(expectStatus(await node.admin('POST', '/admin/credentials', { consumer, type: 'key-auth' }), `key for ${consumer}`, 201).body.key);
    const acme = await key('acme');
    const nosub = await key('nosub');
    // Served once the unmetered route knows the key (the same snapshot as the plan and subscription).
    await until(async () => (await call(node, '/open', nosub)).status === 200 && (await call(node, '/open', acme)).status === 200, 10_000, 'the keys to be served');

    const refused = await call(node, '/metered', nosub);
    assert.equal(refused.status, 403, 'no subscription: 403');
    assert.match(refused.body, /subscription-required/);

    // 6 of 10, all at once: every worker draws on the one count.
    const first = await burst(node, acme, 6);
    assert.deepEqual(statuses(first), [200, 200, 200, 200, 200, 200]);
    const policies = first.map((r) => String(r.headers['ratelimit-policy']));
    assert.ok(policies.every((p) => p === `"quota";q=${LIMIT};w=2592000`), policies.join(' | '));
    const remaining = first.map((r) => Number(/"quota";r=(\d+);t=\d+/.exec(String(r.headers.ratelimit))?.[1])).sort((a, b) => a - b);
    assert.deepEqual(remaining, [4, 5, 6, 7, 8, 9], 'each request saw its own place in the count');
    await until(async () => (await usage(node))?.used === 6, 5000, 'the admin API to show 6 used');

    // A graceful restart: the count was flushed on the way down.
    assert.equal(await node.stop('SIGTERM'), 0);
    node = await start();
    await until(async () => (await call(node, '/open', acme)).status === 200, 10_000, 'the restarted node to serve');
    assert.deepEqual(statuses(await burst(node, acme, 2)), [200, 200], 'requests 7 and 8');
    // kill -9 once the flush (every second) has happened: nothing is lost.
    await until(async () => (await usage(node))?.used === 8, 5000, 'the count of 8 to reach the store');
    node.kill('SIGKILL');
    await node.exited;
    node = await start();
    await until(async () => (await call(node, '/open', acme)).status === 200, 10_000, 'the node to serve after kill -9');

    // 6 more at once: exactly 2 are left.
    const last = await burst(node, acme, 6);
    assert.deepEqual(statuses(last), [200, 200, 429, 429, 429, 429]);
    const nextMonth = new Date();
    const resetsAt = Date.UTC(nextMonth.getUTCFullYear(), nextMonth.getUTCMonth() + 1, 1);
    for (const r of last.filter((x) => x.status === 429)) {
      assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
      const problem = JSON.parse(r.body) as { type: string; status: number };
      assert.equal(problem.type, 'https://portcullis.dev/problems/quota-exceeded');
      const retryAfter = Number(r.headers['retry-after']);
      assert.ok(Math.abs(Date.now() + retryAfter * 1000 - resetsAt) < 5000, `Retry-After ${retryAfter} s is the time to the first of next month (UTC)`);
      assert.equal(r.headers.ratelimit, `"quota";r=0;t=${retryAfter}`);
      assert.equal(r.headers['ratelimit-policy'], `"quota";q=${LIMIT};w=2592000`);
    }
    const upstreamCalls = up.received.filter((r) => r.url.startsWith('/metered')).length;
    assert.equal(upstreamCalls, LIMIT, 'the upstream saw exactly the allowance');
    assert.equal((await call(node, '/metered', acme)).status, 429, 'refused requests consumed nothing, and nothing is left');

    // The admin API, and the events: each threshold once.
    await until(async () => events(dbFile).length === 2, 5000, 'both threshold events');
    const shown = await usage(node);
    assert.deepEqual({ ...shown, updated_at: undefined, period_start: undefined }, {
      subject: SUBJECT, consumer: 'acme', plan: 'gold', product: 'shipping', period: 'month', limit: LIMIT, used: LIMIT, remaining: 0,
      resets_at: new Date(resetsAt).toISOString(), updated_at: undefined, period_start: undefined,
    });
    const perConsumer = expectStatus(await node.admin<{ data: Record<string, unknown>[] }>('GET', '/admin/consumers/acme/quota'), 'consumer quota');
    assert.deepEqual(perConsumer.body.data.map((u) => [u.subject, u.used, u.remaining]), [[SUBJECT, LIMIT, 0]]);
    assert.equal((await node.admin('GET', '/admin/consumers/nobody/quota')).status, 404);
    const recorded = events(dbFile);
    assert.deepEqual(recorded.map((e) => [e.type, e.subject, e.payload.threshold]), [['quota.warning', SUBJECT, 80], ['quota.exhausted', SUBJECT, 100]]);
    assert.equal(recorded[1]!.payload.resets_at, new Date(resetsAt).toISOString());
    assert.equal(recorded[0]!.payload.plan, 'gold');

    const metrics = await node.metrics();
    assert.match(metrics, /portcullis_quota_requests_total\{service="echo",outcome="exceeded"\} [1-9]/);
    assert.doesNotMatch(metrics, /portcullis_quota_requests_total\{[^}]*acme/, 'no consumer names in labels');
  });
}

test('two workers, a busy consumer (DB-less): quota leases keep the allowance exact, most requests decided in the workers', async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  const gw = await spawnGateway({
    gateway: { access_log: false },
    services: [{ name: 'echo', targets: [{ url: up.url }], retries: 0 }],
    consumers: [{ name: 'guest' }],
    routes: [{ name: 'm', service: 'echo', paths: ['/'], plugins: [{ name: 'key-auth', config: { anonymous: 'guest' } }, { name: 'quota', config: { source: 'config', period: 'month', limit: 600 } }] }],
  }, { workers: 2 });
  t.after(() => gw.stop());
  const hammer = async (n: number) => {
    const out: number[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => { while (next++ < n) out.push((await get(`${gw.url}/x`)).status); }));
    return out.reduce<Record<number, number>>((acc, s) => { acc[s] = (acc[s] ?? 0) + 1; return acc; }, {});
  };
  assert.deepEqual(await hammer(600), { 200: 600 });
  const leased = Number(/^portcullis_counter_leased_total (\d+)$/m.exec((await get(`${gw.adminUrl}/metrics`)).body)?.[1]);
  assert.ok(leased >= 200, `most requests were decided from leases, without asking the supervisor (${leased} of 600)`);
  assert.deepEqual(await hammer(200), { 429: 200 }, 'the allowance is used up exactly: every lease came back before a refusal');
  assert.equal(up.received.length, 600, 'the upstream saw exactly the allowance');
});
