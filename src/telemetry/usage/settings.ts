// Usage metering's settings, set per node by environment (PORTCULLIS_USAGE_*), like the webhook
// worker's: how often aggregates move and are written, how much may wait in memory, how long each
// table keeps its rows. Read once at start.
import type { UsageRetention } from '../../store/usage/store.ts';

export interface UsageSettings {
  /** How often a gateway worker hands its aggregate to the supervisor (ms). */
  readonly handoffMs: number;
  /** How often the supervisor writes what it holds to the store (ms). */
  readonly flushMs: number;
  /** Rows a gateway process keeps between hand-offs before it drops calls. */
  readonly gatewayMaxRows: number;
  /** Rows the supervisor keeps while the store is unreachable before it drops calls. */
  readonly writerMaxRows: number;
  /** How often the worker role rolls minutes up into hours and days, and prunes (ms). */
  readonly rollupMs: number;
  readonly retention: UsageRetention;
}

export class UsageSettingsError extends Error {}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageSettingsError(`${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  return n;
}

export function usageSettings(env: NodeJS.ProcessEnv = process.env): UsageSettings {
  const flushMs = int(env, 'PORTCULLIS_USAGE_FLUSH_MS', 2000, 100, 60_000);
  return {
    // Hand-offs are cheap IPC messages: at most a second apart, and never slower than the writes.
    handoffMs: Math.min(1000, flushMs),
    flushMs,
    gatewayMaxRows: int(env, 'PORTCULLIS_USAGE_GATEWAY_MAX_ROWS', 50_000, 100, 10_000_000),
    writerMaxRows: int(env, 'PORTCULLIS_USAGE_MAX_ROWS', 500_000, 100, 100_000_000),
    rollupMs: int(env, 'PORTCULLIS_USAGE_ROLLUP_MS', 60_000, 100, 3_600_000),
    retention: {
      minuteMs: int(env, 'PORTCULLIS_USAGE_MINUTE_RETENTION_HOURS', 48, 2, 24 * 365) * HOUR_MS,
      hourMs: int(env, 'PORTCULLIS_USAGE_HOUR_RETENTION_DAYS', 90, 2, 3650) * DAY_MS,
      dayMs: int(env, 'PORTCULLIS_USAGE_DAY_RETENTION_DAYS', 3 * 365, 2, 36_500) * DAY_MS,
    },
  };
}
