// Schema 6: usage metering. Three tables of the same shape, one per resolution: calls per minute
// (written by the gateway nodes, which ADD their counts), and hourly and daily roll-ups (computed
// by the worker role from the finer table). Every row is keyed by its bucket and dimensions ('' for
// an unknown one: primary key columns cannot be NULL on Postgres) and carries counters plus a
// fixed-bucket latency histogram (l0…l15, LATENCY_BOUNDS_MS) so percentiles survive aggregation.
// usage_dirty lists the hours and days whose roll-up must be recomputed.
import type { Kysely } from 'kysely';
import type { Database, Dialect } from '../schema.ts';
import type { Migration } from './index.ts';
import { LATENCY_COLUMNS, USAGE_TABLES } from '../usage/columns.ts';

export const usage: Migration = {
  version: 6,
  name: 'usage-metering',
  async up(db: Kysely<Database>, _dialect: Dialect) {
    const s = db.schema;
    for (const table of USAGE_TABLES) {
      let t = s.createTable(table)
        // ISO instant of the bucket's start (UTC): text, like every other time people read.
        .addColumn('bucket_start', 'text', (c) => c.notNull())
        .addColumn('consumer', 'text', (c) => c.notNull())
        .addColumn('credential', 'text', (c) => c.notNull())
        .addColumn('product', 'text', (c) => c.notNull())
        .addColumn('plan', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('calls', 'bigint', (c) => c.notNull())
        .addColumn('errors_4xx', 'bigint', (c) => c.notNull())
        .addColumn('errors_5xx', 'bigint', (c) => c.notNull())
        .addColumn('bytes_in', 'bigint', (c) => c.notNull())
        .addColumn('bytes_out', 'bigint', (c) => c.notNull())
        .addColumn('latency_ms_sum', 'double precision', (c) => c.notNull());
      for (const col of LATENCY_COLUMNS) t = t.addColumn(col, 'bigint', (c) => c.notNull().defaultTo(0));
      await t.addPrimaryKeyConstraint(`${table}_pkey`, ['bucket_start', 'consumer', 'credential', 'product', 'plan', 'service', 'route', 'status']).execute();
      // A team's applications (the portal), a billing period's totals per consumer.
      await s.createIndex(`${table}_consumer_idx`).on(table).columns(['consumer', 'bucket_start']).execute();
    }
    await s.createTable('usage_dirty')
      .addColumn('level', 'text', (c) => c.notNull())
      .addColumn('bucket_start', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('usage_dirty_pkey', ['level', 'bucket_start'])
      .execute();
  },
};
