// The config store going away. Postgres, behind a TCP relay the test cuts and restores: a running
// node keeps serving its last snapshot (every request answered), reports the outage on /ready and
// /metrics, answers admin writes 503 store-unavailable with Retry-After, and recovers by itself,
// picking up what another writer changed meanwhile. A change announced while the store cannot be
// read is applied once it can (the failed reload is retried). A node cold-started while the store
// is down serves the last-known-good snapshot from its state dir and goes live once the store is
// back; without that snapshot it exits 1 with a clear message. SQLite: the snapshot is written
// beside the database file.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { ConfigService } from '../src/admin/config-service.ts';
import { BUNDLED_CATALOG } from '../src/plugins/index.ts';
import { openStore } from '../src/store/open.ts';
import { createTestDatabase, onCi, POSTGRES_ENV, postgresUrl } from './harness/postgres.ts';
import { baseDocument, behaviourOf, expectStatus, launchNode, metricValue, namedUpstream, probe, randomToken, spawnNode, startLoad, until, type NodeProcess } from './harness/node.ts';
import { startTcpProxy } from './harness/tcp-proxy.ts';
import { ephemeralMasterKey } from '../src/core/identity/sealed.ts';

const TEST_TIMEOUT = 180_000;
/** How soon the node must notice the store is gone (listener connection ends; 5 s poll at worst). */
const DOWN_NOTICED_WITHIN_MS = 8000;
/** How soon it must be back after the store is (listener reconnect backoff ≤ 5 s; cold-start retry every 2 s). */
const UP_AGAIN_WITHIN_MS = 12_000;

interface SavedSnapshot { revision: number; saved_at: string; config: { routes: { name: string; service: string }[] } }

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function readSnapshot(file: string): SavedSnapshot {
  return JSON.parse(readFileSync(file, 'utf8')) as SavedSnapshot;
}

/** A write through the admin API while the store is down: 503 store-unavailable, Retry-After, problem+json. */
async function expectStoreUnavailable(node: NodeProcess, what: string): Promise<void> {
  const r = await node.admin('PATCH', '/admin/routes/r', { strip_path: true });
  assert.equal(r.status, 503, `${what}: ${JSON.stringify(r.body)}`);
  assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
  assert.match(String(r.body.type), /store-unavailable$/, JSON.stringify(r.body));
  assert.equal(r.body.status, 503);
  assert.ok(Number(r.headers['retry-after']) > 0, `Retry-After: ${String(r.headers['retry-after'])}`);
}

/** Another writer (straight to the database, not through the node): re-points route r. */
async function writeDirectly(url: string, service: string): Promise<number> {
  const store = await openStore(url);
  try {
    const configService = new ConfigService(store, BUNDLED_CATALOG, ephemeralMasterKey());
    const route = await store.read().getByKey('route', 'r');
    assert.ok(route, 'route r exists');
    await configService.update('route', route.id, { service }, undefined, { name: 'other-writer' }, true);
    return await store.read().revision();
  } finally {
    await store.close();
  }
}

if (postgresUrl() !== undefined) {
  test('Postgres outage: serving goes on, /ready and /metrics tell, writes 503, recovery by itself; cold start from last-known-good; none → exit 1', { timeout: TEST_TIMEOUT }, async (t) => {
    const database = await createTestDatabase();
    t.after(() => database.drop());
    const real = new URL(database.url);
    const relay = await startTcpProxy({ host: real.hostname, port: Number(real.port || 5432) });
    t.after(() => relay.close());
    const viaRelay = new URL(database.url);
    viaRelay.hostname = '127.0.0.1';
    viaRelay.port = String(relay.port);
    const db = viaRelay.toString();
    const a = await namedUpstream('A');
    t.after(() => a.close());
    const b = await namedUpstream('B');
    t.after(() => b.close());
    const stateDir = tempDir(t, 'portcullis-state-');
    const lastGood = join(stateDir, 'last-good-config.json');
    const token = randomToken();

    const node = await spawnNode({ db, stateDir, adminToken: token, t });
    expectStatus(await node.admin('POST', '/admin/config/apply', baseDocument(a, b)), 'initial config');
    await until(async () => (await probe(node)) === 'A/-', 10_000, 'the initial config to be served');
    assert.equal((await node.ready()).store?.up, true);

    await t.test('a running node keeps serving through an outage and reports it', async () => {
      const load = startLoad(node.proxyUrl, behaviourOf, { clients: 4 });
      try {
        await until(() => load.count() >= 100, 15_000, 'the load to start');
        const cutAt = performance.now();
        await relay.stop();
        await until(async () => (await node.ready()).store?.up === false, DOWN_NOTICED_WITHIN_MS, '/ready to report store.up: false');
        t.diagnostic(`store.up false ${(performance.now() - cutAt).toFixed(0)} ms after the cut`);
        const ready = await node.ready();
        assert.equal(ready.ready, true, 'still ready: it serves its snapshot');
        assert.equal(ready.store?.serving, 'live', 'a snapshot loaded live, not from disk');
        assert.ok(ready.store?.error, 'the error is reported');
        assert.match(ready.store?.location ?? '', new RegExp(`:${relay.port}/`));
        assert.equal(metricValue(await node.metrics(), 'portcullis_config_store_up'), 0);
        await expectStoreUnavailable(node, 'admin write while the store is down');
        const before = load.count();
        await until(() => load.count() >= before + 500, 15_000, 'the load to go on during the outage');
      } finally {
        await load.stop();
      }
      assert.deepEqual(load.failures.slice(0, 5), [], `${load.failures.length} requests failed during the outage`);
      const wrong = load.samples.filter((s) => s.behaviour !== 'A/-');
      assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of ${load.samples.length} replies were not the last snapshot's`);
    });

    await t.test('it recovers by itself and picks up a change another writer made meanwhile', async () => {
      const revision = await writeDirectly(database.url, 'svc-b');
      const backAt = performance.now();
      await relay.start();
      await until(async () => (await node.ready()).store?.up === true, UP_AGAIN_WITHIN_MS, '/ready to report store.up: true again');
      await until(async () => (await probe(node)) === 'B/-', UP_AGAIN_WITHIN_MS, 'the change made during the outage to be served');
      t.diagnostic(`live again and serving the change ${(performance.now() - backAt).toFixed(0)} ms after the store came back`);
      const ready = await node.ready();
      assert.equal(ready.config_revision, revision);
      assert.equal(ready.store?.serving, 'live');
      assert.equal(metricValue(await node.metrics(), 'portcullis_config_store_up'), 1);
      expectStatus(await node.admin('PATCH', '/admin/routes/r', { service: 'svc-a' }), 'an admin write after recovery', 200);
      await until(async () => (await probe(node)) === 'A/-', 5000, 'the write after recovery to be served');
      await until(() => existsSync(lastGood) && readSnapshot(lastGood).revision === revision + 1, 5000, 'the last-known-good snapshot to follow');
    });

    await t.test('a change announced while the store cannot be read is applied once it can (the reload is retried)', async () => {
      // The listener connection stays up and hears the change; the pool's connections are cut
      // and new ones refused, so the reload that follows the notice fails.
      await relay.refuseNew();
      const admin = new Client({ connectionString: database.url, application_name: 'portcullis-test' });
      await admin.connect();
      try {
        await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = 'portcullis'`, [database.name]);
      } finally {
        await admin.end();
      }
      const revision = await writeDirectly(database.url, 'svc-b');
      await until(async () => (await node.ready()).last_reload?.ok === false, 10_000, 'the reload after the notice to fail');
      assert.equal(await probe(node), 'A/-', 'still the previous config');
      await relay.start();
      await until(async () => (await probe(node)) === 'B/-', UP_AGAIN_WITHIN_MS, 'the announced change to be applied once the store can be read');
      const ready = await node.ready();
      assert.equal(ready.config_revision, revision);
      assert.equal(ready.last_reload?.ok, true);
      expectStatus(await node.admin('PATCH', '/admin/routes/r', { service: 'svc-a' }), 'PATCH back', 200);
      await until(async () => (await probe(node)) === 'A/-' && readSnapshot(lastGood).revision === revision + 1, 5000, 'the write to be served and saved');
    });

    await t.test('cold start with the store down serves the last-known-good snapshot, then goes live', async () => {
      const saved = readSnapshot(lastGood);
      await relay.stop();
      assert.equal(await node.stop(), 0, 'a node whose store is down still shuts down cleanly');
      const again = await spawnNode({ db, stateDir, adminToken: token, t });
      let ready = await again.ready();
      assert.equal(ready.store?.up, false, JSON.stringify(ready));
      assert.equal(ready.store?.serving, 'last-known-good');
      assert.equal(ready.config_revision, saved.revision);
      assert.equal(ready.ready, true);
      assert.equal(await probe(again), 'A/-', 'the snapshot is served');
      assert.equal(metricValue(await again.metrics(), 'portcullis_config_store_up'), 0);
      await expectStoreUnavailable(again, 'admin write on a node started from the snapshot');

      const revision = await writeDirectly(database.url, 'svc-b');
      const backAt = performance.now();
      await relay.start();
      await until(async () => {
        const r = await again.ready();
        return r.store?.up === true && r.store.serving === 'live' && r.config_revision === revision;
      }, UP_AGAIN_WITHIN_MS, '/ready to report serving: live at the new revision');
      await until(async () => (await probe(again)) === 'B/-', 5000, 'the change made while it was down to be served');
      t.diagnostic(`live ${(performance.now() - backAt).toFixed(0)} ms after the store came back`);
      ready = await again.ready();
      assert.equal(ready.store?.serving, 'live');
      expectStatus(await again.admin('PATCH', '/admin/routes/r', { service: 'svc-a' }), 'an admin write once live', 200);
      await until(async () => (await probe(again)) === 'A/-', 5000, 'the write to be served');
      assert.equal(await again.stop(), 0);
    });

    await t.test('cold start with the store down and no last-known-good snapshot exits 1, saying why', async () => {
      await relay.stop();
      const emptyState = tempDir(t, 'portcullis-state-empty-');
      const startedAt = performance.now();
      const launched = launchNode({ db, stateDir: emptyState, adminToken: token });
      const deadline = new Promise<'timeout'>((resolve) => setTimeout(resolve, 15_000, 'timeout').unref());
      const code = await Promise.race([launched.exited, deadline]);
      if (code === 'timeout') launched.child.kill('SIGKILL');
      assert.equal(code, 1, `exit code (logs:\n${launched.logs()})`);
      t.diagnostic(`exited ${(performance.now() - startedAt).toFixed(0)} ms after the start`);
      assert.match(launched.logs(), /config store \(postgres:\/\/[^)]*\) is unreachable/);
      assert.match(launched.logs(), new RegExp(`no last-known-good snapshot at ${join(emptyState, 'last-good-config.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.doesNotMatch(launched.logs(), /portcullis is running/);
    });
  });
} else if (onCi()) {
  test('Postgres store outage', () => {
    assert.fail(`${POSTGRES_ENV} is not set: CI must run the store outage tests (see .ci/run)`);
  });
} else {
  test('Postgres store outage', { skip: `${POSTGRES_ENV} is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)` }, () => undefined);
}

test('SQLite: the last-known-good snapshot is written beside the database file and follows writes', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, 'portcullis-sqlite-state-');
  const a = await namedUpstream('A');
  t.after(() => a.close());
  const b = await namedUpstream('B');
  t.after(() => b.close());
  const node = await spawnNode({ db: `sqlite:${join(dir, 'portcullis.db')}`, t });
  const file = join(dir, 'last-good-config.json');
  assert.ok(existsSync(file), 'written on start');
  const first = readSnapshot(file);
  assert.equal(first.revision, 0);
  assert.ok(!Number.isNaN(Date.parse(first.saved_at)));
  assert.deepEqual(first.config.routes, []);
  expectStatus(await node.admin('POST', '/admin/config/apply', baseDocument(a, b, 'svc-b')), 'config');
  await until(() => readSnapshot(file).revision === 1, 5000, 'the snapshot to follow the write');
  const saved = readSnapshot(file);
  assert.equal(saved.config.routes[0]?.service, 'svc-b');
  assert.equal((await node.ready()).config_revision, saved.revision);
  assert.equal(await node.stop(), 0);
});
