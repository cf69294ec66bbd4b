// When a failed upstream attempt may be tried again, and how long to wait first.
import type { UpstreamFailure } from './errors.ts';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export interface RetryState {
  /** The upstream started answering (a buffered response not yet sent): it processed the request. */
  readonly responseStarted: boolean;
  readonly attempts: number;
  readonly retries: number;
  readonly deadlinePassed: boolean;
  /** A streamed request body has started flowing, so it cannot be sent again. */
  readonly bodyConsumed: boolean;
}

export function mayRetry(failure: UpstreamFailure, method: string, s: RetryState): boolean {
  if (s.responseStarted || s.attempts > s.retries || s.deadlinePassed || s.bodyConsumed) return false;
  if (failure.kind === 'body-too-large' || failure.kind === 'client-body-timeout') return false;
  if (failure.beforeRequestSent) return true;
  // The upstream may have processed it: only a method that is safe to repeat.
  return IDEMPOTENT.has(method) && (failure.kind === 'reset' || failure.kind === 'timeout');
}

/** Exponential backoff from 10 ms, capped at 1 s, with jitter (50–100 %). */
export function backoffMs(attempts: number): number {
  return Math.min(1000, 10 * 2 ** (attempts - 1)) * (0.5 + Math.random() / 2);
}
