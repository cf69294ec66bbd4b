// The portal's branding and custom pages: plain accessors. The admin API validates inputs (colours,
// slugs, logo type and size) before anything reaches here.
import { uuidv7 } from '../ids.ts';
import { DuplicateKeyError, isUniqueViolation } from '../ports.ts';
import type { Db } from '../page.ts';
import type { PortalBrandingRow, PortalPageRow } from '../schema.ts';

const BRANDING_ID = 'portal';

export interface BrandingFields { readonly name: string; readonly primary_color: string; readonly accent_color: string }
export interface Logo { readonly type: string; readonly data: string; readonly sha256: string }
export interface PageFields { readonly slug: string; readonly title: string; readonly body: string; readonly published: boolean; readonly nav_order: number }
/** A page as callers see it: `published` as a boolean. */
export type Page = Omit<PortalPageRow, 'published'> & { published: boolean };

const pageOf = (r: PortalPageRow): Page => ({ ...r, published: Number(r.published) === 1, nav_order: Number(r.nav_order), version: Number(r.version) });
const brandingOf = (r: PortalBrandingRow): PortalBrandingRow => ({ ...r, version: Number(r.version) });

export class BrandingModel {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async getBranding(): Promise<PortalBrandingRow | undefined> {
    const row = await this.#db.selectFrom('portal_branding').selectAll().where('id', '=', BRANDING_ID).executeTakeFirst();
    return row ? brandingOf(row) : undefined;
  }

  /** Sets name and colours (the first call creates the row); the logo is left as it is. */
  async putBranding(fields: BrandingFields): Promise<PortalBrandingRow> {
    const now = new Date().toISOString();
    const current = await this.getBranding();
    if (!current) {
      const row: PortalBrandingRow = { id: BRANDING_ID, ...fields, logo_type: null, logo_data: null, logo_sha256: null, updated_at: now, version: 1 };
      await this.#db.insertInto('portal_branding').values(row).execute();
      return row;
    }
    const updated = { ...current, ...fields, updated_at: now, version: current.version + 1 };
    await this.#db.updateTable('portal_branding').set({ ...fields, updated_at: now, version: updated.version }).where('id', '=', BRANDING_ID).execute();
    return updated;
  }

  /** Sets (or with undefined, removes) the logo; the branding row must exist (putBranding first). */
  async setLogo(logo: Logo | undefined): Promise<PortalBrandingRow | undefined> {
    const current = await this.getBranding();
    if (!current) return undefined;
    const now = new Date().toISOString();
    const fields = { logo_type: logo?.type ?? null, logo_data: logo?.data ?? null, logo_sha256: logo?.sha256 ?? null, updated_at: now, version: current.version + 1 };
    await this.#db.updateTable('portal_branding').set(fields).where('id', '=', BRANDING_ID).execute();
    return { ...current, ...fields };
  }

  /** Every page (or only the published ones), in navigation order then title. */
  async listPages(opts: { publishedOnly?: boolean } = {}): Promise<Page[]> {
    let q = this.#db.selectFrom('portal_pages').selectAll();
    if (opts.publishedOnly) q = q.where('published', '=', 1);
    const rows = await q.orderBy('nav_order').orderBy('title').orderBy('id').execute();
    return rows.map(pageOf);
  }

  async getPage(id: string): Promise<Page | undefined> {
    const row = await this.#db.selectFrom('portal_pages').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? pageOf(row) : undefined;
  }

  async getPageBySlug(slug: string): Promise<Page | undefined> {
    const row = await this.#db.selectFrom('portal_pages').selectAll().where('slug', '=', slug).executeTakeFirst();
    return row ? pageOf(row) : undefined;
  }

  async insertPage(fields: PageFields): Promise<Page> {
    const now = new Date().toISOString();
    const row: PortalPageRow = { id: uuidv7(), ...fields, published: fields.published ? 1 : 0, created_at: now, updated_at: now, version: 1 };
    await this.#unique(fields.slug, () => this.#db.insertInto('portal_pages').values(row).execute());
    return pageOf(row);
  }

  /** Replaces a page's fields; undefined when there is no such page. */
  async updatePage(id: string, fields: PageFields): Promise<Page | undefined> {
    const current = await this.getPage(id);
    if (!current) return undefined;
    const now = new Date().toISOString();
    const version = current.version + 1;
    await this.#unique(fields.slug, () => this.#db.updateTable('portal_pages').set({ ...fields, published: fields.published ? 1 : 0, updated_at: now, version }).where('id', '=', id).execute());
    return { ...current, ...fields, updated_at: now, version };
  }

  async deletePage(id: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('portal_pages').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async #unique<T>(slug: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(`a page with the slug "${slug}" already exists`);
      throw err;
    }
  }
}
