// Webhook records as the rest of the platform sees them: JSON columns parsed, 0/1 as booleans,
// bigints as numbers. The rows themselves are in ../schema.ts.
import type { WebhookApplicationRow, WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow, WebhookEventTypeRow, WebhookMessageRow } from '../schema.ts';

export interface EventTypeRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** JSON Schema per version ("1", "2", …). */
  readonly schemas: Readonly<Record<string, unknown>>;
  readonly example: unknown;
  /** Published by Portcullis itself (platform events); cannot be deleted. */
  readonly platform: boolean;
  readonly archived: boolean;
  readonly created_at: string;
  readonly updated_at: string;
  readonly version: number;
}

export interface ApplicationRecord {
  readonly id: string;
  readonly name: string;
  readonly consumer: string | null;
  readonly description: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly created_at: string;
  readonly updated_at: string;
  readonly version: number;
}

/** A signing secret sealed under the master key; `expires_at` set on the old one by a rotation. */
export interface SealedSecret {
  readonly sealed: string;
  readonly created_at: string;
  readonly expires_at: string | null;
}

export interface EndpointRecord {
  readonly id: string;
  readonly application_id: string;
  readonly url: string;
  readonly description: string;
  readonly event_types: readonly string[] | null;
  readonly channels: readonly string[] | null;
  readonly disabled: boolean;
  readonly disabled_reason: string | null;
  readonly allow_http: boolean;
  /** Deliveries per second at most; null = unlimited. */
  readonly rate_limit: number | null;
  readonly max_in_flight: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly secrets: readonly SealedSecret[];
  readonly failing_since: number | null;
  readonly last_success_at: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly version: number;
}

export interface MessageRecord {
  readonly id: string;
  readonly application_id: string | null;
  readonly event_type: string;
  readonly event_id: string | null;
  readonly channels: readonly string[] | null;
  readonly body: string;
  readonly created_at: string;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled';

export interface DeliveryRecord {
  readonly id: string;
  readonly message_id: string;
  readonly endpoint_id: string;
  readonly status: DeliveryStatus;
  readonly trigger: string;
  readonly attempts: number;
  readonly due_at: number;
  readonly lease: number;
  readonly last_status: number | null;
  readonly last_error: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface AttemptRecord {
  readonly id: string;
  readonly delivery_id: string;
  readonly message_id: string;
  readonly endpoint_id: string;
  readonly attempt: number;
  /** scheduled (the retry schedule), manual (resend/replay), test (test-send). */
  readonly trigger: string;
  readonly outcome: 'succeeded' | 'failed';
  readonly status_code: number | null;
  readonly error_code: string | null;
  readonly error: string | null;
  readonly latency_ms: number;
  readonly response_excerpt: string;
  readonly at: string;
}

const json = <T>(text: string | null): T | null => (text === null ? null : JSON.parse(text) as T);
const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export const toEventType = (r: WebhookEventTypeRow): EventTypeRecord => ({
  id: r.id, name: r.name, description: r.description, schemas: JSON.parse(r.schemas) as Record<string, unknown>, example: json(r.example),
  platform: Number(r.platform) === 1, archived: Number(r.archived) === 1, created_at: r.created_at, updated_at: r.updated_at, version: Number(r.version),
});

export const toApplication = (r: WebhookApplicationRow): ApplicationRecord => ({
  id: r.id, name: r.name, consumer: r.consumer, description: r.description, metadata: JSON.parse(r.metadata) as Record<string, string>,
  created_at: r.created_at, updated_at: r.updated_at, version: Number(r.version),
});

export const toEndpoint = (r: WebhookEndpointRow): EndpointRecord => ({
  id: r.id, application_id: r.application_id, url: r.url, description: r.description,
  event_types: json<string[]>(r.event_types), channels: json<string[]>(r.channels),
  disabled: Number(r.disabled) === 1, disabled_reason: r.disabled_reason, allow_http: Number(r.allow_http) === 1,
  rate_limit: num(r.rate_limit), max_in_flight: Number(r.max_in_flight), headers: JSON.parse(r.headers) as Record<string, string>,
  secrets: JSON.parse(r.secrets) as SealedSecret[], failing_since: num(r.failing_since), last_success_at: r.last_success_at,
  created_at: r.created_at, updated_at: r.updated_at, version: Number(r.version),
});

export const toMessage = (r: WebhookMessageRow): MessageRecord => ({
  id: r.id, application_id: r.application_id, event_type: r.event_type, event_id: r.event_id, channels: json<string[]>(r.channels), body: r.body, created_at: r.created_at,
});

export const toDelivery = (r: WebhookDeliveryRow): DeliveryRecord => ({
  id: r.id, message_id: r.message_id, endpoint_id: r.endpoint_id, status: r.status as DeliveryStatus, trigger: r.trigger, attempts: Number(r.attempts), due_at: Number(r.due_at),
  lease: Number(r.lease), last_status: num(r.last_status), last_error: r.last_error, created_at: r.created_at, updated_at: r.updated_at,
});

export const toAttempt = (r: WebhookAttemptRow): AttemptRecord => ({
  ...r, attempt: Number(r.attempt), outcome: r.outcome as AttemptRecord['outcome'], status_code: num(r.status_code), latency_ms: Number(r.latency_ms),
});

/** Prefixed, time-ordered ids (`msg_…`), so listings by id follow creation order. */
export function webhookId(prefix: 'et' | 'app' | 'ep' | 'msg' | 'dlv' | 'atm', uuid: string): string {
  return `${prefix}_${uuid.replaceAll('-', '')}`;
}
