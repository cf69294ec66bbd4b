// Webhook operations shared by the admin API and the CLI: the model (event types, applications,
// endpoints and their secrets), publishing, and recovery (resend, replay, test-send, statistics).
import { validate } from '../core/config/validate.ts';
import type { MasterKey } from '../core/identity/sealed.ts';
import { generateSecret, secretKey, WebhookSecretError } from '../core/webhooks/signature.ts';
import { uuidv7 } from '../store/ids.ts';
import type { Store } from '../store/ports.ts';
import type { EndpointInput } from '../store/webhooks/model.ts';
import { webhookId, type ApplicationRecord, type DeliveryRecord, type EndpointRecord, type EventTypeRecord } from '../store/webhooks/records.ts';
import { endpointWants } from './matching.ts';
import { schemaProblem } from './payloads.ts';
import { publish, PublishError, type PublishResult } from './publish.ts';
import { openSecrets, rotateSecrets, sealSecret, validSecrets } from './secrets.ts';
import { checkEndpointUrl, type CompiledSsrfPolicy } from './ssrf.ts';
import { ApplicationInputSchema, EndpointInputSchema, EventTypeInputSchema, PublishSchema, ReplaySchema, ResendSchema, RotateSchema, TestSendSchema, type ApplicationInputBody, type EndpointInputBody, type EventTypeInputBody, type PublishBody } from './schemas.ts';
import { PLATFORM_APPLICATION } from './platform-events.ts';
import { announceDeliveriesDue } from './wake.ts';

export interface InputIssue { readonly pointer: string; readonly detail: string }

/** A request the webhook model refuses; `issues` point into the request body. */
export class WebhookInputError extends Error {
  readonly issues: readonly InputIssue[];
  constructor(message: string, issues: readonly InputIssue[]) {
    super(message);
    this.issues = issues;
  }
}
export class WebhookNotFoundError extends Error {}
/** The request is valid but the current state forbids it (e.g. deleting a platform event type). */
export class WebhookConflictError extends Error {}

function checked<T>(schema: Parameters<typeof validate>[0], body: unknown): T {
  const r = validate<T>(schema, body ?? {});
  if (r.ok) return r.value;
  throw new WebhookInputError(r.issues.slice(0, 3).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '), r.issues.map((i) => ({ pointer: i.pointer, detail: i.message })));
}

/** A caller-chosen signing secret must be one (`whsec_` + 24-64 bytes of base64). */
function checkSecret(secret: string): void {
  try {
    secretKey(secret);
  } catch (err) {
    if (err instanceof WebhookSecretError) throw new WebhookInputError(`secret: ${err.message}`, [{ pointer: '/secret', detail: err.message }]);
    throw err;
  }
}

const MAX_REPLAY = 100_000;


export class WebhookService {
  readonly store: Store;
  readonly #master: MasterKey;
  readonly #ssrf: CompiledSsrfPolicy;

  constructor(store: Store, master: MasterKey, ssrf: CompiledSsrfPolicy) {
    this.store = store;
    this.#master = master;
    this.#ssrf = ssrf;
  }

  // --- event types --------------------------------------------------------------------------

  #eventTypeInput(body: unknown): EventTypeInputBody {
    const input = checked<EventTypeInputBody>(EventTypeInputSchema, body);
    const issues: InputIssue[] = [];
    for (const [version, schema] of Object.entries(input.schemas)) {
      const problem = schemaProblem(schema);
      if (problem) issues.push({ pointer: `/schemas/${version}`, detail: `not a usable JSON Schema: ${problem}` });
    }
    if (issues.length > 0) throw new WebhookInputError(issues[0]!.detail, issues);
    return input;
  }

  createEventType(body: unknown): Promise<EventTypeRecord> {
    const input = this.#eventTypeInput(body);
    return this.store.write((tx) => tx.webhookModel.createEventType({ ...input, example: input.example ?? null }));
  }

  async updateEventType(name: string, body: unknown, expectedVersion?: number): Promise<EventTypeRecord> {
    const input = this.#eventTypeInput({ ...(body as object), name });
    return this.store.write(async (tx) => {
      const current = await tx.webhookModel.getEventType(name);
      if (!current) throw new WebhookNotFoundError(`no event type "${name}"`);
      if (current.platform) throw new WebhookConflictError(`"${name}" is a platform event type: Portcullis defines it`);
      // Versions already published stay as they were: a schema version is never replaced.
      for (const [v, schema] of Object.entries(current.schemas)) {
        if (input.schemas[v] !== undefined && JSON.stringify(input.schemas[v]) !== JSON.stringify(schema)) {
          throw new WebhookInputError(`schema version ${v} exists; add a new version instead of changing it`, [{ pointer: `/schemas/${v}`, detail: 'a published schema version cannot change; add a new version' }]);
        }
      }
      return tx.webhookModel.updateEventType(name, { ...input, schemas: { ...current.schemas, ...input.schemas }, example: input.example ?? current.example }, expectedVersion);
    });
  }

  async deleteEventType(name: string, expectedVersion?: number): Promise<void> {
    await this.store.write(async (tx) => {
      const current = await tx.webhookModel.getEventType(name);
      if (!current) throw new WebhookNotFoundError(`no event type "${name}"`);
      if (current.platform) throw new WebhookConflictError(`"${name}" is a platform event type: Portcullis defines it`);
      await tx.webhookModel.deleteEventType(name, expectedVersion);
    });
  }

  // --- applications -------------------------------------------------------------------------

  async application(ref: string): Promise<ApplicationRecord> {
    const app = await this.store.read().webhookModel.getApplication(ref);
    if (!app) throw new WebhookNotFoundError(`no application "${ref}"`);
    return app;
  }

  createApplication(body: unknown): Promise<ApplicationRecord> {
    const input = checked<ApplicationInputBody>(ApplicationInputSchema, body);
    return this.store.write((tx) => tx.webhookModel.createApplication({ name: input.name, consumer: input.consumer ?? null, description: input.description, metadata: input.metadata }));
  }

  async updateApplication(ref: string, body: unknown, expectedVersion?: number): Promise<ApplicationRecord> {
    const input = checked<ApplicationInputBody>(ApplicationInputSchema, body);
    const app = await this.application(ref);
    if (app.name === PLATFORM_APPLICATION && input.name !== PLATFORM_APPLICATION) throw new WebhookConflictError('the platform application cannot be renamed');
    return this.store.write((tx) => tx.webhookModel.updateApplication(app.id, { name: input.name, consumer: input.consumer ?? null, description: input.description, metadata: input.metadata }, expectedVersion));
  }

  async deleteApplication(ref: string, expectedVersion?: number): Promise<void> {
    const app = await this.application(ref);
    await this.store.write((tx) => tx.webhookModel.deleteApplication(app.id, expectedVersion));
  }

  // --- endpoints ----------------------------------------------------------------------------

  async endpoint(id: string): Promise<EndpointRecord> {
    const e = await this.store.read().webhookModel.getEndpoint(id);
    if (!e) throw new WebhookNotFoundError(`no endpoint "${id}"`);
    return e;
  }

  #endpointInput(body: unknown): { input: EndpointInput; secret: string | undefined } {
    const b = checked<EndpointInputBody>(EndpointInputSchema, body);
    const url = checkEndpointUrl(b.url, { allowHttp: b.allow_http, policy: this.#ssrf });
    if (!url.ok) throw new WebhookInputError(`url: ${url.reason}`, [{ pointer: '/url', detail: url.reason }]);
    if (b.secret !== undefined) checkSecret(b.secret);
    return {
      input: {
        url: url.url.href, description: b.description, event_types: b.event_types ?? null, channels: b.channels ?? null, disabled: b.disabled, allow_http: b.allow_http,
        rate_limit: b.rate_limit ?? null, max_in_flight: b.max_in_flight, headers: b.headers,
      },
      secret: b.secret,
    };
  }

  /** The endpoint and its signing secret (shown here, and by `secret`, and never logged). */
  async createEndpoint(appRef: string, body: unknown): Promise<{ endpoint: EndpointRecord; secret: string }> {
    const { input, secret = generateSecret() } = this.#endpointInput(body);
    const app = await this.application(appRef);
    const id = webhookId('ep', uuidv7());
    const endpoint = await this.store.write((tx) => tx.webhookModel.createEndpoint(app.id, input, [sealSecret(this.#master, id, secret, new Date())], id));
    return { endpoint, secret };
  }

  async updateEndpoint(id: string, body: unknown, expectedVersion?: number): Promise<EndpointRecord> {
    const { input, secret } = this.#endpointInput(body);
    if (secret !== undefined) throw new WebhookInputError('secret: change it with the rotate operation', [{ pointer: '/secret', detail: 'use POST …/secret/rotate to change the secret' }]);
    await this.endpoint(id);
    const updated = await this.store.write((tx) => tx.webhookModel.updateEndpoint(id, input, expectedVersion));
    // Re-enabled: whatever is pending goes now.
    if (!updated.disabled) announceDeliveriesDue();
    return updated;
  }

  async deleteEndpoint(id: string, expectedVersion?: number): Promise<void> {
    await this.endpoint(id);
    await this.store.write((tx) => tx.webhookModel.deleteEndpoint(id, expectedVersion));
  }

  /** The secrets that sign now, newest first, with the time each stops. */
  async secrets(id: string, now = new Date()): Promise<{ secret: string; created_at: string; expires_at: string | null }[]> {
    const e = await this.endpoint(id);
    const valid = validSecrets(e.secrets, now);
    const clear = openSecrets(this.#master, id, valid, now);
    return valid.map((s, i) => ({ secret: clear[i]!, created_at: s.created_at, expires_at: s.expires_at }));
  }

  async rotateSecret(id: string, body: unknown, now = new Date()): Promise<{ secret: string; endpoint: EndpointRecord }> {
    const b = checked<{ overlap_seconds: number; secret?: string }>(RotateSchema, body);
    if (b.secret !== undefined) checkSecret(b.secret);
    return this.store.write(async (tx) => {
      const e = await tx.webhookModel.getEndpoint(id);
      if (!e) throw new WebhookNotFoundError(`no endpoint "${id}"`);
      const r = rotateSecrets(this.#master, id, e.secrets, now, b.overlap_seconds * 1000, b.secret);
      return { secret: r.secret, endpoint: await tx.webhookModel.setEndpointSecrets(id, r.secrets) };
    });
  }

  // --- publishing and recovery --------------------------------------------------------------

  async publish(body: unknown, idempotencyKey?: string): Promise<PublishResult> {
    const b = checked<PublishBody>(PublishSchema, body);
    return this.#published(() => publish(this.store, { ...b, ...(idempotencyKey !== undefined ? { idempotency_key: idempotencyKey } : {}) }));
  }

  async #published<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof PublishError) {
        if (err.kind === 'not-found') throw new WebhookNotFoundError(err.message);
        throw new WebhookInputError(err.message, err.violations);
      }
      throw err;
    }
  }

  /** A new delivery of a message (to one endpoint, or to each it went to), due now. */
  async resend(messageId: string, body: unknown): Promise<DeliveryRecord[]> {
    const b = checked<{ endpoint?: string }>(ResendSchema, body);
    const created = await this.store.write(async (tx) => {
      const message = await tx.webhookLog.getMessage(messageId);
      if (!message) throw new WebhookNotFoundError(`no message "${messageId}"`);
      let targets: string[];
      if (b.endpoint !== undefined) {
        const e = await tx.webhookModel.getEndpoint(b.endpoint);
        if (!e || (message.application_id !== null && e.application_id !== message.application_id)) throw new WebhookNotFoundError(`no endpoint "${b.endpoint}" of this message's application`);
        targets = [e.id];
      } else {
        targets = [...new Set((await tx.webhookLog.deliveriesOf(messageId)).map((d) => d.endpoint_id))];
        if (targets.length === 0) throw new WebhookConflictError('the message went to no endpoint; name one with `endpoint`');
      }
      return tx.webhookLog.insertDeliveries(messageId, targets, Date.now(), 'manual');
    });
    announceDeliveriesDue();
    return created;
  }

  /**
   * Replays an endpoint's messages since a time (recovery after an outage): every message its
   * filters match that it has not received (`failed`), or every one (`all`); messages already on
   * their way to it are left alone.
   */
  async replay(endpointId: string, body: unknown): Promise<{ replayed: number; truncated: boolean }> {
    const b = checked<{ since: string; until?: string; mode: 'failed' | 'all' }>(ReplaySchema, body);
    const e = await this.endpoint(endpointId);
    const messages = (await this.store.read().webhookLog.messagesSince(e.application_id, b.since, MAX_REPLAY + 1))
      .filter((m) => (b.until === undefined || m.created_at < b.until) && endpointWants(e, m.event_type, m.channels));
    const truncated = messages.length > MAX_REPLAY;
    let replayed = 0;
    for (let i = 0; i < Math.min(messages.length, MAX_REPLAY); i += 500) {
      const chunk = messages.slice(i, i + 500);
      replayed += await this.store.write(async (tx) => {
        const statuses = await tx.webhookLog.deliveryStatusesTo(endpointId, chunk.map((m) => m.id));
        let n = 0;
        for (const m of chunk) {
          const s = statuses.get(m.id) ?? [];
          if (s.includes('pending')) continue;
          if (b.mode === 'failed' && s.includes('succeeded')) continue;
          await tx.webhookLog.insertDeliveries(m.id, [endpointId], Date.now(), 'manual');
          n++;
        }
        return n;
      });
    }
    if (replayed > 0) announceDeliveriesDue();
    return { replayed, truncated };
  }

  /** Sends an example event to one endpoint now, whatever its filters. */
  async testSend(endpointId: string, body: unknown): Promise<PublishResult> {
    const b = checked<{ event_type?: string; payload?: unknown }>(TestSendSchema, body);
    const e = await this.endpoint(endpointId);
    const read = this.store.read();
    let type: EventTypeRecord | undefined;
    if (b.event_type !== undefined) type = await read.webhookModel.getEventType(b.event_type);
    else type = (await read.webhookModel.listEventTypes({ limit: 1000 })).data.find((t) => endpointWants(e, t.name, e.channels));
    if (!type) throw new WebhookNotFoundError(b.event_type !== undefined ? `no event type "${b.event_type}"` : 'no event type this endpoint receives: name one with `event_type`');
    const payload = b.payload ?? type.example ?? {};
    return this.#published(() => publish(this.store, { event_type: type.name, payload, application: e.application_id, only_endpoint: e.id, trigger: 'test', ...(e.channels ? { channels: [e.channels[0]!] } : {}) }));
  }

  /** An endpoint's deliveries by status, and its attempts over the last `hours`. */
  async stats(endpointId: string, hours = 24, nowMs = Date.now()): Promise<EndpointStats> {
    await this.endpoint(endpointId);
    const since = new Date(nowMs - hours * 3_600_000).toISOString();
    const raw = await this.store.read().webhookLog.endpointStats(endpointId, since);
    const latencies = raw.attempts.map((a) => a.latency_ms).sort((x, y) => x - y);
    const q = (p: number) => (latencies.length === 0 ? null : latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]!);
    const succeeded = raw.attempts.filter((a) => a.outcome === 'succeeded').length;
    const byStatus: Record<string, number> = {};
    for (const a of raw.attempts) {
      const k = a.status_code === null ? 'no_response' : `${Math.floor(a.status_code / 100)}xx`;
      byStatus[k] = (byStatus[k] ?? 0) + 1;
    }
    return {
      window_hours: hours, since,
      deliveries: { pending: raw.deliveries.pending ?? 0, succeeded: raw.deliveries.succeeded ?? 0, failed: raw.deliveries.failed ?? 0, cancelled: raw.deliveries.cancelled ?? 0 },
      attempts: { total: raw.attempts.length, succeeded, failed: raw.attempts.length - succeeded, by_status: byStatus },
      success_rate: raw.attempts.length === 0 ? null : succeeded / raw.attempts.length,
      latency_ms: { p50: q(0.5), p95: q(0.95), p99: q(0.99) },
    };
  }
}

export interface EndpointStats {
  readonly window_hours: number;
  readonly since: string;
  readonly deliveries: { pending: number; succeeded: number; failed: number; cancelled: number };
  readonly attempts: { total: number; succeeded: number; failed: number; by_status: Record<string, number> };
  readonly success_rate: number | null;
  readonly latency_ms: { p50: number | null; p95: number | null; p99: number | null };
}
