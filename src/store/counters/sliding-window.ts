// The sliding window counter (as in Cloudflare's and NGINX's limiters): each window keeps the
// count of the current fixed interval and of the one before it, and estimates the requests in
// the last `seconds` as  previous × (share of the previous interval still inside the window)
// + current. Why this and not GCRA or a token bucket: a plan sells "L requests per minute", and
// this never allows more than L in any calendar interval (the estimate includes every request of
// the current interval), while it smooths the boundary burst a fixed window allows (2L across
// two adjacent intervals). It needs two integers per key and window, so it is cheap in memory and
// in one Redis round trip. Its only approximation: it assumes the previous interval's requests were
// spread evenly; for a sliding window placed anywhere it can admit slightly more than L when they
// were not (bounded by the previous interval's count times the error of that assumption).
import type { RateWindow, WindowState } from './ports.ts';

export interface WindowCounts {
  /** Index of the current interval: floor(now / windowMs). */
  interval: number;
  previous: number;
  current: number;
}

/** The window's state after (or, refused, without) the request; one object, as the caller keeps it. */
export interface WindowVerdict extends WindowState {
  readonly allowed: boolean;
  /** When refused: milliseconds until one more request fits. */
  readonly retryMs: number;
}

/** Judges one more request (of `weight` units) against one window, given its counts at `nowMs`. */
export function judge(window: RateWindow, counts: WindowCounts, nowMs: number, weight = 1): WindowVerdict {
  const windowMs = window.seconds * 1000;
  const intoMs = nowMs - counts.interval * windowMs;
  const elapsed = intoMs / windowMs;
  const estimate = counts.previous * (1 - elapsed) + counts.current;
  const resetSeconds = Math.max(1, Math.ceil((windowMs - intoMs) / 1000));
  const limit = window.limit;
  if (estimate + weight <= limit) {
    return { allowed: true, limit, remaining: Math.max(0, Math.floor(limit - estimate - weight)), resetSeconds, retryMs: 0 };
  }
  return { allowed: false, limit, remaining: 0, resetSeconds, retryMs: retryMs(limit, counts, elapsed, windowMs, weight) };
}

/** Time until previous × (1 − elapsed) + current + weight ≤ limit, counting no further requests. */
function retryMs(limit: number, counts: WindowCounts, elapsed: number, windowMs: number, weight: number): number {
  const { previous, current } = counts;
  if (current + weight <= limit && previous > 0) {
    // The previous interval's share must shrink: elapsed' ≥ 1 − (limit − weight − current) / previous.
    const target = 1 - (limit - weight - current) / previous;
    return Math.max(1, Math.ceil((target - elapsed) * windowMs));
  }
  // The current interval alone is full: wait for it to end, then for its share to shrink enough.
  // (A weight above the limit never fits; the answer is then the longest wait, a window.)
  const toNext = (1 - elapsed) * windowMs;
  const target = current > 0 ? Math.min(1, Math.max(0, 1 - (limit - weight) / current)) : 0;
  return Math.max(1, Math.ceil(toNext + target * windowMs));
}

/**
 * Moves stored counts forward to `interval` in place: one interval on, the current count becomes
 * the previous one; more than one, both are zero. Rolling is only the passage of time, so it is
 * right to keep even when the request is then refused.
 */
export function rollForward(counts: WindowCounts, interval: number): void {
  if (counts.interval === interval) return;
  counts.previous = counts.interval === interval - 1 ? counts.current : 0;
  counts.current = 0;
  counts.interval = interval;
}
