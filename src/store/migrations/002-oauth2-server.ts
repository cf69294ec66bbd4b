// Schema 2: the built-in OAuth2 server's signing keys (private parts sealed) and revoked tokens.
import type { Kysely } from 'kysely';
import type { Database, Dialect } from '../schema.ts';
import type { Migration } from './index.ts';

export const oauth2Server: Migration = {
  version: 2,
  name: 'oauth2-server',
  async up(db: Kysely<Database>, _dialect: Dialect) {
    const s = db.schema;
    await s.createTable('signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('alg', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('private_sealed', 'text', (c) => c.notNull())
      .addColumn('sealed_with', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('sign_from', 'text', (c) => c.notNull())
      .addColumn('sign_until', 'text', (c) => c.notNull())
      .addColumn('publish_until', 'text', (c) => c.notNull())
      .execute();
    await s.createTable('revoked_tokens')
      .addColumn('jti', 'text', (c) => c.primaryKey())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text', (c) => c.notNull())
      .execute();
    await s.createIndex('revoked_tokens_expires_idx').on('revoked_tokens').column('expires_at').execute();
  },
};
