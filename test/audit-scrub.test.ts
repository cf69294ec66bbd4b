// A node that opens a store whose audit log holds secrets in clear (rows planted as versions before
// the redaction wrote them) redacts them in the background, once: the raw rows lose the secrets and
// keep everything else, the audit API shows none, and the next start changes nothing. On SQLite,
// and on Postgres when PORTCULLIS_TEST_POSTGRES names a server. The scrub's paging and its
// behaviour with several nodes at once are src/admin/audit-scrub.test.ts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/store/open.ts';
import { spawnNode, until } from './harness/node.ts';
import { auditText, plantOldAuditRows, storedSnapshots } from './harness/old-audit-rows.ts';
import { createTestDatabase, onCi, postgresUrl, POSTGRES_ENV } from './harness/postgres.ts';
import { rawSql } from './harness/raw-sql.ts';

const DONE = 'audit log checked for secrets written in clear';

async function scenario(t: TestContext, db: string): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'portcullis-audit-scrub-node-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const env = { PORTCULLIS_SECRET_KEY: randomBytes(32).toString('base64') };
  // The database as an older version left it: migrated, its audit log holding secrets in clear.
  await (await openStore(db)).close();
  const planted = await plantOldAuditRows(db, 2);

  const node = await spawnNode({ db, stateDir, env, t });
  await until(() => node.logs().includes(DONE), 20_000, 'the audit log scrub');
  const line = JSON.parse(node.logs().split('\n').find((l) => l.includes(DONE))!) as { redacted: number };
  assert.equal(line.redacted, planted.withSecrets);
  const stored = await storedSnapshots(db, planted);
  for (const row of planted.rows) assert.deepEqual(stored.get(row.id), row.expected, `audit row of ${row.entity} ${row.entityKey}`);
  const text = await auditText(db);
  const audit = JSON.stringify((await node.admin('GET', '/admin/audit?limit=200')).body);
  for (const secret of planted.secrets) {
    assert.ok(!text.includes(secret), 'a secret is left in clear in the audit_log table');
    assert.ok(!audit.includes(secret), 'the audit API shows a secret');
  }
  assert.match(audit, /\(sealed\)/);
  assert.equal(await node.stop(), 0);

  // The next start: the scrub is recorded as done, so nothing is written (not even the record).
  const rows = await rawSql(db, 'select * from audit_log order by id');
  const record = await rawSql(db, 'select * from settings where key = ?', ['audit-secrets-scrub']);
  const again = await spawnNode({ db, stateDir, env, t });
  // A clean stop waits for the scrub, which started before the node said it was running.
  assert.equal(await again.stop(), 0);
  assert.ok(!again.logs().includes(DONE), again.logs());
  assert.deepEqual(await rawSql(db, 'select * from audit_log order by id'), rows);
  assert.deepEqual(await rawSql(db, 'select * from settings where key = ?', ['audit-secrets-scrub']), record);
}

test('a node scrubs old secrets from the audit log of its SQLite store, once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-audit-scrub-db-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await scenario(t, `sqlite:${join(dir, 'portcullis.db')}`);
});

if (postgresUrl() !== undefined) {
  test('a node scrubs old secrets from the audit log of its Postgres store, once', async (t) => {
    const database = await createTestDatabase();
    t.after(() => database.drop());
    await scenario(t, database.url);
  });
} else if (onCi()) {
  test('audit scrub at a node\'s start on Postgres', () => assert.fail(`${POSTGRES_ENV} is not set: CI must run the Postgres audit-scrub test`));
} else {
  test('audit scrub at a node\'s start on Postgres', { skip: `${POSTGRES_ENV} is not set` }, () => undefined);
}
