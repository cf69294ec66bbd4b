// The StoreSession port over Kysely: one implementation for SQLite and Postgres. Entity rows keep
// the JSON the admin API shows in `data`, plus indexed columns for filters and keyset pagination.
import { sql, type Kysely } from 'kysely';
import { KINDS, type EntityData, type KindName } from '../core/entities/kinds.ts';
import { uuidv7 } from './ids.ts';
import { WebhookLog } from './webhooks/log.ts';
import { WebhookModel } from './webhooks/model.ts';
import { UsageStore } from './usage/store.ts';
import { PortalModel } from './portal/model.ts';
import { BrandingModel } from './branding/model.ts';
import { EdiControlNumbers } from './edi/control-numbers.ts';
import { InvoiceStore } from './billing/invoices.ts';
import {
  DuplicateKeyError, VersionConflictError, isUniqueViolation,
  type AuditEntry, type EventInput, type ListQuery, type Page, type QuotaDelta, type QuotaTotals, type SortField, type StoredEntity, type StoreSession,
} from './ports.ts';
import type { AdminTokenRow, AdminUserRow, AuditRow, CredentialRow, Dialect, EntityRow, EventRow, QuotaUsageRow, RevokedTokenRow, SigningKeyRow, SpecRow } from './schema.ts';

import { keysetPage, type Db } from './page.ts';
// Entity tables are chosen at run time by kind; their common columns are typed by EntityRow.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const SORT_COLUMN: Record<SortField, string> = { position: 'position', name: 'key', created_at: 'created_at', updated_at: 'updated_at' };

const tagsColumn = (data: EntityData) => (Array.isArray(data.tags) && data.tags.length > 0 ? `,${(data.tags as string[]).join(',')},` : '');


function toEntity(row: EntityRow): StoredEntity {
  // pg returns integers as numbers and bigints as strings; SQLite as numbers: normalise once here.
  return { id: row.id, key: row.key, position: Number(row.position), data: JSON.parse(row.data) as EntityData, created_at: row.created_at, updated_at: row.updated_at, version: Number(row.version) };
}

function toQuotaUsage(r: QuotaUsageRow): QuotaUsageRow {
  return { ...r, limit: Number(r.limit), used: Number(r.used), notified: Number(r.notified) };
}

export class KyselySession implements StoreSession {
  readonly #db: Db;
  readonly #dialect: Dialect;
  constructor(db: Db, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  get #any(): AnyDb { return this.#db as unknown as AnyDb; }
  /** Webhook event types, applications and endpoints. */
  get webhookModel(): WebhookModel { return new WebhookModel(this.#db); }
  /** Webhook messages, deliveries and attempts. */
  get webhookLog(): WebhookLog { return new WebhookLog(this.#db, this.#dialect); }
  /** Usage metering: minute rows, roll-ups, retention, analytics queries. */
  get usage(): UsageStore { return new UsageStore(this.#db, this.#dialect); }
  /** Portal users, sessions, mailed tokens, teams and their applications. */
  get portal(): PortalModel { return new PortalModel(this.#db, this.#dialect); }
  /** Portal branding (name, colours, logo) and custom Markdown pages. */
  get branding(): BrandingModel { return new BrandingModel(this.#db); }
  /** Outbound EDI control number sequences. */
  get ediControlNumbers(): EdiControlNumbers { return new EdiControlNumbers(this.#db); }
  /** Invoices and their numbering (billing). */
  get invoices(): InvoiceStore { return new InvoiceStore(this.#db, this.#dialect); }
  #now(): string { return new Date().toISOString(); }

  async revision(): Promise<number> {
    const row = await this.#db.selectFrom('config_state').select('revision').where('id', '=', 1).executeTakeFirst();
    return Number(row?.revision ?? 0);
  }

  /* eslint-disable @typescript-eslint/no-explicit-any -- table and sort column are chosen at run time */
  #page<R extends { id: string }>(table: string, query: ListQuery, sortColumn: string, where: (qb: any) => any, map: (row: any) => R): Promise<Page<R>> {
    return keysetPage(this.#db, table, query, sortColumn, where, map);
  }
  /* eslint-enable @typescript-eslint/no-explicit-any */

  list(kind: KindName, query: ListQuery): Promise<Page<StoredEntity>> {
    const k = KINDS[kind];
    const allowed = new Set(['name', ...k.columns]);
    return this.#page(k.collection, query, SORT_COLUMN[query.sort ?? 'position'], (qb) => {
      for (const [field, value] of Object.entries(query.filters ?? {})) {
        if (!allowed.has(field)) continue;
        qb = qb.where(field === 'name' ? (kind === 'plugin' ? 'plugin' : 'key') : field, '=', value);
      }
      if (query.tag !== undefined) {
        // A plain substring search for ",tag,": no LIKE wildcards, and case-sensitive on SQLite too
        // (its LIKE folds ASCII case). A tag never contains ",": one that does matches nothing.
        const needle = `,${query.tag},`;
        if (query.tag.includes(',')) qb = qb.where(sql<boolean>`1 = 0`);
        else qb = qb.where(this.#dialect === 'postgres' ? sql<boolean>`strpos(tags, ${needle}) > 0` : sql<boolean>`instr(tags, ${needle}) > 0`);
      }
      return qb;
    }, toEntity);
  }

  async all(kind: KindName): Promise<StoredEntity[]> {
    const rows = await this.#any.selectFrom(KINDS[kind].collection).selectAll().orderBy('position').orderBy('id').execute();
    return rows.map((r) => toEntity(r as EntityRow));
  }

  async get(kind: KindName, id: string): Promise<StoredEntity | undefined> {
    const row = await this.#any.selectFrom(KINDS[kind].collection).selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toEntity(row as EntityRow) : undefined;
  }

  async getByKey(kind: KindName, key: string): Promise<StoredEntity | undefined> {
    const row = await this.#any.selectFrom(KINDS[kind].collection).selectAll().where('key', '=', key).executeTakeFirst();
    return row ? toEntity(row as EntityRow) : undefined;
  }

  async nextPosition(kind: KindName): Promise<number> {
    const row = await this.#any.selectFrom(KINDS[kind].collection).select((eb) => eb.fn.max('position').as('p')).executeTakeFirst();
    return row?.p === null || row?.p === undefined ? 0 : Number(row.p) + 1;
  }

  async insert(kind: KindName, data: EntityData, position: number, id = uuidv7()): Promise<StoredEntity> {
    const k = KINDS[kind];
    const now = this.#now();
    const row = { id, key: k.key(data), position, data: JSON.stringify(data), tags: tagsColumn(data), created_at: now, updated_at: now, version: 1, ...k.columnValues(data) };
    try {
      await this.#any.insertInto(k.collection).values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(`${k.title.toLowerCase()} "${row.key}" already exists`);
      throw err;
    }
    return toEntity(row);
  }

  async update(kind: KindName, id: string, data: EntityData, expectedVersion?: number, position?: number): Promise<StoredEntity> {
    const k = KINDS[kind];
    const current = await this.get(kind, id);
    if (!current) throw new VersionConflictError(`${k.title.toLowerCase()} ${id} no longer exists`);
    if (expectedVersion !== undefined && current.version !== expectedVersion) throw new VersionConflictError(`${k.title.toLowerCase()} ${id} changed (version ${current.version}, expected ${expectedVersion})`);
    const next = { key: k.key(data), data: JSON.stringify(data), tags: tagsColumn(data), updated_at: this.#now(), version: current.version + 1, position: position ?? current.position, ...k.columnValues(data) };
    let result;
    try {
      result = await this.#any.updateTable(k.collection).set(next).where('id', '=', id).where('version', '=', current.version).executeTakeFirst();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(`${k.title.toLowerCase()} "${next.key}" already exists`);
      throw err;
    }
    if (Number(result.numUpdatedRows) !== 1) throw new VersionConflictError(`${k.title.toLowerCase()} ${id} changed meanwhile`);
    return { id, key: next.key, position: next.position, data, created_at: current.created_at, updated_at: next.updated_at, version: next.version };
  }

  async delete(kind: KindName, id: string, expectedVersion?: number): Promise<void> {
    let q = this.#any.deleteFrom(KINDS[kind].collection).where('id', '=', id);
    if (expectedVersion !== undefined) q = q.where('version', '=', expectedVersion);
    const r = await q.executeTakeFirst();
    if (Number(r.numDeletedRows) !== 1) throw new VersionConflictError(`${KINDS[kind].title.toLowerCase()} ${id} changed or no longer exists`);
  }

  async deleteWhere(kind: KindName, column: string, value: string): Promise<StoredEntity[]> {
    const table = KINDS[kind].collection;
    const rows = await this.#any.selectFrom(table).selectAll().where(column, '=', value).execute();
    if (rows.length > 0) await this.#any.deleteFrom(table).where(column, '=', value).execute();
    return rows.map((r) => toEntity(r as EntityRow));
  }

  async getSettings(key: string): Promise<unknown> {
    const row = await this.#db.selectFrom('settings').select('data').where('key', '=', key).executeTakeFirst();
    return row ? JSON.parse(row.data) as unknown : undefined;
  }

  async getSettingsForUpdate(key: string): Promise<unknown> {
    // Only a row can be locked: one is made (null) when the key has none; a transaction making the
    // same key at the same time waits for this one and then makes nothing.
    await this.#db.insertInto('settings').values({ key, data: 'null', updated_at: this.#now() }).onConflict((oc) => oc.column('key').doNothing()).execute();
    // Postgres: a row lock to the end of the transaction. SQLite: the transaction already holds the
    // database write lock (BEGIN IMMEDIATE).
    let q = this.#db.selectFrom('settings').select('data').where('key', '=', key);
    if (this.#dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirstOrThrow();
    return JSON.parse(row.data) as unknown;
  }

  async putSettings(key: string, data: unknown): Promise<void> {
    const values = { key, data: JSON.stringify(data), updated_at: this.#now() };
    await this.#db.insertInto('settings').values(values).onConflict((oc) => oc.column('key').doUpdateSet({ data: values.data, updated_at: values.updated_at })).execute();
  }

  // --- credentials -------------------------------------------------------------------------

  listCredentials(query: ListQuery & { consumer?: string }): Promise<Page<CredentialRow>> {
    const sort = query.sort === 'updated_at' ? 'updated_at' : 'created_at';
    return this.#page('credentials', query, sort, (qb) => (query.consumer !== undefined ? qb.where('consumer', '=', query.consumer) : qb), (r) => ({ ...r, version: Number(r.version) }));
  }

  async allCredentials(): Promise<CredentialRow[]> {
    const rows = await this.#db.selectFrom('credentials').selectAll().orderBy('id').execute();
    return rows.map((r) => ({ ...r, version: Number(r.version) }));
  }

  async getCredential(id: string): Promise<CredentialRow | undefined> {
    const row = await this.#db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? { ...row, version: Number(row.version) } : undefined;
  }

  async findCredential(type: string, lookup: string): Promise<CredentialRow | undefined> {
    const row = await this.#db.selectFrom('credentials').selectAll().where('type', '=', type).where('lookup', '=', lookup).executeTakeFirst();
    return row ? { ...row, version: Number(row.version) } : undefined;
  }

  async insertCredential(row: Omit<CredentialRow, 'created_at' | 'updated_at' | 'version'>): Promise<CredentialRow> {
    const now = this.#now();
    const full = { ...row, created_at: now, updated_at: now, version: 1 };
    try {
      await this.#db.insertInto('credentials').values(full).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(row.type === 'basic-auth' ? `username "${row.display}" is taken` : 'that key is already in use');
      throw err;
    }
    return full;
  }

  async updateCredential(id: string, patch: Partial<Pick<CredentialRow, 'expires_at' | 'revoked_at' | 'data'>>, expectedVersion?: number): Promise<CredentialRow> {
    const current = await this.getCredential(id);
    if (!current || (expectedVersion !== undefined && current.version !== expectedVersion)) throw new VersionConflictError(`credential ${id} changed or no longer exists`);
    const next = { ...patch, updated_at: this.#now(), version: current.version + 1 };
    const r = await this.#db.updateTable('credentials').set(next).where('id', '=', id).where('version', '=', current.version).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new VersionConflictError(`credential ${id} changed meanwhile`);
    return { ...current, ...next };
  }

  async deleteCredential(id: string, expectedVersion?: number): Promise<void> {
    let q = this.#db.deleteFrom('credentials').where('id', '=', id);
    if (expectedVersion !== undefined) q = q.where('version', '=', expectedVersion);
    const r = await q.executeTakeFirst();
    if (Number(r.numDeletedRows) !== 1) throw new VersionConflictError(`credential ${id} changed or no longer exists`);
  }

  async deleteCredentialsOf(consumer: string): Promise<number> {
    const r = await this.#db.deleteFrom('credentials').where('consumer', '=', consumer).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async renameCredentialOwner(from: string, to: string): Promise<void> {
    await this.#db.updateTable('credentials').set({ consumer: to, updated_at: this.#now() }).where('consumer', '=', from).execute();
  }

  // --- admin users and tokens ---------------------------------------------------------------

  async countAdminUsers(): Promise<number> {
    const row = await this.#db.selectFrom('admin_users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async countAdminsLocked(): Promise<number> {
    // Postgres: row locks on every admin, so two concurrent demotions cannot both see "two
    // admins left". SQLite: the transaction already holds the database write lock (BEGIN IMMEDIATE).
    let q = this.#db.selectFrom('admin_users').select('id').where('role', '=', 'admin');
    if (this.#dialect === 'postgres') q = q.forUpdate();
    return (await q.execute()).length;
  }

  listAdminUsers(query: ListQuery): Promise<Page<AdminUserRow>> {
    const sort = query.sort === 'name' ? 'name' : query.sort === 'updated_at' ? 'updated_at' : 'created_at';
    return this.#page('admin_users', query, sort, (qb) => qb, (r) => ({ ...r, version: Number(r.version) }));
  }

  async getAdminUser(id: string): Promise<AdminUserRow | undefined> {
    const row = await this.#db.selectFrom('admin_users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? { ...row, version: Number(row.version) } : undefined;
  }

  async getAdminUserByName(name: string): Promise<AdminUserRow | undefined> {
    const row = await this.#db.selectFrom('admin_users').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? { ...row, version: Number(row.version) } : undefined;
  }

  async insertAdminUser(row: Pick<AdminUserRow, 'name' | 'email' | 'role'> & { id?: string }): Promise<AdminUserRow> {
    const now = this.#now();
    const full: AdminUserRow = { id: row.id ?? uuidv7(), name: row.name, email: row.email ?? null, role: row.role, created_at: now, updated_at: now, version: 1 };
    try {
      await this.#db.insertInto('admin_users').values(full).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(`admin user "${row.name}" already exists`);
      throw err;
    }
    return full;
  }

  async updateAdminUser(id: string, patch: Pick<AdminUserRow, 'name' | 'email' | 'role'>, expectedVersion?: number): Promise<AdminUserRow> {
    const current = await this.getAdminUser(id);
    if (!current || (expectedVersion !== undefined && current.version !== expectedVersion)) throw new VersionConflictError(`admin user ${id} changed or no longer exists`);
    const next = { name: patch.name, email: patch.email ?? null, role: patch.role, updated_at: this.#now(), version: current.version + 1 };
    try {
      const r = await this.#db.updateTable('admin_users').set(next).where('id', '=', id).where('version', '=', current.version).executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new VersionConflictError(`admin user ${id} changed meanwhile`);
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(`admin user "${patch.name}" already exists`);
      throw err;
    }
    return { ...current, ...next };
  }

  async deleteAdminUser(id: string, expectedVersion?: number): Promise<void> {
    // The user first: a stale version must leave its tokens alone, in a transaction or not.
    let q = this.#db.deleteFrom('admin_users').where('id', '=', id);
    if (expectedVersion !== undefined) q = q.where('version', '=', expectedVersion);
    const r = await q.executeTakeFirst();
    if (Number(r.numDeletedRows) !== 1) throw new VersionConflictError(`admin user ${id} changed or no longer exists`);
    // The foreign key cascades; deleting explicitly as well does not depend on it being enforced.
    await this.#db.deleteFrom('admin_tokens').where('user_id', '=', id).execute();
  }

  async insertAdminToken(row: Omit<AdminTokenRow, 'created_at' | 'last_used_at'>): Promise<AdminTokenRow> {
    const full: AdminTokenRow = { ...row, created_at: this.#now(), last_used_at: null };
    await this.#db.insertInto('admin_tokens').values(full).execute();
    return full;
  }

  async getAdminToken(id: string): Promise<AdminTokenRow | undefined> {
    return this.#db.selectFrom('admin_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listAdminTokens(userId: string): Promise<AdminTokenRow[]> {
    return this.#db.selectFrom('admin_tokens').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
  }

  async deleteAdminToken(id: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('admin_tokens').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async touchAdminToken(id: string, at: string): Promise<void> {
    await this.#db.updateTable('admin_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  // --- audit log ------------------------------------------------------------------------------

  async appendAudit(entry: AuditEntry): Promise<AuditRow> {
    const row: AuditRow = { ...entry, id: uuidv7(), at: entry.at ?? this.#now() };
    await this.#db.insertInto('audit_log').values(row).execute();
    return row;
  }

  async rewriteAudit(id: string, snapshots: Pick<AuditRow, 'before' | 'after'>): Promise<boolean> {
    const r = await this.#db.updateTable('audit_log').set({ before: snapshots.before, after: snapshots.after }).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  listAudit(query: ListQuery & { entity?: string; entity_id?: string; actor?: string; since?: string }): Promise<Page<AuditRow>> {
    // Newest first by default: the log is read to answer "what just changed?".
    return this.#page('audit_log', { ...query, descending: query.descending ?? true }, 'id', (qb) => {
      if (query.entity !== undefined) qb = qb.where('entity', '=', query.entity);
      if (query.entity_id !== undefined) qb = qb.where('entity_id', '=', query.entity_id);
      if (query.actor !== undefined) qb = qb.where('actor', '=', query.actor);
      if (query.since !== undefined) qb = qb.where('at', '>=', query.since);
      return qb;
    }, (r) => r as AuditRow);
  }

  // --- API specs ------------------------------------------------------------------------------

  async insertSpec(row: Omit<SpecRow, 'id' | 'created_at'>): Promise<SpecRow> {
    const full: SpecRow = { ...row, id: uuidv7(), created_at: this.#now() };
    await this.#db.insertInto('api_specs').values(full).execute();
    return full;
  }

  async listSpecs(service?: string): Promise<Omit<SpecRow, 'content'>[]> {
    let q = this.#db.selectFrom('api_specs').select(['id', 'service', 'format', 'title', 'version', 'created_at']);
    if (service !== undefined) q = q.where('service', '=', service);
    return q.orderBy('id').execute();
  }

  async getSpec(id: string): Promise<SpecRow | undefined> {
    return this.#db.selectFrom('api_specs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  // --- OAuth2 server: signing keys and revoked tokens -------------------------------------------

  async listSigningKeys(): Promise<SigningKeyRow[]> {
    return this.#db.selectFrom('signing_keys').selectAll().orderBy('sign_from').orderBy('kid').execute();
  }

  async insertSigningKey(row: SigningKeyRow): Promise<void> {
    try {
      await this.#db.insertInto('signing_keys').values(row).execute();
    } catch (err) {
      throw isUniqueViolation(err) ? new DuplicateKeyError(`signing key "${row.kid}" exists`) : err;
    }
  }

  async updateSigningKey(kid: string, patch: Partial<Pick<SigningKeyRow, 'sign_until' | 'publish_until'>>): Promise<void> {
    if (Object.keys(patch).length === 0) return;
    await this.#db.updateTable('signing_keys').set(patch).where('kid', '=', kid).execute();
  }

  async deleteSigningKeysUnpublishedAt(now: string): Promise<number> {
    const r = await this.#db.deleteFrom('signing_keys').where('publish_until', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async listRevokedTokens(): Promise<RevokedTokenRow[]> {
    return this.#db.selectFrom('revoked_tokens').selectAll().orderBy('jti').execute();
  }

  async insertRevokedToken(row: RevokedTokenRow): Promise<boolean> {
    const r = await this.#db.insertInto('revoked_tokens').values(row).onConflict((oc) => oc.column('jti').doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async deleteRevokedTokensExpiredAt(now: string): Promise<number> {
    const r = await this.#db.deleteFrom('revoked_tokens').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  // --- quota usage and events -------------------------------------------------------------------

  async addQuotaUsage(d: QuotaDelta): Promise<QuotaTotals> {
    const { delta, ...row } = d;
    const now = this.#now();
    const r = await this.#db.insertInto('quota_usage')
      .values({ ...row, id: uuidv7(), used: delta, notified: 0, updated_at: now })
      .onConflict((oc) => oc.columns(['subject', 'period_start']).doUpdateSet((eb) => ({
        used: eb('quota_usage.used', '+', eb.ref('excluded.used')),
        limit: eb.ref('excluded.limit'),
        consumer: eb.ref('excluded.consumer'),
        plan: eb.ref('excluded.plan'),
        product: eb.ref('excluded.product'),
        updated_at: eb.ref('excluded.updated_at'),
      })))
      .returning(['used', 'limit', 'notified'])
      .executeTakeFirstOrThrow();
    // pg returns bigint columns as strings.
    return { used: Number(r.used), limit: Number(r.limit), notified: Number(r.notified) };
  }

  async markQuotaNotified(subject: string, periodStart: string, threshold: number): Promise<boolean> {
    const r = await this.#db.updateTable('quota_usage').set({ notified: threshold })
      .where('subject', '=', subject).where('period_start', '=', periodStart).where('notified', '<', threshold)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async currentQuotaUsage(now: string): Promise<QuotaUsageRow[]> {
    const rows = await this.#db.selectFrom('quota_usage').selectAll().where('period_end', '>', now).orderBy('subject').orderBy('period_start').execute();
    return rows.map(toQuotaUsage);
  }

  listQuotaUsage(query: ListQuery & { consumer?: string; plan?: string; current_at?: string }): Promise<Page<QuotaUsageRow>> {
    return this.#page('quota_usage', query, 'subject', (qb) => {
      if (query.consumer !== undefined) qb = qb.where('consumer', '=', query.consumer);
      if (query.plan !== undefined) qb = qb.where('plan', '=', query.plan);
      if (query.current_at !== undefined) qb = qb.where('period_start', '<=', query.current_at).where('period_end', '>', query.current_at);
      return qb;
    }, toQuotaUsage);
  }

  async insertEvent(event: EventInput): Promise<EventRow | undefined> {
    const row: EventRow = { id: event.id ?? uuidv7(), type: event.type, subject: event.subject, idempotency_key: event.idempotency_key, payload: event.payload, created_at: event.created_at ?? this.#now(), published_at: null };
    const r = await this.#db.insertInto('events').values(row).onConflict((oc) => oc.column('idempotency_key').doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0 ? row : undefined;
  }

  listEvents(query: ListQuery & { type?: string; subject?: string }): Promise<Page<EventRow>> {
    return this.#page('events', query, 'id', (qb) => {
      if (query.type !== undefined) qb = qb.where('type', '=', query.type);
      if (query.subject !== undefined) qb = qb.where('subject', '=', query.subject);
      return qb;
    }, (r) => ({ ...r }) as EventRow);
  }

  async unpublishedEvents(limit: number, lock = false): Promise<EventRow[]> {
    const qb = this.#db.selectFrom('events').selectAll().where('published_at', 'is', null).orderBy('id').limit(limit);
    // Several relays on Postgres: each takes the events no other transaction holds.
    return (lock && this.#dialect === 'postgres' ? qb.forUpdate().skipLocked() : qb).execute();
  }

  async markEventsPublished(ids: readonly string[], at: string): Promise<void> {
    if (ids.length > 0) await this.#db.updateTable('events').set({ published_at: at }).where('id', 'in', ids).execute();
  }

  /** Used by adapters: increments the revision, taking the config write lock. */
  async bumpRevision(): Promise<number> {
    await this.#db.updateTable('config_state').set((eb) => ({ revision: eb('revision', '+', 1), updated_at: this.#now() })).where('id', '=', 1).execute();
    const revision = await this.revision();
    if (this.#dialect === 'postgres') await sql`select pg_notify(${CONFIG_CHANNEL}, ${String(revision)})`.execute(this.#db);
    return revision;
  }
}

/** Postgres NOTIFY channel announcing config revisions. */
export const CONFIG_CHANNEL = 'portcullis_config';
