// Webhook tests run on both stores: a SQLite file always, Postgres when PORTCULLIS_TEST_POSTGRES
// names a server (and on CI, where a missing server fails the test instead of skipping it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/ports.ts';
import { createTestDatabase, onCi, postgresUrl } from '../harness/postgres.ts';

export interface StoreCase {
  readonly dialect: 'sqlite' | 'postgres';
  /** Why the case cannot run here (Postgres without a server, off CI). */
  readonly skip: string | false;
  /**
   * A fresh, migrated database: its URL and an open store; removed after the test. `defer` runs
   * clean-ups last-in first-out before the store closes (node:test runs `after` hooks in the order
   * they were registered, which would close the store under a worker still recording).
   */
  open(t: { after(fn: () => Promise<void>): void }): Promise<{ url: string; store: Store; defer(fn: () => unknown): void }>;
}

function cleanups(t: { after(fn: () => Promise<void>): void }, close: () => Promise<void>): (fn: () => unknown) => void {
  const stack: (() => unknown)[] = [];
  t.after(async () => {
    for (const fn of stack.toReversed()) await fn();
    await close();
  });
  return (fn) => { stack.push(fn); };
}

export const STORE_CASES: readonly StoreCase[] = [
  {
    dialect: 'sqlite',
    skip: false,
    async open(t) {
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-webhooks-'));
      const url = `sqlite:${join(dir, 'store.db')}`;
      const store = await openStore(url);
      const defer = cleanups(t, async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); });
      return { url, store, defer };
    },
  },
  {
    dialect: 'postgres',
    skip: postgresUrl() === undefined && !onCi() ? 'PORTCULLIS_TEST_POSTGRES is not set' : false,
    async open(t) {
      const db = await createTestDatabase();
      const store = await openStore(db.url);
      const defer = cleanups(t, async () => { await store.close(); await db.drop(); });
      return { url: db.url, store, defer };
    },
  },
];
