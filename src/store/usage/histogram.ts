// The latency histogram of usage metering: fixed bucket bounds shared by every node, worker and
// table, so histograms merge by adding bucket counts (per minute, hour, day, across nodes) and
// percentiles are computed after aggregation, never averaged.

// (Pure arithmetic, kept beside the stored format: the store's queries and the gateway's recorder
// both use it.)
import { LATENCY_BOUNDS_MS } from './types.ts';

export { LATENCY_BOUNDS_MS, LATENCY_BUCKETS } from './types.ts';

/** Index of the bucket a latency falls in (a short linear scan: 15 comparisons at most). */
export function bucketOf(ms: number): number {
  const bounds = LATENCY_BOUNDS_MS;
  for (let i = 0; i < bounds.length; i++) if (ms <= bounds[i]!) return i;
  return bounds.length;
}

/**
 * The latency below which `q` (0..1) of the calls fall, estimated from bucket counts: the bucket
 * holding the q-th call, interpolated linearly inside it (the overflow bucket reports its lower
 * bound: we know nothing above it). Undefined when there are no calls.
 */
export function percentile(buckets: ArrayLike<number>, q: number): number | undefined {
  let total = 0;
  for (let i = 0; i < buckets.length; i++) total += buckets[i]!;
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i]!;
    if (n === 0) continue;
    if (seen + n >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      if (i >= LATENCY_BOUNDS_MS.length) return lower;
      const upper = LATENCY_BOUNDS_MS[i]!;
      return lower + ((upper - lower) * (rank - seen)) / n;
    }
    seen += n;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}
