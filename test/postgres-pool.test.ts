// A pooled connection that dies in the middle of a transaction (its backend terminated between two
// queries) must fail that transaction, not crash the process: pg-pool stops listening for a
// client's errors while it is checked out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from 'pg';
import { openStore } from '../src/store/open.ts';
import { createTestDatabase, onCi, postgresUrl } from './harness/postgres.ts';

const skip = postgresUrl() === undefined && !onCi() ? 'PORTCULLIS_TEST_POSTGRES is not set' : false;

test('a connection killed between two queries of a transaction fails the transaction; the store goes on', { skip }, async (t) => {
  const db = await createTestDatabase();
  const store = await openStore(db.url);
  t.after(async () => { await store.close(); await db.drop(); });
  const killer = new Client({ connectionString: db.url });
  await killer.connect();
  const result = store.write(async (tx) => {
    await tx.revision();
    // Kill every other backend of this database (ours included), then stay idle while the
    // termination reaches the client.
    await killer.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [db.name]);
    await new Promise((r) => setTimeout(r, 200));
    return tx.revision();
  });
  await assert.rejects(result);
  await killer.end();
  // The process is still here, and the store works again once the dead connections are discarded.
  let revision: number | undefined;
  for (let i = 0; i < 5 && revision === undefined; i++) revision = await store.read().revision().catch(() => undefined);
  assert.equal(typeof revision, 'number');
});
