// Schema 7: the developer portal. Portal users are not admin users: they sign themselves up, belong
// to teams, and reach the platform only through the portal API. Secrets are never stored as given:
// passwords as scrypt (with their parameters), session ids and mailed tokens as SHA-256 (they are
// 256-bit random, so a slow hash adds nothing) — the hash is the row id, a lookup is one index probe.
import type { Kysely } from 'kysely';
import type { Database, Dialect } from '../schema.ts';
import type { Migration } from './index.ts';

export const portal: Migration = {
  version: 7,
  name: 'portal',
  async up(db: Kysely<Database>, _dialect: Dialect) {
    const s = db.schema;
    await s.createTable('portal_users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // Lower-cased and trimmed: one account per mailbox whatever the spelling.
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('email_verified_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();

    await s.createTable('portal_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey()) // SHA-256 of the cookie's secret
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull()) // the absolute end
      .execute();
    await s.createIndex('portal_sessions_user_idx').on('portal_sessions').column('user_id').execute();

    // Single-use mailed tokens: email verification, password reset, team invitations.
    await s.createTable('portal_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey()) // SHA-256 of the token
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text')
      .addColumn('team_id', 'text')
      .addColumn('role', 'text')
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .execute();
    await s.createIndex('portal_tokens_team_idx').on('portal_tokens').columns(['team_id', 'purpose']).execute();

    await s.createTable('portal_teams')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();

    await s.createTable('portal_members')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull()) // owner | developer
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await s.createIndex('portal_members_team_user_idx').on('portal_members').columns(['team_id', 'user_id']).unique().execute();
    await s.createIndex('portal_members_user_idx').on('portal_members').column('user_id').execute();

    // A team's application is a consumer (config entity); this row links it to the team and keeps
    // the name the developer chose (the consumer's name is generated and unique).
    await s.createTable('portal_apps')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('consumer', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await s.createIndex('portal_apps_team_idx').on('portal_apps').column('team_id').execute();
  },
};
