// Schema 8: invoices. One invoice per application (consumer) × product × plan × billing period,
// written once when the worker finalises a finished period (the unique index makes finalisation
// idempotent across runs and workers). Lines are kept as the pricing engine produced them (JSON):
// an invoice never changes when a plan's price does. invoice_sequences numbers invoices per
// period month (INV-2026-11-000123).
import type { Kysely } from 'kysely';
import type { Database, Dialect } from '../schema.ts';
import type { Migration } from './index.ts';

export const billing: Migration = {
  version: 8,
  name: 'billing',
  async up(db: Kysely<Database>, _dialect: Dialect) {
    const s = db.schema;
    await s.createTable('invoices')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('number', 'text', (c) => c.notNull().unique())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('consumer', 'text', (c) => c.notNull())
      .addColumn('product', 'text', (c) => c.notNull())
      .addColumn('plan', 'text', (c) => c.notNull())
      // ISO instants (UTC), the end exclusive: a calendar month.
      .addColumn('period_start', 'text', (c) => c.notNull())
      .addColumn('period_end', 'text', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('calls', 'bigint', (c) => c.notNull())
      .addColumn('billable_calls', 'bigint', (c) => c.notNull())
      .addColumn('lines', 'text', (c) => c.notNull())
      .addColumn('subtotal_minor', 'bigint', (c) => c.notNull())
      .addColumn('total_minor', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull()) // open | paid | void
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('provider_reference', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('paid_at', 'text')
      .addColumn('voided_at', 'text')
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await s.createIndex('invoices_subject_period_idx').on('invoices').columns(['consumer', 'product', 'plan', 'period_start']).unique().execute();
    await s.createIndex('invoices_team_idx').on('invoices').columns(['team_id', 'period_start']).execute();
    await s.createTable('invoice_sequences')
      .addColumn('scope', 'text', (c) => c.primaryKey())
      .addColumn('last', 'bigint', (c) => c.notNull())
      .execute();
  },
};
