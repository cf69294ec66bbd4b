// Events Portcullis itself publishes, through the same webhooks as the API owner's own: written to
// the `events` outbox in the transaction of the change they report (so an event exists exactly
// when its change committed), and relayed to webhook messages by the worker (relay.ts).
import type { StoreSession } from '../store/ports.ts';

export const PLATFORM_APPLICATION = 'platform';

interface PlatformEventType {
  readonly description: string;
  /** Also sent to the applications of the consumer named in the payload's `consumer`. */
  readonly toConsumer: boolean;
  readonly schema: Record<string, unknown>;
  readonly example: Record<string, unknown>;
}

const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const obj = (properties: Record<string, unknown>, required: string[]) => ({ type: 'object', properties, required });

const QUOTA = obj({ subject: str, consumer: str, plan: strOrNull, product: strOrNull, period: { enum: ['day', 'month'] }, period_start: str, limit: { type: 'integer' }, used: { type: 'integer' }, threshold: { type: 'integer' }, resets_at: str }, ['consumer', 'limit', 'used', 'threshold']);
const QUOTA_EXAMPLE = { subject: 'subscription:demo-shop/carrier', consumer: 'demo-shop', plan: 'starter', product: 'carrier', period: 'month', period_start: '2026-11-01T00:00:00.000Z', limit: 100000, used: 80000, threshold: 80, resets_at: '2026-12-01T00:00:00.000Z' };

export const PLATFORM_EVENT_TYPES: Readonly<Record<string, PlatformEventType>> = {
  'consumer.created': {
    description: 'A consumer was created (admin API, portal sign-up or config apply).',
    toConsumer: false,
    schema: obj({ consumer: str, consumer_id: str, custom_id: strOrNull }, ['consumer', 'consumer_id']),
    example: { consumer: 'demo-shop', consumer_id: '0193…', custom_id: null },
  },
  'credential.rotated': {
    description: 'A consumer\'s API key was rotated; the old key stays valid until `old_expires_at`.',
    toConsumer: true,
    schema: obj({ consumer: str, credential_id: str, replaced_credential_id: str, type: str, old_expires_at: strOrNull }, ['consumer', 'credential_id', 'replaced_credential_id']),
    example: { consumer: 'demo-shop', credential_id: '0193…', replaced_credential_id: '0192…', type: 'key-auth', old_expires_at: '2026-11-25T00:00:00.000Z' },
  },
  'quota.warning': { description: 'A subscription or consumer has used 80 % of its allowance for the period.', toConsumer: true, schema: QUOTA, example: QUOTA_EXAMPLE },
  'quota.exhausted': { description: 'A subscription or consumer has used all of its allowance for the period; calls are refused until it resets.', toConsumer: true, schema: QUOTA, example: { ...QUOTA_EXAMPLE, used: 100000, threshold: 100 } },
  'subscription.approved': {
    description: 'A subscription became active (approved, or created active).',
    toConsumer: true,
    schema: obj({ subscription: str, consumer: str, product: str, plan: str }, ['consumer', 'product', 'plan']),
    example: { subscription: 'demo-shop-carrier', consumer: 'demo-shop', product: 'carrier', plan: 'starter' },
  },
  'webhook.endpoint.disabled': {
    description: 'A webhook endpoint was disabled: it failed without a single success for 5 days, or its receiver answered 410 Gone.',
    toConsumer: false,
    schema: obj({ endpoint_id: str, application_id: strOrNull, url: strOrNull, failing_since: str, reason: str }, ['endpoint_id', 'failing_since']),
    example: { endpoint_id: 'ep_…', application_id: 'app_…', url: 'https://example.com/hooks', failing_since: '2026-11-18T09:00:00.000Z', reason: 'failing without a success since 2026-11-18T09:00:00.000Z' },
  },
};

export type PlatformEventName = keyof typeof PLATFORM_EVENT_TYPES & string;

/**
 * Writes a platform event to the outbox inside the caller's transaction. The idempotency key makes
 * a repeated fact (another node, a retried transaction) one event.
 */
export async function recordPlatformEvent(tx: StoreSession, type: PlatformEventName, subject: string, data: Record<string, unknown>, idempotencyKey: string | null = null): Promise<void> {
  await tx.insertEvent({ type, subject, idempotency_key: idempotencyKey, payload: JSON.stringify(data) });
}
