// Billing settings belong to whoever runs the node (environment, PORTCULLIS_BILLING_*).
import { manualProvider } from './providers/manual.ts';
import type { PaymentProvider } from './providers/provider.ts';

export interface BillingSettings {
  /** Payment provider name (only `manual` is built in). */
  readonly provider: 'manual';
  /** manual: the payee's details shown on open invoices (bank, IBAN, address). */
  readonly payTo: string;
  /** manual: days to pay. */
  readonly dueDays: number;
  /** How long after a period ends the worker waits before finalising it (late usage flushes). */
  readonly graceMs: number;
  /** How often the worker looks for periods to finalise. */
  readonly everyMs: number;
}

export class BillingSettingsError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new BillingSettingsError(`${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  return n;
}

export function billingSettings(env: NodeJS.ProcessEnv = process.env): BillingSettings {
  const provider = env.PORTCULLIS_BILLING_PROVIDER ?? 'manual';
  if (provider !== 'manual') throw new BillingSettingsError(`PORTCULLIS_BILLING_PROVIDER must be "manual" (the built-in provider), not "${provider}"`);
  return {
    provider,
    payTo: (env.PORTCULLIS_BILLING_PAY_TO ?? '').slice(0, 2000),
    dueDays: int(env, 'PORTCULLIS_BILLING_DUE_DAYS', 30, 0, 365),
    graceMs: int(env, 'PORTCULLIS_BILLING_GRACE_MINUTES', 60, 0, 7 * 24 * 60) * 60_000,
    everyMs: int(env, 'PORTCULLIS_BILLING_EVERY_SECONDS', 600, 1, 86_400) * 1000,
  };
}

export function providerFor(settings: BillingSettings): PaymentProvider {
  return manualProvider({ payTo: settings.payTo, dueDays: settings.dueDays });
}
