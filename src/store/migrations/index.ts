// Versioned migrations, run on start inside one transaction each. A database migrated by a newer
// Portcullis is refused rather than touched. Later issues append migrations here, never edit old ones.
import { sql, type Kysely } from 'kysely';
import type { Database, Dialect } from '../schema.ts';
import { initial } from './001-initial.ts';
import { oauth2Server } from './002-oauth2-server.ts';
import { quotas } from './003-quotas.ts';
import { webhooks } from './004-webhooks.ts';
import { edi } from './005-edi.ts';
import { usage } from './006-usage.ts';
import { portal } from './007-portal.ts';
import { billing } from './008-billing.ts';
import { branding } from './009-branding.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Kysely<Database>, dialect: Dialect): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [initial, oauth2Server, quotas, webhooks, edi, usage, portal, billing, branding];
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export class SchemaTooNewError extends Error {
  constructor(found: number) {
    super(`the database schema is at version ${found}, newer than this Portcullis understands (${LATEST_SCHEMA_VERSION}); upgrade Portcullis or point it at another database`);
    this.name = 'SchemaTooNewError';
  }
}

// Any fixed 64-bit number: serialises migrations of several nodes starting at once on Postgres.
const MIGRATION_LOCK = 7_263_901_455_311_001n;

export async function migrate(db: Kysely<Database>, dialect: Dialect): Promise<{ from: number; to: number }> {
  return db.transaction().execute(async (tx) => {
    if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(tx);
    // Under the lock: on Postgres even CREATE TABLE IF NOT EXISTS fails when two nodes run it at
    // once on a fresh database (both see no table; one loses on pg_type's unique index).
    await tx.schema.createTable('schema_migrations').ifNotExists()
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('applied_at', 'text', (c) => c.notNull())
      .execute();
    const applied = new Set((await tx.selectFrom('schema_migrations').select('version').execute()).map((r) => Number(r.version)));
    const from = Math.max(0, ...applied);
    if (from > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(from);
    // Every migration not yet recorded, in order, not only those above the highest: numbers are
    // reserved per feature, so a database may have met a later one before an earlier one landed.
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await m.up(tx, dialect);
      await tx.insertInto('schema_migrations').values({ version: m.version, name: m.name, applied_at: new Date().toISOString() }).execute();
    }
    return { from, to: LATEST_SCHEMA_VERSION };
  });
}
