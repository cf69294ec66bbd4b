// The points of a quota allowance at which an event is published (webhooks): 80 % (a warning) and
// 100 % (exhausted). The store's ledger publishes them; the gateway's quota leases stop short of them.
export const QUOTA_EVENTS = { warning: 'quota.warning', exhausted: 'quota.exhausted' } as const;

/** Thresholds (percent of the limit) and the event each publishes, lowest first. */
export const QUOTA_THRESHOLDS: readonly (readonly [number, string])[] = [[80, QUOTA_EVENTS.warning], [100, QUOTA_EVENTS.exhausted]];

/** The lowest count that reaches the next event threshold above `used` (Infinity past the last). */
export function nextThresholdCount(used: number, limit: number): number {
  for (const [threshold] of QUOTA_THRESHOLDS) {
    const count = Math.ceil((threshold * limit) / 100);
    if (used < count) return count;
  }
  return Infinity;
}
