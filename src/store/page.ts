// Keyset pagination, shared by every listing of the store: pages ordered by (sort column, id),
// with opaque cursors that name the column they were issued for.
import type { Kysely, Transaction } from 'kysely';
import { InvalidCursorError, type ListQuery, type Page } from './ports.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database> | Transaction<Database>;

/** A cursor names the column it was issued for: one from another sort order is refused, not misread. */
export function encodeCursor(column: string, value: unknown, id: string): string {
  return Buffer.from(JSON.stringify([column, value, id])).toString('base64url');
}

// A cursor comes back from the client: a value the column cannot hold (text for an integer, NUL in
// text) would make Postgres fail the query, so anything this API could not have issued is refused.
const INT4_MAX = 2_147_483_647;
const cursorValueFits = (value: unknown, integer: boolean): boolean => (integer
  ? typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= INT4_MAX
  : typeof value === 'string' && !value.includes('\u0000'));

function decodeCursor(cursor: string, column: string, integer: boolean): [string | number, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 3 && v[0] === column && cursorValueFits(v[1], integer) && cursorValueFits(v[2], false)) return [v[1] as string | number, v[2] as string];
  } catch { /* fall through */ }
  throw new InvalidCursorError('cursor is not one this API issued');
}

/* eslint-disable @typescript-eslint/no-explicit-any -- table and sort column are chosen at run time */
/** Keyset pagination over (sort column, id), shared by every listing. */
export async function keysetPage<R extends { id: string }>(
  db: Db, table: string, query: ListQuery, sortColumn: string,
  where: (qb: any) => any, map: (row: any) => R,
): Promise<Page<R>> {
  const desc = query.descending === true;
  let qb = (db as any).selectFrom(table).selectAll();
  qb = where(qb);
  if (query.cursor !== undefined) {
    const [value, id] = decodeCursor(query.cursor, sortColumn, sortColumn === 'position' || sortColumn === 'version');
    qb = qb.where((eb: any) => eb.or([
      eb(sortColumn, desc ? '<' : '>', value),
      eb.and([eb(sortColumn, '=', value), eb('id', desc ? '<' : '>', id)]),
    ]));
  }
  const rows: any[] = await qb.orderBy(sortColumn, desc ? 'desc' : 'asc').orderBy('id', desc ? 'desc' : 'asc').limit(query.limit + 1).execute();
  const more = rows.length > query.limit;
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return { data: page.map(map), ...(more && last ? { next_cursor: encodeCursor(sortColumn, sortColumn === 'position' || sortColumn === 'version' ? Number(last[sortColumn]) : last[sortColumn], last.id) } : {}) };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

