// How an access plugin steers the gateway's choice of upstream target and hears how each upstream
// attempt and the whole request ended, without the plugin touching sockets or the balancer. The
// circuit-breaker plugin is the one user; a route without such a plugin pays one `undefined` check
// per attempt.
import type { PluginResponse } from './context.ts';

/** How an attempt (or a request) ended, as a breaker counts it. */
export type Outcome = 0 | 1 | 2;
/** Not counted: never reached the upstream, or the client went away. */
export const OUTCOME_NONE: Outcome = 0;
export const OUTCOME_SUCCESS: Outcome = 1;
/** Connection refused or reset, timeout, or a status the guard calls a failure. */
export const OUTCOME_FAILURE: Outcome = 2;

/** Set on `ctx.upstream.guard` by an access plugin; one object per request. */
export interface UpstreamGuard {
  /** Whether the target (by origin) may take an attempt now. Called while the balancer picks. */
  admits(origin: string, now: number): boolean;
  /**
   * An attempt goes to this target now: returns the permit to hand back through `release`
   * (a half-open breaker counts its probes with it).
   */
  acquire(origin: string, now: number): number;
  /** The attempt under `permit` ended (called exactly once per acquired permit). */
  release(origin: string, permit: number, outcome: Outcome, now: number): void;
  /** An upstream status that counts as a failure. */
  isFailureStatus(status: number): boolean;
  /** What to answer when every target that health checks allow was refused by `admits`. */
  refusal(now: number): PluginResponse;
  /** The client request finished; `outcome` is that of its last upstream attempt. Called once. */
  requestEnded(outcome: Outcome, now: number): void;
}
