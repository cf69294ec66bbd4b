// When a failed delivery is tried again: immediately, then after 5 s, 5 min, 30 min, 2 h, 5 h,
// 10 h and 10 h (eight attempts over about 27 hours, Svix's schedule), each wait spread by ±20 %
// so that endpoints that failed together do not all come back at the same instant. A receiver's
// Retry-After is honoured: the wait is never shorter than it asks (up to a day).

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Wait before attempt n+1 (index n-1 for n ≥ 1); attempt 1 is immediate. */
export const RETRY_SCHEDULE_MS: readonly number[] = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;
export const JITTER = 0.2;
/** A Retry-After longer than this is not believed (the schedule's own wait applies). */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;

/**
 * The wait after `attemptsMade` failed attempts before the next one, or undefined when that was the
 * last (the delivery is dead-lettered). `random` is in [0, 1).
 */
export function retryDelay(attemptsMade: number, random: number, retryAfterMs?: number, schedule: readonly number[] = RETRY_SCHEDULE_MS): number | undefined {
  if (attemptsMade < 1 || attemptsMade > schedule.length) return undefined;
  const base = schedule[attemptsMade - 1]!;
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random));
  if (retryAfterMs === undefined || !(retryAfterMs > 0) || retryAfterMs > MAX_RETRY_AFTER_MS) return jittered;
  return Math.max(jittered, Math.ceil(retryAfterMs));
}
