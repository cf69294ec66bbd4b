// Webhook model tables: event types, applications, endpoints. Plain CRUD with optimistic versions
// (If-Match); the admin API validates inputs before they reach here.
import { sql } from 'kysely';
import { uuidv7 } from '../ids.ts';
import { VersionConflictError, uniquely, type ListQuery, type Page } from '../ports.ts';
import type { WebhookApplicationRow, WebhookEndpointRow, WebhookEventTypeRow } from '../schema.ts';
import { keysetPage, type Db } from '../page.ts';
import { toApplication, toEndpoint, toEventType, webhookId, type ApplicationRecord, type EndpointRecord, type EventTypeRecord, type SealedSecret } from './records.ts';

export type EventTypeInput = Pick<EventTypeRecord, 'name' | 'description' | 'schemas' | 'example'> & { platform?: boolean; archived?: boolean };
export type ApplicationInput = Pick<ApplicationRecord, 'name' | 'consumer' | 'description' | 'metadata'>;
export type EndpointInput = Pick<EndpointRecord, 'url' | 'description' | 'event_types' | 'channels' | 'disabled' | 'allow_http' | 'rate_limit' | 'max_in_flight' | 'headers'>;

const jsonOrNull = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

export class WebhookModel {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  #now(): string { return new Date().toISOString(); }

  // --- event types --------------------------------------------------------------------------

  listEventTypes(query: ListQuery & { include_archived?: boolean }): Promise<Page<EventTypeRecord>> {
    return keysetPage(this.#db, 'webhook_event_types', query, 'name', (qb) => (query.include_archived ? qb : qb.where('archived', '=', 0)), toEventType);
  }

  async getEventType(name: string): Promise<EventTypeRecord | undefined> {
    const row = await this.#db.selectFrom('webhook_event_types').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toEventType(row) : undefined;
  }

  #eventTypeRow(input: EventTypeInput): WebhookEventTypeRow {
    const now = this.#now();
    return {
      id: webhookId('et', uuidv7()), name: input.name, description: input.description, schemas: JSON.stringify(input.schemas), example: jsonOrNull(input.example),
      platform: input.platform ? 1 : 0, archived: input.archived ? 1 : 0, created_at: now, updated_at: now, version: 1,
    };
  }

  /** Creates the event type unless one of that name exists (no error: several nodes may race). */
  async ensureEventType(input: EventTypeInput): Promise<void> {
    await this.#db.insertInto('webhook_event_types').values(this.#eventTypeRow(input)).onConflict((oc) => oc.column('name').doNothing()).execute();
  }

  async createEventType(input: EventTypeInput): Promise<EventTypeRecord> {
    const row = this.#eventTypeRow(input);
    await uniquely(`event type "${input.name}"`, () => this.#db.insertInto('webhook_event_types').values(row).execute());
    return toEventType(row);
  }

  async updateEventType(name: string, input: EventTypeInput, expectedVersion?: number): Promise<EventTypeRecord> {
    let qb = this.#db.updateTable('webhook_event_types').set({
      description: input.description, schemas: JSON.stringify(input.schemas), example: jsonOrNull(input.example), archived: input.archived ? 1 : 0,
      updated_at: this.#now(), version: sql<number>`version + 1`,
    }).where('name', '=', name);
    if (expectedVersion !== undefined) qb = qb.where('version', '=', expectedVersion);
    const r = await qb.executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new VersionConflictError(`event type "${name}" changed`);
    return (await this.getEventType(name))!;
  }

  async deleteEventType(name: string, expectedVersion?: number): Promise<void> {
    let qb = this.#db.deleteFrom('webhook_event_types').where('name', '=', name);
    if (expectedVersion !== undefined) qb = qb.where('version', '=', expectedVersion);
    const r = await qb.executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new VersionConflictError(`event type "${name}" changed`);
  }

  // --- applications -------------------------------------------------------------------------

  listApplications(query: ListQuery & { consumer?: string }): Promise<Page<ApplicationRecord>> {
    return keysetPage(this.#db, 'webhook_applications', query, 'name', (qb) => (query.consumer !== undefined ? qb.where('consumer', '=', query.consumer) : qb), toApplication);
  }

  /** By id (`app_…`) or by name. */
  async getApplication(ref: string): Promise<ApplicationRecord | undefined> {
    const row = await this.#db.selectFrom('webhook_applications').selectAll().where(ref.startsWith('app_') ? 'id' : 'name', '=', ref).executeTakeFirst();
    return row ? toApplication(row) : undefined;
  }

  async applicationsOfConsumer(consumer: string): Promise<ApplicationRecord[]> {
    return (await this.#db.selectFrom('webhook_applications').selectAll().where('consumer', '=', consumer).execute()).map(toApplication);
  }

  #applicationRow(input: ApplicationInput): WebhookApplicationRow {
    const now = this.#now();
    return { id: webhookId('app', uuidv7()), name: input.name, consumer: input.consumer, description: input.description, metadata: JSON.stringify(input.metadata), created_at: now, updated_at: now, version: 1 };
  }

  /** Creates the application unless one of that name exists (no error: several nodes may race). */
  async ensureApplication(input: ApplicationInput): Promise<void> {
    await this.#db.insertInto('webhook_applications').values(this.#applicationRow(input)).onConflict((oc) => oc.column('name').doNothing()).execute();
  }

  async createApplication(input: ApplicationInput): Promise<ApplicationRecord> {
    const row = this.#applicationRow(input);
    await uniquely(`application "${input.name}"`, () => this.#db.insertInto('webhook_applications').values(row).execute());
    return toApplication(row);
  }

  async updateApplication(id: string, input: ApplicationInput, expectedVersion?: number): Promise<ApplicationRecord> {
    let qb = this.#db.updateTable('webhook_applications').set({
      name: input.name, consumer: input.consumer, description: input.description, metadata: JSON.stringify(input.metadata), updated_at: this.#now(), version: sql<number>`version + 1`,
    }).where('id', '=', id);
    if (expectedVersion !== undefined) qb = qb.where('version', '=', expectedVersion);
    const r = await uniquely(`application "${input.name}"`, () => qb.executeTakeFirst());
    if (Number(r.numUpdatedRows) === 0) throw new VersionConflictError(`application ${id} changed`);
    return (await this.getApplication(id))!;
  }

  /** Removes the application, its endpoints, and cancels their pending deliveries. */
  async deleteApplication(id: string, expectedVersion?: number): Promise<void> {
    let qb = this.#db.deleteFrom('webhook_applications').where('id', '=', id);
    if (expectedVersion !== undefined) qb = qb.where('version', '=', expectedVersion);
    const r = await qb.executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new VersionConflictError(`application ${id} changed`);
    const endpoints = await this.#db.selectFrom('webhook_endpoints').select('id').where('application_id', '=', id).execute();
    for (const e of endpoints) await this.#removeEndpoint(e.id);
  }

  // --- endpoints ----------------------------------------------------------------------------

  listEndpoints(query: ListQuery & { application_id?: string; disabled?: boolean }): Promise<Page<EndpointRecord>> {
    return keysetPage(this.#db, 'webhook_endpoints', query, 'id', (qb) => {
      if (query.application_id !== undefined) qb = qb.where('application_id', '=', query.application_id);
      if (query.disabled !== undefined) qb = qb.where('disabled', '=', query.disabled ? 1 : 0);
      return qb;
    }, toEndpoint);
  }

  async getEndpoint(id: string): Promise<EndpointRecord | undefined> {
    const row = await this.#db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toEndpoint(row) : undefined;
  }

  async getEndpoints(ids: readonly string[]): Promise<EndpointRecord[]> {
    if (ids.length === 0) return [];
    return (await this.#db.selectFrom('webhook_endpoints').selectAll().where('id', 'in', ids).execute()).map(toEndpoint);
  }

  /** Enabled endpoints of one application, or of all when `applicationId` is null (broadcast). */
  async enabledEndpoints(applicationId: string | null): Promise<EndpointRecord[]> {
    let qb = this.#db.selectFrom('webhook_endpoints').selectAll().where('disabled', '=', 0);
    if (applicationId !== null) qb = qb.where('application_id', '=', applicationId);
    return (await qb.execute()).map(toEndpoint);
  }

  async createEndpoint(applicationId: string, input: EndpointInput, secrets: readonly SealedSecret[], id = webhookId('ep', uuidv7())): Promise<EndpointRecord> {
    const now = this.#now();
    const row: WebhookEndpointRow = {
      id, application_id: applicationId, url: input.url, description: input.description, event_types: jsonOrNull(input.event_types), channels: jsonOrNull(input.channels),
      disabled: input.disabled ? 1 : 0, disabled_reason: input.disabled ? 'disabled by an operator' : null, allow_http: input.allow_http ? 1 : 0, rate_limit: input.rate_limit,
      max_in_flight: input.max_in_flight, headers: JSON.stringify(input.headers), secrets: JSON.stringify(secrets), failing_since: null, last_success_at: null,
      created_at: now, updated_at: now, version: 1,
    };
    await this.#db.insertInto('webhook_endpoints').values(row).execute();
    return toEndpoint(row);
  }

  async updateEndpoint(id: string, input: EndpointInput, expectedVersion?: number): Promise<EndpointRecord> {
    const current = await this.getEndpoint(id);
    if (!current || (expectedVersion !== undefined && current.version !== expectedVersion)) throw new VersionConflictError(`endpoint ${id} changed`);
    // Enabling starts the failure clock again; disabling by hand says so.
    const reason = input.disabled ? (current.disabled ? current.disabled_reason : 'disabled by an operator') : null;
    const r = await this.#db.updateTable('webhook_endpoints').set({
      url: input.url, description: input.description, event_types: jsonOrNull(input.event_types), channels: jsonOrNull(input.channels),
      disabled: input.disabled ? 1 : 0, disabled_reason: reason, allow_http: input.allow_http ? 1 : 0, rate_limit: input.rate_limit, max_in_flight: input.max_in_flight,
      headers: JSON.stringify(input.headers), ...(current.disabled && !input.disabled ? { failing_since: null } : {}),
      updated_at: this.#now(), version: sql<number>`version + 1`,
    }).where('id', '=', id).where('version', '=', current.version).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new VersionConflictError(`endpoint ${id} changed`);
    return (await this.getEndpoint(id))!;
  }

  async setEndpointSecrets(id: string, secrets: readonly SealedSecret[]): Promise<EndpointRecord> {
    await this.#db.updateTable('webhook_endpoints').set({ secrets: JSON.stringify(secrets), updated_at: this.#now(), version: sql<number>`version + 1` }).where('id', '=', id).execute();
    return (await this.getEndpoint(id))!;
  }

  /** Disables an endpoint that kept failing; true when this call disabled it (it was enabled). */
  async disableFailingEndpoint(id: string, reason: string): Promise<boolean> {
    const r = await this.#db.updateTable('webhook_endpoints').set({ disabled: 1, disabled_reason: reason, updated_at: this.#now(), version: sql<number>`version + 1` })
      .where('id', '=', id).where('disabled', '=', 0).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async deleteEndpoint(id: string, expectedVersion?: number): Promise<void> {
    let qb = this.#db.deleteFrom('webhook_endpoints').where('id', '=', id);
    if (expectedVersion !== undefined) qb = qb.where('version', '=', expectedVersion);
    const r = await qb.executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new VersionConflictError(`endpoint ${id} changed`);
    await this.#removeEndpoint(id, false);
  }

  async #removeEndpoint(id: string, deleteRow = true): Promise<void> {
    if (deleteRow) await this.#db.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
    await this.#db.updateTable('webhook_deliveries').set({ status: 'cancelled', last_error: 'endpoint deleted', updated_at: this.#now() })
      .where('endpoint_id', '=', id).where('status', '=', 'pending').execute();
  }

}
