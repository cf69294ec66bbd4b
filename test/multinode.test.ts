// Two nodes on one Postgres database (started at the same time on a fresh database: migrations and
// the first-admin bootstrap must not clash). A change made through either node's admin API is
// served by both proxies within 1 s (LISTEN/NOTIFY), under load, without a failed request; both
// report the same config_revision on /ready and in /metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { createTestDatabase, onCi, POSTGRES_ENV, postgresUrl } from './harness/postgres.ts';
import { analyseSwitch, baseDocument, behaviourOf, expectStatus, metricValue, namedUpstream, probe, randomToken, spawnNode, startLoad, until, type AdminReply, type NodeProcess } from './harness/node.ts';

const TEST_TIMEOUT = 120_000;
/** The bar: a write on one node is served by every node within 1 s of its response. */
const WITHIN_MS = 1000;

async function sameRevision(nodes: readonly NodeProcess[]): Promise<number> {
  let revision = -1;
  await until(async () => {
    const revisions = await Promise.all(nodes.map(async (n) => (await n.ready()).config_revision));
    revision = revisions[0] ?? -1;
    return revisions.every((r) => r === revision && r !== undefined);
  }, 10_000, 'both nodes to report the same config_revision');
  return revision;
}

if (postgresUrl() !== undefined) {
  test('two nodes on one Postgres database: a write on either is served by both within 1 s under load; same revision everywhere', { timeout: TEST_TIMEOUT }, async (t) => {
    const database = await createTestDatabase();
    t.after(() => database.drop());
    const a = await namedUpstream('A');
    t.after(() => a.close());
    const b = await namedUpstream('B');
    t.after(() => b.close());
    const token = randomToken();
    // Concurrently, on an empty database: both migrate, both try to create the first admin.
    const [nodeA, nodeB] = await Promise.all([spawnNode({ db: database.url, adminToken: token, t }), spawnNode({ db: database.url, adminToken: token, t })]);
    assert.ok(nodeA.proxyPort !== nodeB.proxyPort && nodeA.adminPort !== nodeB.adminPort);
    for (const n of [nodeA, nodeB]) {
      const me = await n.admin('GET', '/admin/config');
      assert.equal(me.status, 200, `the shared admin token works on every node: ${JSON.stringify(me.body)}`);
    }

    expectStatus(await nodeA.admin('POST', '/admin/config/apply', baseDocument(a, b)), 'initial config');
    await until(async () => (await probe(nodeA)) === 'A/-' && (await probe(nodeB)) === 'A/-', 10_000, 'both nodes to serve the initial config');

    const loadA = startLoad(nodeA.proxyUrl, behaviourOf, { clients: 4 });
    t.after(() => loadA.stop());
    const loadB = startLoad(nodeB.proxyUrl, behaviourOf, { clients: 4 });
    t.after(() => loadB.stop());
    await until(() => loadA.count() >= 100 && loadB.count() >= 100, 15_000, 'the load to start');

    let pluginId = '';
    const steps: { what: string; via: NodeProcess; from: string; to: string; write: (n: NodeProcess) => Promise<AdminReply> }[] = [
      { what: 'PATCH route on A', via: nodeA, from: 'A/-', to: 'B/-', write: (n) => n.admin('PATCH', '/admin/routes/r', { service: 'svc-b' }) },
      {
        what: 'POST plugin on B', via: nodeB, from: 'B/-', to: 'B/v2',
        async write(n) {
          const r = expectStatus(await n.admin('POST', '/admin/plugins', { name: 'response-transformer', route: 'r', config: { add: { headers: { 'x-version': 'v2' } } } }), 'POST plugin', 201);
          pluginId = String(r.body.id);
          return r;
        },
      },
      { what: 'PATCH plugin on A', via: nodeA, from: 'B/v2', to: 'B/v3', write: (n) => n.admin('PATCH', `/admin/plugins/${pluginId}`, { config: { add: { headers: { 'x-version': 'v3' } } } }) },
      { what: 'PATCH route on B', via: nodeB, from: 'B/v3', to: 'A/v3', write: (n) => n.admin('PATCH', '/admin/routes/r', { service: 'svc-a' }) },
    ];
    const windows: { what: string; from: string; to: string; since: number; writtenAt: number }[] = [];
    for (const step of steps) {
      const since = performance.now();
      expectStatus(await step.write(step.via), step.what);
      const writtenAt = performance.now();
      windows.push({ what: step.what, from: step.from, to: step.to, since, writtenAt });
      for (const [name, load] of [['A', loadA], ['B', loadB]] as const) {
        await until(() => load.samples.some((s) => s.doneAt >= since && s.behaviour === step.to), 15_000, `${step.what}: node ${name} to serve ${step.to}`, 5);
      }
      const counts = [loadA.count(), loadB.count()];
      await until(() => loadA.count() >= counts[0]! + 150 && loadB.count() >= counts[1]! + 150, 15_000, `${step.what}: load to continue`, 5);
      await new Promise((r) => setTimeout(r, 100));
    }
    const end = performance.now();
    await Promise.all([loadA.stop(), loadB.stop()]);

    for (const [name, load] of [['A', loadA], ['B', loadB]] as const) {
      t.diagnostic(`node ${name}: ${load.samples.length} replies, ${load.failures.length} failures`);
      assert.deepEqual(load.failures.slice(0, 5), [], `node ${name}: ${load.failures.length} requests failed`);
      for (const [i, w] of windows.entries()) {
        const s = analyseSwitch(load.samples, { since: w.since, writtenAt: w.writtenAt, until: windows[i + 1]?.since ?? end, from: w.from, to: w.to });
        t.diagnostic(`  ${w.what}: served by ${name} ${s.firstNewAfterMs.toFixed(1)} ms after the write (${s.replies} replies; old ones after the first new: ${s.oldAfterFirstNew})`);
        assert.deepEqual(s.unexpected, [], `${w.what}, node ${name}: only ${w.from} or ${w.to} may be served`);
        assert.ok(s.firstNewAfterMs < WITHIN_MS, `${w.what}: node ${name} served it ${s.firstNewAfterMs.toFixed(1)} ms after the write (bar ${WITHIN_MS} ms)`);
        assert.equal(s.oldAfterFirstNew, 0, `${w.what}, node ${name}: old behaviour came back after the new one`);
      }
    }

    // Both nodes report the store's revision, on /ready and in /metrics.
    const revision = await sameRevision([nodeA, nodeB]);
    const exported = expectStatus(await nodeB.admin('GET', '/admin/config'), 'export');
    assert.equal(revision, Number(exported.headers['x-config-revision']), 'the revision the nodes serve is the store revision');
    for (const n of [nodeA, nodeB]) {
      const ready = await n.ready();
      assert.equal(ready.config_source, 'store');
      assert.equal(ready.store?.up, true);
      assert.equal(ready.store?.serving, 'live');
      const metrics = await n.metrics();
      assert.equal(metricValue(metrics, 'portcullis_config_revision'), revision);
      assert.equal(metricValue(metrics, 'portcullis_config_store_up'), 1);
    }
    assert.equal((await nodeA.ready()).config_version, (await nodeB.ready()).config_version, 'the same config on both');
    assert.equal(await nodeA.stop(), 0);
    assert.equal(await nodeB.stop(), 0);
  });
} else if (onCi()) {
  test('two nodes on one Postgres database', () => {
    assert.fail(`${POSTGRES_ENV} is not set: CI must run the multi-node tests (see .ci/run)`);
  });
} else {
  test('two nodes on one Postgres database', { skip: `${POSTGRES_ENV} is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)` }, () => undefined);
}
