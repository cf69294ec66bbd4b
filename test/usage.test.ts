// Usage metering end to end, on a real node (store mode, two gateway workers) in front of a real
// upstream: N calls are counted once each with their consumer, credential, product, plan, service,
// route and status after a flush; roll-ups feed the hourly, daily and monthly series; the admin
// analytics API answers (JSON and CSV, top consumers, quotas near their limit) — on SQLite and on
// Postgres. Then the loss bounds: SIGTERM mid-traffic loses no completed call, kill -9 loses at
// most the calls of the last hand-off + flush window.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expectStatus, randomToken, spawnNode, until, type NodeProcess } from './harness/node.ts';
import { createTestDatabase, onCi, POSTGRES_ENV, postgresUrl } from './harness/postgres.ts';
import { echoHandler, startUpstream, type Upstream } from './harness/upstream.ts';

/** Short intervals so the test waits little; the loss bound below is computed from them. */
const FLUSH_MS = 300;
const HANDOFF_MS = Math.min(1000, FLUSH_MS);
const USAGE_ENV = { PORTCULLIS_USAGE_FLUSH_MS: String(FLUSH_MS), PORTCULLIS_USAGE_ROLLUP_MS: '300' };

interface Point { start: string; calls: number; errors_4xx: number; errors_5xx: number; bytes_in: number; bytes_out: number; latency_p50_ms?: number; latency_p99_ms?: number }
interface Series { granularity: string; from: string; to: string; points: Point[] }

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-usage-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An upstream that answers 404 under /labels/missing and echoes everything else. */
const startCarrier = (): Promise<Upstream> => startUpstream((req, res, body) => {
  if (req.url?.startsWith('/labels/missing')) {
    res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '9' });
    res.end('not found');
    return;
  }
  echoHandler(req, res, body);
});

/** One call on a new connection (the kernel spreads them over the workers); resolves with the status. */
function call(node: NodeProcess, path: string, key?: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = key ? { apikey: key } : {};
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const req = request(`${node.proxyUrl}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

async function setUp(node: NodeProcess, up: Upstream): Promise<{ key: string; credential: string }> {
  expectStatus(await node.admin('POST', '/admin/config/apply', {
    gateway: { access_log: false, drain_timeout_ms: 5000 },
    services: [{ name: 'carrier', targets: [{ url: up.url }], retries: 0 }],
    routes: [
      { name: 'labels', service: 'carrier', paths: ['/labels'], plugins: [{ name: 'key-auth', config: {} }, { name: 'quota', config: { time_zone: 'UTC' } }] },
      { name: 'open', service: 'carrier', paths: ['/open'] },
    ],
    consumers: [{ name: 'acme' }],
    plans: [{ name: 'pro', quota: { period: 'month', limit: 30 } }],
    products: [{ name: 'shipping', services: ['carrier'], plans: ['pro'], status: 'published' }],
    subscriptions: [{ consumer: 'acme', product: 'shipping', plan: 'pro' }],
  }), 'config apply');
  const created = expectStatus(await node.admin<{ id: string; key: string }>('POST', '/admin/credentials', { consumer: 'acme', type: 'key-auth' }), 'key', 201).body;
  await until(async () => (await call(node, '/open')) === 200 && (await call(node, '/labels/ping', created.key)) === 200, 15_000, 'the key to be served');
  return { key: created.key, credential: created.id };
}

async function series(node: NodeProcess, query: string): Promise<Series> {
  return expectStatus(await node.admin<Series>('GET', `/admin/analytics/traffic?${query}`), `traffic ${query}`).body;
}
const total = (s: Series) => s.points.reduce((n, p) => n + p.calls, 0);
const todayRange = () => {
  const now = Date.now();
  return `from=${new Date(now - 3_600_000).toISOString()}&to=${new Date(now + 3_600_000).toISOString()}`;
};

async function meteringScenario(t: TestContext, db: string, workers = 2): Promise<void> {
  const up = await startCarrier();
  t.after(() => up.close());
  const node = await spawnNode({ db, workers, env: USAGE_ENV, t });
  const { key, credential } = await setUp(node, up);
  // The set-up's own calls (one or more /labels/ping) are in the minute rows too: count from there.
  await until(async () => total(await series(node, `granularity=minute&consumer=acme&${todayRange()}`)) > 0, 15_000, 'the set-up calls to be written');
  await new Promise((r) => setTimeout(r, 3 * FLUSH_MS));
  const before = total(await series(node, `granularity=minute&consumer=acme&${todayRange()}`));
  const refusedBefore = total(await series(node, `granularity=minute&route=labels&status_class=4xx&${todayRange()}`));

  const N = 20;
  const statuses = await Promise.all([
    ...Array.from({ length: N }, () => call(node, '/labels/ok', key, 'x'.repeat(10))),
    ...Array.from({ length: 4 }, () => call(node, '/labels/missing', key)),
    call(node, '/labels/ok', 'not-a-key'),
  ]);
  assert.deepEqual(statuses.filter((s) => s === 200).length, N);
  assert.deepEqual(statuses.filter((s) => s === 404).length, 4);
  assert.deepEqual(statuses.filter((s) => s === 401).length, 1);

  const range = todayRange();
  let seen = -1;
  await until(async () => (seen = total(await series(node, `granularity=minute&consumer=acme&${range}`))) === before + N + 4, 15_000, 'the calls to reach the store').catch((err: Error) => { throw new Error(`${err.message}: ${seen} counted, ${before} + ${N + 4} expected\n${node.logs().slice(-3000)}`); });
  // Give a late duplicate the chance to show up: the count must stay exact.
  await new Promise((r) => setTimeout(r, 3 * FLUSH_MS));
  const acme = await series(node, `granularity=minute&consumer=acme&${range}`);
  assert.equal(total(acme), before + N + 4, 'each call counted exactly once');
  const dims = await series(node, `granularity=minute&consumer=acme&service=carrier&route=labels&product=shipping&plan=pro&${range}`);
  assert.equal(total(dims), before + N + 4, 'consumer, service, route, product and plan recorded');
  const notFound = await series(node, `granularity=minute&consumer=acme&status_class=4xx&${range}`);
  assert.equal(total(notFound), 4);
  assert.equal(notFound.points.reduce((n, p) => n + p.errors_4xx, 0), 4);
  assert.ok(acme.points.reduce((n, p) => n + p.bytes_in, 0) >= N * 10, 'request bytes counted');
  assert.ok(acme.points.reduce((n, p) => n + p.bytes_out, 0) > 0, 'response bytes counted');
  assert.ok(acme.points.every((p) => typeof p.latency_p50_ms === 'number' && p.latency_p99_ms! >= p.latency_p50_ms), 'percentiles from the histograms');
  // The unauthenticated call counts without a consumer (on the route it was refused on).
  const refused = await series(node, `granularity=minute&route=labels&status_class=4xx&${range}`);
  assert.equal(total(refused) - refusedBefore, 4 + 1);

  // Roll-ups (the worker role, every 300 ms here): hour, day and month series agree with the minutes.
  for (const g of ['hour', 'day', 'month']) {
    await until(async () => total(await series(node, `granularity=${g}&consumer=acme&${range}`)) === before + N + 4, 15_000, `the ${g} roll-up`);
  }

  const top = expectStatus(await node.admin<{ data: { consumer: string; calls: number }[] }>('GET', `/admin/analytics/top-consumers?${range}&limit=5`), 'top').body;
  assert.deepEqual(top.data.map((c) => [c.consumer, c.calls]), [['acme', before + N + 4]]);
  const csv = await node.admin<string>('GET', `/admin/analytics/traffic?granularity=hour&consumer=acme&format=csv&${range}`);
  assert.equal(csv.status, 200);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  assert.match(csv.body, new RegExp(`^start,calls,.*\\r\\n[0-9T:.Z-]+,${before + N + 4},4,0,`));

  // The plan allows 30 calls a month: ≥ 80 % used puts the subscription on the near-limit list.
  const nearLimit = async () => expectStatus(await node.admin<{ data: { subject: string; used: number; percent_used: number }[] }>('GET', '/admin/analytics/quota-near-limit'), 'near limit').body.data;
  await until(async () => (await nearLimit()).some((q) => q.subject === 'subscription:acme/shipping'), 10_000, 'the subscription near its limit');
  const near = (await nearLimit()).find((q) => q.subject === 'subscription:acme/shipping')!;
  assert.ok(near.used >= 24 && near.percent_used === Math.round((near.used * 10_000) / 30) / 100, JSON.stringify(near));
  assert.deepEqual((await node.admin<{ data: unknown[] }>('GET', '/admin/analytics/quota-near-limit?threshold=100')).body.data, []);

  // Refusals: a bad range, an unknown granularity, no token.
  assert.equal((await node.admin('GET', '/admin/analytics/traffic?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z')).status, 400);
  assert.equal((await node.admin('GET', '/admin/analytics/traffic?granularity=week')).status, 400);
  assert.equal((await node.admin('GET', '/admin/analytics/traffic?granularity=minute&from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z')).status, 400, 'too many points');
  assert.equal((await node.admin('GET', '/admin/analytics/traffic', undefined, { authorization: 'Bearer nope' })).status, 401);

  if (db.startsWith('sqlite:')) {
    // The credential dimension (not an API filter): the key's id on every authenticated row.
    const sqlite = new DatabaseSync(db.slice('sqlite:'.length), { readOnly: true, timeout: 5000 });
    try {
      const rows = sqlite.prepare("select credential, sum(calls) as calls from usage_minute where consumer = 'acme' group by credential").all() as { credential: string; calls: number }[];
      assert.deepEqual(rows.map((r) => [r.credential, Number(r.calls)]), [[credential, before + N + 4]]);
    } finally {
      sqlite.close();
    }
  }
  assert.equal(await node.stop('SIGTERM'), 0);
}

for (const workers of [2, 1]) {
  // Two workers: aggregates travel over IPC; one: the gateway runs in the supervisor, read directly.
  test(`usage metering on SQLite (${workers} worker(s)): counted once each with their dimensions, rolled up, the analytics API`, { timeout: 120_000 }, async (t) => {
    await meteringScenario(t, `sqlite:${join(tempDir(t), 'portcullis.db')}`, workers);
  });
}

test('usage metering on Postgres: the same', { timeout: 120_000, skip: postgresUrl() === undefined && !onCi() ? `${POSTGRES_ENV} is not set` : false }, async (t) => {
  assert.ok(postgresUrl(), `${POSTGRES_ENV} is not set: CI must run the Postgres usage test`);
  const database = await createTestDatabase();
  t.after(() => database.drop());
  await meteringScenario(t, database.url);
});

/** Calls to the metered route as fast as `clients` sequential clients go, until told to stop or the node stops answering. */
function traffic(node: NodeProcess, key: string, clients: number): { completed(): number; stop(): void; done: Promise<{ completed: number[]; attempted: number; errors: string[] }> } {
  const state = { stopped: false };
  const completed: number[] = [];
  let attempted = 0;
  const errors: string[] = [];
  const loop = async () => {
    while (!state.stopped) {
      attempted++;
      try {
        await call(node, '/labels/ok', key);
        completed.push(Date.now());
      } catch (err) {
        errors.push((err as Error).message);
        return; // refused or reset: the node is going away
      }
    }
  };
  const done = Promise.all(Array.from({ length: clients }, loop)).then(() => ({ completed, attempted, errors }));
  return { completed: () => completed.length, stop: () => { state.stopped = true; }, done };
}

function countedCalls(dbFile: string): number {
  const sqlite = new DatabaseSync(dbFile, { readOnly: true, timeout: 5000 });
  try {
    const row = sqlite.prepare("select coalesce(sum(calls), 0) as calls from usage_minute where consumer = 'acme' and route = 'labels'").get() as { calls: number };
    return Number(row.calls);
  } finally {
    sqlite.close();
  }
}

test('SIGTERM mid-traffic: every completed call is counted', { timeout: 120_000 }, async (t) => {
  const dbFile = join(tempDir(t), 'portcullis.db');
  const up = await startCarrier();
  t.after(() => up.close());
  const node = await spawnNode({ db: `sqlite:${dbFile}`, workers: 2, env: USAGE_ENV, adminToken: randomToken(), t });
  const { key } = await setUp(node, up);
  const setUpCalls = await (async () => {
    await until(async () => countedCalls(dbFile) > 0, 10_000, 'the set-up calls to be written');
    await new Promise((r) => setTimeout(r, 3 * FLUSH_MS));
    return countedCalls(dbFile);
  })();
  const load = traffic(node, key, 4);
  // (Most of these are 429s once the plan's 30 calls are used: they are calls all the same.)
  await until(() => load.completed() > 100, 20_000, 'traffic to flow');
  const exit = node.stop('SIGTERM', 30_000);
  load.stop();
  const { completed, attempted } = await load.done;
  assert.equal(await exit, 0);
  const counted = countedCalls(dbFile) - setUpCalls;
  assert.ok(completed.length > 0);
  assert.ok(counted >= completed.length, `every completed call counted: ${counted} counted, ${completed.length} completed`);
  assert.ok(counted <= attempted, `nothing counted twice: ${counted} counted, ${attempted} attempted`);
});

test('kill -9: at most the calls of the last hand-off + flush window are lost', { timeout: 120_000 }, async (t) => {
  const dbFile = join(tempDir(t), 'portcullis.db');
  const up = await startCarrier();
  t.after(() => up.close());
  const node = await spawnNode({ db: `sqlite:${dbFile}`, workers: 2, env: USAGE_ENV, t });
  const { key } = await setUp(node, up);
  await until(async () => countedCalls(dbFile) > 0, 10_000, 'the set-up calls to be written');
  await new Promise((r) => setTimeout(r, 3 * FLUSH_MS));
  const setUpCalls = countedCalls(dbFile);
  const load = traffic(node, key, 2);
  // Long enough that many calls are older than the loss window when the node dies.
  await new Promise((r) => setTimeout(r, 4000));
  const killedAt = Date.now();
  node.kill('SIGKILL');
  load.stop();
  await node.exited;
  const { completed, attempted } = await load.done;
  // A call is handed over within HANDOFF_MS and written within FLUSH_MS after that; the write
  // itself may take a moment on a busy machine: 2 s of slack.
  const LOSS_WINDOW_MS = HANDOFF_MS + FLUSH_MS + 2000;
  const mustBeCounted = completed.filter((at) => at <= killedAt - LOSS_WINDOW_MS).length;
  const counted = countedCalls(dbFile) - setUpCalls;
  assert.ok(mustBeCounted > 0, 'the test ran long enough to mean something');
  assert.ok(counted >= mustBeCounted, `calls completed more than ${LOSS_WINDOW_MS} ms before the kill are all counted: ${counted} counted, ${mustBeCounted} required (${completed.length} completed)`);
  assert.ok(counted <= attempted, `nothing counted twice: ${counted} counted, ${attempted} attempted`);
  t.diagnostic(`kill -9: ${completed.length} completed, ${counted} counted, ${completed.length - counted} lost (bound: calls of the last ${LOSS_WINDOW_MS} ms)`);
});
