// The store's ports: what the control plane, the admin API and the gateway's config feed need
// from a database, whichever adapter serves it (SQLite by default, Postgres for clusters).
import type { EntityData, KindName } from '../core/entities/kinds.ts';
import type { WebhookLog } from './webhooks/log.ts';
import type { WebhookModel } from './webhooks/model.ts';
import type { UsageStore } from './usage/store.ts';
import type { PortalModel } from './portal/model.ts';
import type { InvoiceStore } from './billing/invoices.ts';
import type { BrandingModel } from './branding/model.ts';
import type { AdminTokenRow, AdminUserRow, AuditRow, CredentialRow, Dialect, EventRow, QuotaUsageRow, RevokedTokenRow, SigningKeyRow, SpecRow } from './schema.ts';
import type { EdiControlNumbers } from './edi/control-numbers.ts';
import type { CachePurgeNotice } from './cache/purge-notice.ts';

export interface StoredEntity {
  readonly id: string;
  readonly key: string;
  readonly position: number;
  readonly data: EntityData;
  readonly created_at: string;
  readonly updated_at: string;
  readonly version: number;
}

export const SORT_FIELDS = ['position', 'name', 'created_at', 'updated_at'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export interface ListQuery {
  readonly limit: number;
  readonly cursor?: string;
  readonly sort?: SortField;
  readonly descending?: boolean;
  /** Exact matches on the kind's indexed columns (and `name`). */
  readonly filters?: Readonly<Record<string, string>>;
  readonly tag?: string;
}

export interface Page<T> {
  readonly data: T[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  readonly next_cursor?: string;
}

export class InvalidCursorError extends Error {}
/** The row changed since the version the caller read (If-Match failed). */
export class VersionConflictError extends Error {}
/** A unique key is taken. */
export class DuplicateKeyError extends Error {}

/** A driver error for a unique constraint (Postgres 23505, SQLite "UNIQUE constraint failed"). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || /UNIQUE constraint failed/i.test(e?.message ?? '');
}

/** Runs a write; a unique-constraint violation becomes DuplicateKeyError(`${what} already exists`). */
export async function uniquely<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw new DuplicateKeyError(`${what} already exists`);
    throw err;
  }
}

export type AuditEntry = Omit<AuditRow, 'id' | 'at'> & { at?: string };

/** Requests one node counted for a subject since its last flush: added to what the row holds. */
export type QuotaDelta = Omit<QuotaUsageRow, 'id' | 'used' | 'notified' | 'updated_at'> & { readonly delta: number };
/** A subject's totals after a delta was added (all nodes' counts). */
export interface QuotaTotals { readonly used: number; readonly limit: number; readonly notified: number }
export type EventInput = Omit<EventRow, 'id' | 'created_at' | 'published_at'> & { id?: string; created_at?: string };

/** One unit of work: reads and writes that commit or roll back together. */
export interface StoreSession {
  revision(): Promise<number>;
  list(kind: KindName, query: ListQuery): Promise<Page<StoredEntity>>;
  all(kind: KindName): Promise<StoredEntity[]>;
  get(kind: KindName, id: string): Promise<StoredEntity | undefined>;
  getByKey(kind: KindName, key: string): Promise<StoredEntity | undefined>;
  nextPosition(kind: KindName): Promise<number>;
  insert(kind: KindName, data: EntityData, position: number, id?: string): Promise<StoredEntity>;
  /** Replaces the data; `expectedVersion` makes it conditional (VersionConflictError). */
  update(kind: KindName, id: string, data: EntityData, expectedVersion?: number, position?: number): Promise<StoredEntity>;
  delete(kind: KindName, id: string, expectedVersion?: number): Promise<void>;
  deleteWhere(kind: KindName, column: string, value: string): Promise<StoredEntity[]>;

  getSettings(key: string): Promise<unknown>;
  putSettings(key: string, data: unknown): Promise<void>;
  /**
   * A setting, held to the end of the transaction: another transaction reading the same key this
   * way waits until this one ends (a row lock on Postgres; SQLite write transactions are serial).
   * A key with nothing stored is made, as null, so that there is something to hold.
   */
  getSettingsForUpdate(key: string): Promise<unknown>;

  listCredentials(query: ListQuery & { consumer?: string }): Promise<Page<CredentialRow>>;
  /** Every credential (what the gateway compiles into its identity directory). */
  allCredentials(): Promise<CredentialRow[]>;
  getCredential(id: string): Promise<CredentialRow | undefined>;
  findCredential(type: string, lookup: string): Promise<CredentialRow | undefined>;
  insertCredential(row: Omit<CredentialRow, 'created_at' | 'updated_at' | 'version'>): Promise<CredentialRow>;
  updateCredential(id: string, patch: Partial<Pick<CredentialRow, 'expires_at' | 'revoked_at' | 'data'>>, expectedVersion?: number): Promise<CredentialRow>;
  deleteCredential(id: string, expectedVersion?: number): Promise<void>;
  deleteCredentialsOf(consumer: string): Promise<number>;
  renameCredentialOwner(from: string, to: string): Promise<void>;

  countAdminUsers(): Promise<number>;
  /** Admins, counted under a lock held to the end of the transaction (the last-admin guard). */
  countAdminsLocked(): Promise<number>;
  listAdminUsers(query: ListQuery): Promise<Page<AdminUserRow>>;
  getAdminUser(id: string): Promise<AdminUserRow | undefined>;
  getAdminUserByName(name: string): Promise<AdminUserRow | undefined>;
  insertAdminUser(row: Pick<AdminUserRow, 'name' | 'email' | 'role'> & { id?: string }): Promise<AdminUserRow>;
  updateAdminUser(id: string, patch: Pick<AdminUserRow, 'name' | 'email' | 'role'>, expectedVersion?: number): Promise<AdminUserRow>;
  deleteAdminUser(id: string, expectedVersion?: number): Promise<void>;
  insertAdminToken(row: Omit<AdminTokenRow, 'created_at' | 'last_used_at'>): Promise<AdminTokenRow>;
  getAdminToken(id: string): Promise<AdminTokenRow | undefined>;
  listAdminTokens(userId: string): Promise<AdminTokenRow[]>;
  deleteAdminToken(id: string): Promise<boolean>;
  touchAdminToken(id: string, at: string): Promise<void>;

  appendAudit(entry: AuditEntry): Promise<AuditRow>;
  /**
   * Replaces an entry's before and after snapshots; false when there is no such entry. The log is
   * append-only otherwise: this is for redacting what should never have been written in clear.
   */
  rewriteAudit(id: string, snapshots: Pick<AuditRow, 'before' | 'after'>): Promise<boolean>;
  listAudit(query: ListQuery & { entity?: string; entity_id?: string; actor?: string; since?: string }): Promise<Page<AuditRow>>;

  insertSpec(row: Omit<SpecRow, 'id' | 'created_at'>): Promise<SpecRow>;
  listSpecs(service?: string): Promise<Omit<SpecRow, 'content'>[]>;
  getSpec(id: string): Promise<SpecRow | undefined>;

  /** The OAuth2 server's signing keys, oldest first. */
  listSigningKeys(): Promise<SigningKeyRow[]>;
  insertSigningKey(row: SigningKeyRow): Promise<void>;
  /** Moves a key's sign_until / publish_until (rotation, retirement). */
  updateSigningKey(kid: string, patch: Partial<Pick<SigningKeyRow, 'sign_until' | 'publish_until'>>): Promise<void>;
  /** Removes keys no longer published at `now`; returns how many. */
  deleteSigningKeysUnpublishedAt(now: string): Promise<number>;
  listRevokedTokens(): Promise<RevokedTokenRow[]>;
  /** Idempotent: revoking a revoked token changes nothing (returns false). */
  insertRevokedToken(row: RevokedTokenRow): Promise<boolean>;
  /** Forgets revocations of tokens expired at `now`; returns how many. */
  deleteRevokedTokensExpiredAt(now: string): Promise<number>;

  /**
   * Adds a node's count to a subject's usage in a period (`used = used + delta`, creating the row
   * at `delta`), so that nodes sharing the database each add theirs; the row's limit, consumer, plan
   * and product become the delta's. Returns the totals. Not config: never bumps the revision.
   */
  addQuotaUsage(delta: QuotaDelta): Promise<QuotaTotals>;
  /**
   * Raises the subject's `notified` threshold to `threshold` if it is lower; true when this call
   * raised it. Conditional on the row's current value (a row lock on Postgres, the write lock on
   * SQLite), so across nodes exactly one transaction wins: the one that publishes the event.
   */
  markQuotaNotified(subject: string, periodStart: string, threshold: number): Promise<boolean>;
  /** Usage rows of periods not yet over at `now` (what a node loads to count on from). */
  currentQuotaUsage(now: string): Promise<QuotaUsageRow[]>;
  /** Usage rows by subject; `current_at` keeps only periods that contain that instant. */
  listQuotaUsage(query: ListQuery & { consumer?: string; plan?: string; current_at?: string }): Promise<Page<QuotaUsageRow>>;

  /** Records an event; undefined when one with the same idempotency key exists (nothing written). */
  insertEvent(event: EventInput): Promise<EventRow | undefined>;
  /** Events, oldest first. */
  listEvents(query: ListQuery & { type?: string; subject?: string }): Promise<Page<EventRow>>;
  /** Events not yet handed to webhook delivery, oldest first; `lock` takes them for this transaction. */
  unpublishedEvents(limit: number, lock?: boolean): Promise<EventRow[]>;
  markEventsPublished(ids: readonly string[], at: string): Promise<void>;

  /** Webhook event types, applications and endpoints. */
  readonly webhookModel: WebhookModel;
  /** Webhook messages, deliveries and attempts. */
  readonly webhookLog: WebhookLog;
  /** Usage metering: minute rows, roll-ups, retention, analytics queries. */
  readonly usage: UsageStore;
  /** Portal users, sessions, mailed tokens, teams and their applications. */
  readonly portal: PortalModel;
  /** Portal branding (name, colours, logo) and custom Markdown pages. */
  readonly branding: BrandingModel;
  /** Outbound EDI control number sequences. */
  readonly ediControlNumbers: EdiControlNumbers;
  /** Invoices and their numbering (billing). */
  readonly invoices: InvoiceStore;
}

export interface StoreHealth {
  readonly up: boolean;
  readonly since: string;
  readonly error?: string;
}

/** Revision changes, from this process or (through the database) any other. */
export interface ChangeFeed {
  onChange(listener: (revision: number) => void): () => void;
  health(): StoreHealth;
  /** Called when the store becomes unreachable or reachable again. */
  onHealth(listener: (health: StoreHealth) => void): () => void;
  /** Webhook deliveries were written by another process (Postgres NOTIFY; SQLite workers poll). */
  onWebhooksDue(listener: () => void): () => void;
  /** A node sharing this store purged cache entries (Postgres NOTIFY; includes this node's own notices). */
  onCachePurge(listener: (notice: CachePurgeNotice) => void): () => void;
}

export interface Store {
  readonly dialect: Dialect;
  /** Where the data is, safe to print (no password). */
  readonly location: string;
  readonly feed: ChangeFeed;
  read(): StoreSession;
  /**
   * A transaction. With `bump`, the config revision is incremented first, which also takes the
   * config write lock (a row lock on Postgres, the write lock on SQLite): config writes are serial,
   * and the change is announced to every node after commit.
   */
  write<T>(fn: (tx: StoreSession, revision: number) => Promise<T>, opts?: { bump?: boolean }): Promise<T>;
  ping(): Promise<void>;
  /**
   * Tells the other nodes sharing this store to apply these cache purges to their memory caches.
   * False when no other node can share it (SQLite: one node per database file).
   */
  announceCachePurge(notice: CachePurgeNotice): Promise<boolean>;
  close(): Promise<void>;
}

/** The store is not reachable (yet): callers answer 503 and try again later. */
export class StoreUnavailableError extends Error {
  readonly code = 'ECONNREFUSED';
}
