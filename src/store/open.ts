// Opens the store named by one setting (`--db` / PORTCULLIS_DB) and migrates it:
//   sqlite:./data/portcullis.db (default) · a bare path · sqlite::memory: · postgres://user@host/db
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { migrate } from './migrations/index.ts';
import type { Store } from './ports.ts';
import type { Database, Dialect } from './schema.ts';
import { KyselySession } from './session.ts';
import { openSqlite } from './sqlite/driver.ts';
import { SqliteChangeFeed } from './sqlite/feed.ts';
import { openPostgresPool, PostgresChangeFeed } from './postgres/feed.ts';

export const DEFAULT_DB = 'sqlite:./data/portcullis.db';

export interface DbLocation {
  readonly dialect: Dialect;
  /** File path or ':memory:' (SQLite); connection string (Postgres). */
  readonly target: string;
}

export class StoreConfigError extends Error {}

export function parseDbUrl(url: string): DbLocation {
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', target: url };
  const path = url.replace(/^sqlite:(\/\/)?/i, '');
  if (path === '') throw new StoreConfigError(`--db "${url}" names no SQLite file`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new StoreConfigError(`--db "${url}": unsupported database (use sqlite:PATH or postgres://…)`);
  return { dialect: 'sqlite', target: path === ':memory:' ? path : resolve(path) };
}

/** The location with any password replaced, for logs and health output. */
export function describeDb(loc: DbLocation): string {
  if (loc.dialect === 'sqlite') return `sqlite:${loc.target}`;
  try {
    const u = new URL(loc.target);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable)';
  }
}

export interface OpenOptions {
  /** How often the SQLite feed looks for writes made by other processes (the CLI). */
  readonly pollMs?: number;
}

export async function openStore(url: string, opts: OpenOptions = {}): Promise<Store> {
  const loc = parseDbUrl(url);
  if (loc.dialect === 'sqlite') {
    if (loc.target !== ':memory:') mkdirSync(dirname(loc.target), { recursive: true });
    const database = openSqlite(loc.target);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
    try {
      await migrate(db, 'sqlite');
    } catch (err) {
      await db.destroy();
      throw err;
    }
    const feed = new SqliteChangeFeed(() => new KyselySession(db, 'sqlite').revision(), opts.pollMs ?? 500);
    const serialise = loc.target === ':memory:' ? undefined : <T>(fn: () => Promise<T>) => queueSqliteWrite(loc.target, fn);
    return makeStore(db, 'sqlite', describeDb(loc), feed, () => feed.stop(), serialise);
  }
  const pool = openPostgresPool(loc.target);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(db, 'postgres');
  } catch (err) {
    await db.destroy();
    throw err;
  }
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
  db: Kysely<Database>, dialect: Dialect, location: string, feed: SqliteChangeFeed | PostgresChangeFeed, stopFeed: () => Promise<void>,
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
    async close() {
      await stopFeed();
      await db.destroy();
    },
  };
}
