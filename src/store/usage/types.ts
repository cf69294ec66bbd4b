// The shape of usage metering's data as the store keeps it. The latency bucket bounds are part of
// the stored format (columns l0…l15 mean these bounds), so they are defined here, beside it.

/** Upper bounds (inclusive, milliseconds) of every latency bucket but the last, which takes the rest. */
export const LATENCY_BOUNDS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 10_000];
/** Number of latency buckets: one per bound, plus the overflow bucket. */
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

/** The dimensions of a usage row; '' where unknown (no consumer, no subscription…). */
export interface UsageDimensions {
  /** Start of the minute, ms since the epoch. */
  readonly minute: number;
  readonly consumer: string;
  readonly credential: string;
  readonly product: string;
  readonly plan: string;
  readonly service: string;
  readonly route: string;
  readonly status: number;
}

/** One minute's counters for one set of dimensions: what gateway nodes add to the store. */
export interface UsageRow extends UsageDimensions {
  calls: number;
  errors_4xx: number;
  errors_5xx: number;
  bytes_in: number;
  bytes_out: number;
  latency_ms_sum: number;
  /** Calls per latency bucket (LATENCY_BOUNDS_MS), LATENCY_BUCKETS long. */
  latency: number[];
}

/** A histogram with no calls. */
export const emptyHistogram = (): number[] => Array.from({ length: LATENCY_BUCKETS }, () => 0);
