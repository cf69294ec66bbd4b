// Schema 3: quota usage per subject and calendar period (the gateway nodes add their counts), and
// the events table: facts the platform publishes (quota thresholds first), kept for delivery.
import type { Kysely } from 'kysely';
import type { Database, Dialect } from '../schema.ts';
import type { Migration } from './index.ts';

export const quotas: Migration = {
  version: 3,
  name: 'quotas-and-events',
  async up(db: Kysely<Database>, _dialect: Dialect) {
    const s = db.schema;
    await s.createTable('quota_usage')
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('period_start', 'text', (c) => c.notNull())
      // A surrogate id: the tie-breaker of keyset pagination, like every other listing's.
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('period_end', 'text', (c) => c.notNull())
      .addColumn('period', 'text', (c) => c.notNull())
      // bigint: plan allowances go up to 10^12 (Postgres `integer` stops at 2^31).
      .addColumn('limit', 'bigint', (c) => c.notNull())
      .addColumn('used', 'bigint', (c) => c.notNull())
      .addColumn('consumer', 'text', (c) => c.notNull())
      .addColumn('plan', 'text')
      .addColumn('product', 'text')
      // Highest threshold (percent) whose event was published for this period: 0, 80 or 100.
      .addColumn('notified', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('quota_usage_pkey', ['subject', 'period_start'])
      .execute();
    await s.createIndex('quota_usage_period_end_idx').on('quota_usage').column('period_end').execute();
    await s.createIndex('quota_usage_consumer_idx').on('quota_usage').column('consumer').execute();

    await s.createTable('events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      // Publishing the same fact twice (another node, a retry) stores it once.
      .addColumn('idempotency_key', 'text', (c) => c.unique())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      // Set by the webhook fan-out once the event has been handed to delivery.
      .addColumn('published_at', 'text')
      .execute();
    await s.createIndex('events_published_idx').on('events').columns(['published_at', 'id']).execute();
    await s.createIndex('events_type_idx').on('events').columns(['type', 'id']).execute();
  },
};
