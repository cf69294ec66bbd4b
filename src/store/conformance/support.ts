// Helpers shared by the store conformance suite's test groups (suite.ts, entities.ts, records.ts).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { Client } from 'pg';
import type { EntityData } from '../../core/entities/kinds.ts';
import { parseDbUrl } from '../open.ts';
import type { SortField, Store, StoredEntity } from '../ports.ts';

/** What the test groups get from the suite: the shared store, its URL, and more stores on it. */
export interface SuiteContext {
  store(): Store;
  url(): string;
  openAnother(): Promise<Store>;
  closeAnother(s: Store): Promise<void>;
  shareable(t: TestContext): boolean;
}
export interface ConformanceTarget {
  /** A migrated store on a database the suite may fill with test data. */
  readonly store: Store;
  /** The URL `store` was opened with: the suite opens more stores on it. */
  readonly url: string;
  /** Closes `store` and disposes of the database. */
  cleanup(): Promise<void>;
}

/** The feed poll of the extra stores the suite opens (SQLite; Postgres is told by NOTIFY). */
export const POLL_MS = 50;
/** How long a change may take to reach another store: a few polls, or one NOTIFY. */
export const PROPAGATION_MS = 3000;

export const RUN = randomBytes(3).toString('hex');
let seq = 0;
/** A name no other test in this run uses: lower-case letters, digits and '-' only, so that every collation sorts it alike. */
export const unique = (prefix: string) => `${prefix}-${RUN}-${String(++seq).padStart(3, '0')}`;

export const service = (name: string, extra: EntityData = {}): EntityData => ({ name, url: 'http://127.0.0.1:9', tags: [], ...extra });
export const route = (name: string, svc: string, extra: EntityData = {}): EntityData => ({ name, service: svc, paths: [`/${name}`], tags: [], ...extra });

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = PROPAGATION_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits until the clock has moved on, so that the next timestamp written differs from the last. */
export async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  while (Date.now() === now) await sleep(1);
}

export const isShareable = (url: string) => parseDbUrl(url).target !== ':memory:';

/** One statement on its own connection, behind the store's back (to plant a future schema). */
export async function rawQuery(url: string, statement: string): Promise<unknown[]> {
  const loc = parseDbUrl(url);
  if (loc.dialect === 'sqlite') {
    const db = new DatabaseSync(loc.target, { timeout: 5000 });
    try {
      return db.prepare(statement).all();
    } finally {
      db.close();
    }
  }
  const client = new Client({ connectionString: loc.target });
  await client.connect();
  try {
    return (await client.query(statement)).rows as unknown[];
  } finally {
    await client.end();
  }
}

/** Every page of a listing, checking the page contract on the way. */
export async function allPages<T extends { id: string }>(fetch: (cursor: string | undefined) => Promise<{ data: T[]; next_cursor?: string }>, limit: number): Promise<{ rows: T[]; pages: number }> {
  const rows: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await fetch(cursor);
    pages += 1;
    assert.ok(page.data.length <= limit, `page ${pages} has ${page.data.length} rows, limit ${limit}`);
    if (page.next_cursor !== undefined) assert.equal(page.data.length, limit, `page ${pages} is short but says there is more`);
    rows.push(...page.data);
    cursor = page.next_cursor;
    assert.ok(pages <= 1000, 'pagination does not end');
  } while (cursor !== undefined);
  return { rows, pages };
}

export function expectedOrder(entities: readonly StoredEntity[], sort: SortField, descending: boolean): string[] {
  const value = (e: StoredEntity): string | number => (sort === 'name' ? e.key : e[sort]);
  const cmp = (a: StoredEntity, b: StoredEntity): number => {
    const va = value(a);
    const vb = value(b);
    if (va !== vb) return va < vb ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
  const sorted = [...entities].sort(cmp);
  if (descending) sorted.reverse();
  return sorted.map((e) => e.id);
}

/** A row as plain data: node:sqlite returns rows as null-prototype objects, pg as plain ones. */
export const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
