// The store conformance suite against SQLite: a file database in a temporary directory (shared by
// two stores where the suite needs two nodes), and an in-memory one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../open.ts';
import { defineStoreConformance } from './suite.ts';

defineStoreConformance('sqlite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-conformance-'));
  const url = `sqlite:${join(dir, 'store.db')}`;
  try {
    const store = await openStore(url, { pollMs: 50 });
    return {
      store,
      url,
      async cleanup() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
});

defineStoreConformance('sqlite :memory:', async () => {
  const store = await openStore('sqlite::memory:', { pollMs: 50 });
  return { store, url: 'sqlite::memory:', cleanup: () => store.close() };
});
