// Billing periods are calendar months in UTC: from the first of a month at 00:00:00.000Z up to
// (not including) the first of the next. One clock for every team, whatever its time zone, so an
// invoice's period is the same for the developer, the admin and the usage tables (UTC buckets).

export interface BillingPeriod {
  /** ISO instant, inclusive. */
  readonly start: string;
  /** ISO instant, exclusive. */
  readonly end: string;
}

/** The period holding `ms`. */
export function periodOf(ms: number): BillingPeriod {
  const d = new Date(ms);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}

/** The period `n` months before the one holding `ms` (n = 1: the previous month). */
export function periodBefore(ms: number, n = 1): BillingPeriod {
  const d = new Date(ms);
  return periodOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - n, 1));
}

/** "November 2026" for a period. */
export function periodLabel(p: BillingPeriod): string {
  return new Date(p.start).toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
}
