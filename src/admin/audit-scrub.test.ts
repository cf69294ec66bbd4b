// The audit-log scrub on real stores (a SQLite file, and Postgres when PORTCULLIS_TEST_POSTGRES
// names a server): rows planted as older versions wrote them lose their secrets and nothing else,
// a second run changes nothing, nodes running it at once take each page once, and a scrub stopped
// half-way goes on from there. The scrub at a node's start is test/audit-scrub.test.ts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_CATALOG } from '../plugins/index.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/ports.ts';
import { auditText, plantOldAuditRows, storedSnapshots, type Planted } from '../../test/harness/old-audit-rows.ts';
import { createTestDatabase, onCi, postgresUrl, POSTGRES_ENV } from '../../test/harness/postgres.ts';
import { rawSql } from '../../test/harness/raw-sql.ts';
import { AUDIT_SCRUB_SETTING, AUDIT_SCRUB_VERSION, scrubAuditSecrets, scrubbedSnapshot } from './audit-scrub.ts';

/** A migrated, empty database of the backend, removed when the test ends. */
type Backend = (t: TestContext) => Promise<string>;

const sqliteFile: Backend = async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-audit-scrub-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return `sqlite:${join(dir, 'store.db')}`;
};

const postgres: Backend = async (t) => {
  const database = await createTestDatabase();
  t.after(() => database.drop());
  return database.url;
};

async function opened(t: TestContext, db: string): Promise<Store> {
  const store = await openStore(db, { pollMs: 50 });
  t.after(() => store.close());
  return store;
}

async function assertScrubbed(db: string, planted: Planted): Promise<void> {
  const stored = await storedSnapshots(db, planted);
  for (const row of planted.rows) assert.deepEqual(stored.get(row.id), row.expected, `audit row of ${row.entity} ${row.entityKey}`);
  const text = await auditText(db);
  for (const secret of planted.secrets) assert.ok(!text.includes(secret), 'a secret is left in clear in the audit log');
}

const progressRow = async (db: string) => (await rawSql(db, 'select data, updated_at from settings where key = ?', [AUDIT_SCRUB_SETTING]))[0];

function suite(name: string, backend: Backend): void {
  test(`${name}: old rows lose their secrets and nothing else; a second run changes nothing`, async (t) => {
    const db = await backend(t);
    const store = await opened(t, db);
    const planted = await plantOldAuditRows(db, 3);
    assert.ok(planted.secrets.every((s) => planted.rows.some((r) => `${r.before}${r.after}`.includes(s))), 'the rows hold the secrets in clear');

    const first = await scrubAuditSecrets(store, BUNDLED_CATALOG, { pageSize: 4 });
    assert.deepEqual(first, { finished: true, redacted: planted.withSecrets, total: planted.withSecrets });
    await assertScrubbed(db, planted);
    const done = await progressRow(db);
    const progress = JSON.parse(String(done?.data)) as { version: number; done_at?: string; redacted: number };
    assert.equal(progress.version, AUDIT_SCRUB_VERSION);
    assert.ok(progress.done_at !== undefined, 'the store records that the scrub is done');

    // Again (the next start, or another node): nothing is read or written.
    const before = await rawSql(db, 'select * from audit_log order by id');
    const second = await scrubAuditSecrets(store, BUNDLED_CATALOG, { pageSize: 4 });
    assert.deepEqual(second, { finished: false, redacted: 0, total: planted.withSecrets });
    assert.deepEqual(await rawSql(db, 'select * from audit_log order by id'), before);
    assert.deepEqual(await progressRow(db), done, 'the record is not even rewritten');
  });

  test(`${name}: two nodes at once take the pages in turn, each row once`, async (t) => {
    const db = await backend(t);
    const a = await opened(t, db);
    const b = await opened(t, db);
    const planted = await plantOldAuditRows(db, 8);
    const [ra, rb] = await Promise.all([scrubAuditSecrets(a, BUNDLED_CATALOG, { pageSize: 3 }), scrubAuditSecrets(b, BUNDLED_CATALOG, { pageSize: 3 })]);
    assert.equal(Number(ra.finished) + Number(rb.finished), 1, 'one of them took the last page');
    assert.equal(ra.redacted + rb.redacted, planted.withSecrets, 'no row was redacted twice, none missed');
    await assertScrubbed(db, planted);
  });

  test(`${name}: a scrub stopped half-way goes on from where it stopped`, async (t) => {
    const db = await backend(t);
    const store = await opened(t, db);
    const planted = await plantOldAuditRows(db, 4);
    let pages = 0;
    const stopped = await scrubAuditSecrets(store, BUNDLED_CATALOG, { pageSize: 5, stop: () => pages++ >= 2 });
    assert.equal(stopped.finished, false);
    assert.ok(stopped.redacted > 0 && stopped.redacted < planted.withSecrets, `redacted ${stopped.redacted} of ${planted.withSecrets} before stopping`);
    const rest = await scrubAuditSecrets(store, BUNDLED_CATALOG, { pageSize: 5 });
    assert.deepEqual(rest, { finished: true, redacted: planted.withSecrets - stopped.redacted, total: planted.withSecrets });
    await assertScrubbed(db, planted);
  });

  test(`${name}: a store scrubbed by an older version (fewer secret fields) is scrubbed again`, async (t) => {
    const db = await backend(t);
    const store = await opened(t, db);
    await store.write((tx) => tx.putSettings(AUDIT_SCRUB_SETTING, { version: AUDIT_SCRUB_VERSION - 1, entity: 1, redacted: 3, done_at: '2026-01-01T00:00:00.000Z' }));
    const planted = await plantOldAuditRows(db);
    assert.deepEqual(await scrubAuditSecrets(store, BUNDLED_CATALOG), { finished: true, redacted: planted.withSecrets, total: planted.withSecrets });
    await assertScrubbed(db, planted);
  });

  test(`${name}: a record from a newer version's scrub is not undone`, async (t) => {
    const db = await backend(t);
    const store = await opened(t, db);
    await store.write((tx) => tx.putSettings(AUDIT_SCRUB_SETTING, { version: AUDIT_SCRUB_VERSION + 1, entity: 0, redacted: 7 }));
    const planted = await plantOldAuditRows(db);
    assert.deepEqual(await scrubAuditSecrets(store, BUNDLED_CATALOG), { finished: false, redacted: 0, total: 7 });
    assert.deepEqual(await store.read().getSettings(AUDIT_SCRUB_SETTING), { version: AUDIT_SCRUB_VERSION + 1, entity: 0, redacted: 7 });
    assert.equal((await storedSnapshots(db, planted)).get(planted.rows[0]!.id)?.after, planted.rows[0]!.after, 'left to the newer version');
  });
}

test('a snapshot that is not JSON, or has no secret in clear, is not rewritten', () => {
  assert.equal(scrubbedSnapshot(BUNDLED_CATALOG, 'plugin', 'not json'), undefined);
  assert.equal(scrubbedSnapshot(BUNDLED_CATALOG, 'plugin', null), undefined);
  assert.equal(scrubbedSnapshot(BUNDLED_CATALOG, 'plugin', JSON.stringify({ name: 'webhook-verify', config: { secrets: ['(sealed)'] } })), undefined);
  assert.equal(scrubbedSnapshot(BUNDLED_CATALOG, 'plugin', JSON.stringify({ name: 'webhook-verify', config: { secrets: ['(sealed)', 'whsec_x'] } })), JSON.stringify({ name: 'webhook-verify', config: { secrets: ['(sealed)', '(sealed)'] } }));
});

suite('SQLite', sqliteFile);

if (postgresUrl() !== undefined) suite('Postgres', postgres);
else if (onCi()) test('audit scrub on Postgres', () => assert.fail(`${POSTGRES_ENV} is not set: CI must run the Postgres audit-scrub tests`));
else test('audit scrub on Postgres', { skip: `${POSTGRES_ENV} is not set` }, () => undefined);
