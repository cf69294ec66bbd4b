// Opens the store named by one setting (`--db` / PORTCULLIS_DB) and migrates it:
//   sqlite:./data/portcullis.db (default) · a bare path · sqlite::memory: · postgres://user@host/db
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { migrate } from './migrations/index.ts';
import type { ChangeFeed, Store } from './ports.ts';
import type { Database, Dialect } from './schema.ts';
import { describeDb, parseDbUrl } from './location.ts';
import { KyselySession } from './session.ts';
import { ImmediateSqliteDialect, openSqlite } from './sqlite/driver.ts';
import { SqliteChangeFeed } from './sqlite/feed.ts';
import { CACHE_PURGE_CHANNEL, encodeCachePurgeNotice } from './cache/purge-notice.ts';

export { DEFAULT_DB, describeDb, parseDbUrl, StoreConfigError, type DbLocation } from './location.ts';

export interface OpenOptions {
  /** How often the SQLite feed looks for writes made by other processes (the CLI). */
  readonly pollMs?: number;
}

/** The database brought to the current schema, or closed again if that fails. */
async function migrated(db: Kysely<Database>, dialect: Dialect): Promise<Kysely<Database>> {
  try {
    await migrate(db, dialect);
    return db;
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

export async function openStore(url: string, opts: OpenOptions = {}): Promise<Store> {
  const loc = parseDbUrl(url);
  if (loc.dialect === 'sqlite') {
    if (loc.target !== ':memory:') mkdirSync(dirname(loc.target), { recursive: true });
    const database = openSqlite(loc.target);
    const db = await migrated(new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database }) }), 'sqlite');
    const feed = new SqliteChangeFeed(() => new KyselySession(db, 'sqlite').revision(), opts.pollMs ?? 500);
    const serialise = loc.target === ':memory:' ? undefined : <T>(fn: () => Promise<T>) => queueSqliteWrite(loc.target, fn);
    return makeStore(db, 'sqlite', describeDb(loc), feed, () => feed.stop(), serialise);
  }
  // pg is loaded only when a Postgres store is used.
  const { openPostgresPool, PostgresChangeFeed } = await import('./postgres/feed.ts');
  const pool = openPostgresPool(loc.target);
  const db = await migrated(new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), 'postgres');
  const feed = new PostgresChangeFeed(loc.target, () => new KyselySession(db, 'postgres').revision());
  await feed.start();
  return makeStore(db, 'postgres', describeDb(loc), feed, () => feed.stop());
}

// node:sqlite waits for a database file's write lock synchronously (busy_timeout), which blocks
// the event loop: a store of this process waiting for another store of this process that holds the
// lock can never get it, and fails after the timeout with "database is locked". So write
// transactions of all stores of this process on one file queue here, and only wait for other
// processes inside SQLite.
const sqliteWriters = new Map<string, Promise<void>>();

function queueSqliteWrite<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const result = (sqliteWriters.get(file) ?? Promise.resolve()).then(fn);
  const done = result.then(() => undefined, () => undefined);
  sqliteWriters.set(file, done);
  void done.then(() => { if (sqliteWriters.get(file) === done) sqliteWriters.delete(file); });
  return result;
}

function makeStore(
  db: Kysely<Database>, dialect: Dialect, location: string, feed: ChangeFeed & { committed(revision: number): void }, stopFeed: () => Promise<void>,
  serialise: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
): Store {
  return {
    dialect,
    location,
    feed,
    read: () => new KyselySession(db, dialect),
    async write(fn, opts) {
      let revision = -1;
      const result = await serialise(() => db.transaction().execute(async (tx) => {
        const session = new KyselySession(tx, dialect);
        revision = opts?.bump ? await session.bumpRevision() : await session.revision();
        return fn(session, revision);
      }));
      if (opts?.bump) feed.committed(revision);
      return result;
    },
    async ping() {
      await new KyselySession(db, dialect).revision();
    },
    async announceCachePurge(notice) {
      if (dialect !== 'postgres') return false;
      for (const payload of encodeCachePurgeNotice(notice)) await sql`select pg_notify(${CACHE_PURGE_CHANNEL}, ${payload})`.execute(db);
      return true;
    },
    async close() {
      await stopFeed();
      await db.destroy();
    },
  };
}
