// Schema 1: config entities, credentials, admin users and tokens, the audit log, API specs.
import type { CreateTableBuilder, Kysely } from 'kysely';
import type { Database, Dialect } from '../schema.ts';
import type { Migration } from './index.ts';

// Every config entity table has the same common columns; `key` is the natural key (unique).
function entityTable<T extends string>(t: CreateTableBuilder<T, never>) {
  return t
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1));
}

export const initial: Migration = {
  version: 1,
  name: 'initial',
  async up(db: Kysely<Database>, _dialect: Dialect) {
    const s = db.schema;
    await s.createTable('config_state')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.insertInto('config_state').values({ id: 1, revision: 0, updated_at: new Date().toISOString() }).execute();
    await s.createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await entityTable(s.createTable('services')).execute();
    await entityTable(s.createTable('routes')).addColumn('service', 'text').execute();
    await entityTable(s.createTable('plugins')).addColumn('plugin', 'text').addColumn('scope', 'text').addColumn('service', 'text').addColumn('route', 'text').execute();
    await entityTable(s.createTable('consumers')).addColumn('custom_id', 'text').execute();
    await entityTable(s.createTable('plans')).execute();
    await entityTable(s.createTable('products')).addColumn('status', 'text').execute();
    await entityTable(s.createTable('subscriptions')).addColumn('consumer', 'text').addColumn('product', 'text').addColumn('plan', 'text').addColumn('status', 'text').execute();
    for (const [table, column] of [['routes', 'service'], ['plugins', 'service'], ['plugins', 'route'], ['subscriptions', 'consumer'], ['subscriptions', 'product']] as const) {
      await s.createIndex(`${table}_${column}_idx`).on(table).column(column).execute();
    }

    await s.createTable('credentials')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('consumer', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('lookup', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text')
      .addColumn('display', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('revoked_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .addUniqueConstraint('credentials_type_lookup_key', ['type', 'lookup'])
      .execute();
    await s.createIndex('credentials_consumer_idx').on('credentials').column('consumer').execute();

    await s.createTable('admin_users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('email', 'text')
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await s.createTable('admin_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('admin_users.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('last_used_at', 'text')
      .execute();
    await s.createIndex('admin_tokens_user_idx').on('admin_tokens').column('user_id').execute();

    await s.createTable('audit_log')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('entity', 'text', (c) => c.notNull())
      .addColumn('entity_id', 'text')
      .addColumn('entity_key', 'text')
      .addColumn('before', 'text')
      .addColumn('after', 'text')
      .addColumn('request_id', 'text')
      .execute();
    await s.createIndex('audit_log_entity_idx').on('audit_log').columns(['entity', 'entity_id']).execute();

    await s.createTable('api_specs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await s.createIndex('api_specs_service_idx').on('api_specs').column('service').execute();
  },
};
