// The delivery worker's settings. They belong to whoever runs the node, not to admin API users:
// which private networks webhooks may reach is a deployment's security boundary, so it is set by
// environment (PORTCULLIS_WEBHOOK_*), never through the API.

export interface WebhookSettings {
  /** CIDRs endpoints may resolve to although they are loopback/private/link-local… */
  readonly allowNetworks: readonly string[];
  readonly timeoutMs: number;
  readonly leaseMs: number;
  readonly concurrency: number;
  readonly pollMs: number;
  readonly disableAfterMs: number;
  readonly retentionDays: number;
}

export class WebhookSettingsError extends Error {}

const DAY_MS = 24 * 60 * 60 * 1000;

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new WebhookSettingsError(`${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  return n;
}

export function webhookSettings(env: NodeJS.ProcessEnv = process.env): WebhookSettings {
  const timeoutMs = int(env, 'PORTCULLIS_WEBHOOK_TIMEOUT_MS', 15_000, 100, 120_000);
  const leaseMs = int(env, 'PORTCULLIS_WEBHOOK_LEASE_MS', timeoutMs + 30_000, timeoutMs + 500, 3_600_000);
  return {
    allowNetworks: (env.PORTCULLIS_WEBHOOK_ALLOW_NETWORKS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    timeoutMs,
    leaseMs,
    concurrency: int(env, 'PORTCULLIS_WEBHOOK_CONCURRENCY', 256, 1, 10_000),
    pollMs: int(env, 'PORTCULLIS_WEBHOOK_POLL_MS', 250, 10, 60_000),
    disableAfterMs: int(env, 'PORTCULLIS_WEBHOOK_DISABLE_AFTER_HOURS', 120, 1, 24 * 365) * 60 * 60 * 1000,
    retentionDays: int(env, 'PORTCULLIS_WEBHOOK_RETENTION_DAYS', 30, 1, 3650),
  };
}

export const retentionCutoff = (settings: WebhookSettings, nowMs: number) => new Date(nowMs - settings.retentionDays * DAY_MS).toISOString();
