// Throwaway Postgres databases for integration tests. PORTCULLIS_TEST_POSTGRES names a server
// (a URL to its `postgres` database, e.g. postgres://postgres@127.0.0.1:55432/postgres, as a user
// allowed to CREATE DATABASE); each createTestDatabase() makes a fresh, uniquely named database
// on it, and drop() removes it again (closing any connection a test left open).
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export const POSTGRES_ENV = 'PORTCULLIS_TEST_POSTGRES';

/** The server URL from PORTCULLIS_TEST_POSTGRES, or undefined when it is not set. */
export function postgresUrl(): string | undefined {
  const url = process.env[POSTGRES_ENV]?.trim();
  return url ? url : undefined;
}

/** True on CI, where an integration test must fail rather than skip when its server is missing. */
export function onCi(): boolean {
  const ci = process.env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

async function onServer<T>(serverUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000, application_name: 'portcullis-test-harness' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface TestDatabase {
  /** Connection URL of the new database (the server URL with another database name). */
  readonly url: string;
  readonly name: string;
  /** Drops the database; safe to call more than once. */
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const server = postgresUrl();
  if (server === undefined) throw new Error(`${POSTGRES_ENV} is not set: point it at a Postgres server, e.g. postgres://postgres@127.0.0.1:5432/postgres`);
  // Lower case letters, digits and '_' only: no quoting surprises, well under the 63-byte limit.
  const name = `portcullis_test_${process.pid}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await onServer(server, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(server);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE (Postgres 13+) ends sessions a failed test left behind instead of failing the drop.
      await onServer(server, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
