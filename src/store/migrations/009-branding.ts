// Schema 9: portal branding. One row of branding (the portal's name, two colours, an optional
// logo) and the custom pages admins write in Markdown. The logo is kept as base64 text so both
// adapters store it the same way (it is small: the admin API caps it at 256 KiB); a custom page
// keeps its Markdown source only: the HTML is rendered from it when served.
import type { Kysely } from 'kysely';
import type { Database, Dialect } from '../schema.ts';
import type { Migration } from './index.ts';

export const branding: Migration = {
  version: 9,
  name: 'branding',
  async up(db: Kysely<Database>, _dialect: Dialect) {
    const s = db.schema;
    await s.createTable('portal_branding')
      .addColumn('id', 'text', (c) => c.primaryKey()) // always "portal": one row
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('primary_color', 'text', (c) => c.notNull())
      .addColumn('accent_color', 'text', (c) => c.notNull())
      .addColumn('logo_type', 'text')
      .addColumn('logo_data', 'text')
      .addColumn('logo_sha256', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();

    await s.createTable('portal_pages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('slug', 'text', (c) => c.notNull().unique())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('published', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('nav_order', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
  },
};
