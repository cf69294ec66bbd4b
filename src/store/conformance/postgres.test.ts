// The store conformance suite against Postgres, on a fresh database created for this run on the
// server PORTCULLIS_TEST_POSTGRES names (dropped at the end). Without that variable the suite is
// skipped locally, and fails on CI: CI must never pass without having run it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, onCi, POSTGRES_ENV, postgresUrl } from '../../../test/harness/postgres.ts';
import { openStore } from '../open.ts';
import { defineStoreConformance } from './suite.ts';

if (postgresUrl() !== undefined) {
  defineStoreConformance('postgres', async () => {
    const db = await createTestDatabase();
    try {
      const store = await openStore(db.url, { pollMs: 50 });
      return {
        store,
        url: db.url,
        async cleanup() {
          try {
            await store.close();
          } finally {
            await db.drop();
          }
        },
      };
    } catch (err) {
      await db.drop();
      throw err;
    }
  });
} else if (onCi()) {
  test('store conformance: postgres', () => {
    assert.fail(`${POSTGRES_ENV} is not set: CI must run the Postgres conformance suite (see .ci/run)`);
  });
} else {
  test('store conformance: postgres', { skip: `${POSTGRES_ENV} is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres): Postgres adapter not tested` }, () => undefined);
}
