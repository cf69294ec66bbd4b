// Schema 5: EDI. Trading partners (a config entity kind like the others) and the counters of
// outbound control numbers, which must keep increasing across restarts and nodes.
import type { Kysely } from 'kysely';
import type { Database, Dialect } from '../schema.ts';
import type { Migration } from './index.ts';

export const edi: Migration = {
  version: 5,
  name: 'edi',
  async up(db: Kysely<Database>, _dialect: Dialect) {
    const s = db.schema;
    await s.createTable('trading_partners')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('key', 'text', (c) => c.notNull().unique())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await s.createTable('edi_control_numbers')
      // e.g. "x12:interchange:ZZ:CARRIER": one sequence per syntax, level and sender identity.
      .addColumn('scope', 'text', (c) => c.primaryKey())
      // bigint: X12 interchange control numbers have 9 digits (Postgres `integer` stops at 2^31).
      .addColumn('last', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
};
