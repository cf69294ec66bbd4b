// One SQL statement on a store's database, on a connection of its own, behind the store's back:
// what a test uses to plant rows as an older version wrote them, and to see what is really stored.
// `?` placeholders on both databases (turned into $1, $2… for Postgres).
import { DatabaseSync } from 'node:sqlite';
import { Client } from 'pg';
import { parseDbUrl } from '../../src/store/location.ts';

export type SqlValue = string | number | null;

export async function rawSql(db: string, statement: string, params: readonly SqlValue[] = []): Promise<Record<string, unknown>[]> {
  const loc = parseDbUrl(db);
  if (loc.dialect === 'sqlite') {
    const database = new DatabaseSync(loc.target, { timeout: 5000 });
    try {
      // Plain objects (node:sqlite rows have no prototype), so that deepEqual compares like with like.
      return database.prepare(statement).all(...params).map((r) => ({ ...r }));
    } finally {
      database.close();
    }
  }
  let n = 0;
  const client = new Client({ connectionString: loc.target });
  await client.connect();
  try {
    return (await client.query(statement.replace(/\?/g, () => `$${++n}`), [...params])).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}
