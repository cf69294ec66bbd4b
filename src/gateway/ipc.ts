// Messages between the supervisor and gateway workers.
import type { Config } from '../core/config/schema.ts';
import type { AuthServerControl } from './auth-server/endpoints.ts';
import type { CountedMessage, CountMessage, LeaseRecallMessage, LeaseReturnMessage } from './counter-channel.ts';
import type { ReservedMessage, ReserveMessage } from './control-number-channel.ts';
import type { SlotMessage, SlottedMessage } from './slot-channel.ts';
import type { FlightAnswer, FlightRequest } from './flight-channel.ts';
import type { BreakerReport, BreakerVerdict } from '../plugins/circuit-breaker/registry.ts';
import type { PurgeRequest } from '../store/cache/ports.ts';
import type { UsageRow } from '../telemetry/usage/aggregate.ts';

type RevokedToken = Parameters<AuthServerControl['revokeToken']>[0];

export type ToWorker =
  | { type: 'portcullis:start'; config: Config; port: number; host: string; health: { key: string; healthy: boolean }[] }
  | { type: 'portcullis:apply'; seq: number; config: Config }
  | { type: 'portcullis:health'; key: string; healthy: boolean }
  | { type: 'portcullis:drain'; timeoutMs: number }
  | { type: 'portcullis:revoked'; id: number; ok: boolean; error?: string }
  | CountedMessage
  | LeaseRecallMessage
  | SlottedMessage
  | FlightAnswer
  | ReservedMessage
  | { type: 'portcullis:breakers'; id: number }
  | { type: 'portcullis:cache-purge'; id: number; request: PurgeRequest }
  /** Another worker's invalidation (an unsafe request's response): drop the key from memory caches. */
  | { type: 'portcullis:cache-invalidate'; key: string }
  /** Another worker's breaker opened or closed: this worker's does too. */
  | { type: 'portcullis:breaker-verdict'; verdict: BreakerVerdict };

export type FromWorker =
  | { type: 'portcullis:listening'; version: string; port: number }
  | { type: 'portcullis:fatal'; message: string }
  | { type: 'portcullis:applied'; seq: number; version: string }
  | { type: 'portcullis:apply-failed'; seq: number; message: string }
  | { type: 'portcullis:revoke'; id: number; token: RevokedToken }
  | CountMessage
  | LeaseReturnMessage
  | SlotMessage
  | FlightRequest
  | ReserveMessage
  | { type: 'portcullis:breaker-report'; id: number; breakers: BreakerReport[] }
  | { type: 'portcullis:cache-purged'; id: number; removed: number }
  /** This worker invalidated a key in its memory caches: the others must too. */
  | { type: 'portcullis:cache-invalidate'; key: string }
  /** This worker's breaker opened or closed on its own traffic: the others adopt it. */
  | { type: 'portcullis:breaker-verdict'; verdict: BreakerVerdict }
  /** The worker's usage aggregate since its last hand-off (usage metering). */
  | { type: 'portcullis:usage'; rows: UsageRow[] };

export function isFromWorker(m: unknown): m is FromWorker {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && (m as { type: string }).type.startsWith('portcullis:');
}

export function isBreakerVerdict(v: unknown): v is BreakerVerdict {
  if (typeof v !== 'object' || v === null) return false;
  const b = v as Record<string, unknown>;
  return typeof b.service === 'string' && typeof b.fingerprint === 'string' && (b.target === null || typeof b.target === 'string')
    && (b.verdict === 'open' || b.verdict === 'closed') && Number.isFinite(b.retryAt) && Number.isFinite(b.cooldownMs);
}
