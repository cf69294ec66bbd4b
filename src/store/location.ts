// Names the store from one setting (`--db` / PORTCULLIS_DB), without loading any driver:
//   sqlite:./data/portcullis.db (default) · a bare path · sqlite::memory: · postgres://user@host/db
import { resolve } from 'node:path';
import type { Dialect } from './schema.ts';

export const DEFAULT_DB = 'sqlite:./data/portcullis.db';

export interface DbLocation {
  readonly dialect: Dialect;
  /** File path or ':memory:' (SQLite); connection string (Postgres). */
  readonly target: string;
}

export class StoreConfigError extends Error {}

export function parseDbUrl(url: string): DbLocation {
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', target: url };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^sqlite:/i.test(url)) throw new StoreConfigError(`--db "${url}": unsupported database (use sqlite:PATH or postgres://…)`);
  const path = url.replace(/^sqlite:(\/\/)?/i, '');
  if (path === '') throw new StoreConfigError(`--db "${url}" names no SQLite file`);
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
