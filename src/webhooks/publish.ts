// Publishing: the event, its fan-out to every matching enabled endpoint and their pending
// deliveries are written in one transaction, so an event is either fully on its way or not
// stored at all. An idempotency key (or the producer's event id) makes a retried publish return
// the first message for 24 hours instead of sending the event twice.
import { DuplicateKeyError, type Store, type StoreSession } from '../store/ports.ts';
import { webhookPublished } from '../telemetry/metrics.ts';
import type { MessageRecord } from '../store/webhooks/records.ts';
import { endpointWants } from './matching.ts';
import { validatePayload, type PayloadViolation } from './payloads.ts';
import { announceDeliveriesDue } from './wake.ts';

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface PublishInput {
  readonly event_type: string;
  /** The event's data: the envelope's `data` member. */
  readonly payload: unknown;
  /** Application id or name; absent = broadcast to every application. */
  readonly application?: string;
  readonly channels?: readonly string[];
  /** The producer's id of the event; dedupes like an idempotency key when no key is given. */
  readonly event_id?: string;
  readonly idempotency_key?: string;
  readonly schema_version?: string;
  /** Deliver to this endpoint only, whatever its filters (test-send). */
  readonly only_endpoint?: string;
  readonly trigger?: 'scheduled' | 'test';
}

export interface PublishResult {
  readonly message: MessageRecord;
  /** Deliveries created (0 for a duplicate, or when no endpoint wants the event). */
  readonly deliveries: number;
  /** The idempotency key was used before: this is the first publish's message, nothing new sent. */
  readonly duplicate: boolean;
}

export class PublishError extends Error {
  readonly kind: 'not-found' | 'invalid';
  readonly violations: readonly PayloadViolation[];
  constructor(kind: 'not-found' | 'invalid', message: string, violations: readonly PayloadViolation[] = []) {
    super(message);
    this.kind = kind;
    this.violations = violations;
  }
}

/** The Standard Webhooks envelope: type, timestamp, data. Serialised once: every attempt sends these bytes. */
export function envelope(type: string, timestamp: string, data: unknown): string {
  return JSON.stringify({ type, timestamp, data });
}

/** Publishes within an open transaction (the relay of platform events uses it with its own writes). */
export async function publishIn(tx: StoreSession, input: PublishInput, nowMs: number): Promise<PublishResult> {
  const type = await tx.webhookModel.getEventType(input.event_type);
  if (!type) throw new PublishError('not-found', `no event type "${input.event_type}"`);
  if (type.archived) throw new PublishError('invalid', `event type "${input.event_type}" is archived`, [{ pointer: '/event_type', detail: 'is archived' }]);
  const violations = validatePayload(type, input.payload, input.schema_version);
  if (violations.length > 0) throw new PublishError('invalid', `the payload does not match the schema of "${type.name}"`, violations);

  let applicationId: string | null = null;
  if (input.application !== undefined) {
    const app = await tx.webhookModel.getApplication(input.application);
    if (!app) throw new PublishError('not-found', `no application "${input.application}"`);
    applicationId = app.id;
  }
  const dedupe = input.idempotency_key ?? (input.event_id !== undefined ? `event:${input.event_id}` : undefined);
  const key = dedupe === undefined ? null : `${applicationId ?? '*'}:${dedupe}`;
  if (key !== null) {
    const earlier = await tx.webhookLog.messageByIdempotencyKey(key, nowMs);
    if (earlier) return { message: earlier, deliveries: 0, duplicate: true };
  }
  const now = new Date(nowMs).toISOString();
  const channels = input.channels && input.channels.length > 0 ? [...input.channels] : null;
  let targets: string[];
  if (input.only_endpoint !== undefined) {
    targets = [input.only_endpoint];
  } else {
    const endpoints = await tx.webhookModel.enabledEndpoints(applicationId);
    targets = endpoints.filter((e) => endpointWants(e, type.name, channels)).map((e) => e.id);
  }
  const { message, deliveries } = await tx.webhookLog.insertMessageWithDeliveries({
    application_id: applicationId, event_type: type.name, event_id: input.event_id ?? null, channels,
    body: envelope(type.name, now, input.payload), idempotency_key: key, idempotency_expires_at: key === null ? null : nowMs + IDEMPOTENCY_WINDOW_MS, created_at: now,
  }, targets, nowMs, input.trigger ?? 'scheduled');
  return { message, deliveries: deliveries.length, duplicate: false };
}

/**
 * Publishes in a transaction of its own. Two publishes racing with one idempotency key: the loser's
 * insert fails on the unique key, and it answers with the winner's message.
 */
export async function publish(store: Store, input: PublishInput, nowMs = Date.now()): Promise<PublishResult> {
  let result: PublishResult;
  try {
    result = await store.write((tx) => publishIn(tx, input, nowMs));
  } catch (err) {
    if (!(err instanceof DuplicateKeyError)) throw err;
    result = await store.write((tx) => publishIn(tx, input, nowMs));
    if (!result.duplicate) return result;
  }
  if (!result.duplicate) webhookPublished.labels('api').inc();
  if (result.deliveries > 0) announceDeliveriesDue();
  return result;
}
