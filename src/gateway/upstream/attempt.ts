// One try of a request against one target: the undici dispatch handler. A fresh object per try,
// so a try that was given up (timed out, client gone) can never deliver into the next one.
import type { Dispatcher } from 'undici';
import { OUTCOME_FAILURE, OUTCOME_NONE, OUTCOME_SUCCESS, type Outcome, type UpstreamGuard } from '../../core/pipeline/upstream-guard.ts';
import { classifyUpstreamError } from './errors.ts';
import type { UpstreamTarget } from './target.ts';

/** What an Attempt reports to; only the current attempt's callbacks are delivered. */
export interface AttemptOwner {
  onUpstreamStart(attempt: Attempt, statusCode: number, headers: Record<string, string | string[] | undefined>): void;
  onUpstreamData(attempt: Attempt, chunk: Buffer): void;
  onUpstreamEnd(attempt: Attempt): void;
  onUpstreamError(attempt: Attempt, err: Error): void;
}

export class Attempt implements Dispatcher.DispatchHandler {
  readonly target: UpstreamTarget;
  readonly startedAt: number;
  private readonly owner: AttemptOwner;
  private controller: Dispatcher.DispatchController | undefined;
  private abandonReason: Error | undefined;
  /** The target's in-flight count has been given back. */
  private settled = false;
  /** The route's circuit breakers, told how this attempt ended (when the route has them). */
  private readonly guard: UpstreamGuard | undefined;
  private readonly permit: number;
  /** How this attempt ended, as breakers count it: set by the status, overridden by a failure. */
  outcome: Outcome = OUTCOME_NONE;

  constructor(owner: AttemptOwner, target: UpstreamTarget, startedAt: number, guard?: UpstreamGuard, permit = -1) {
    this.owner = owner;
    this.target = target;
    this.startedAt = startedAt;
    this.guard = guard;
    this.permit = permit;
    target.inFlight++;
  }

  get abandoned(): boolean {
    return this.abandonReason !== undefined;
  }

  /** Stops this attempt; its later callbacks are ignored. Safe to call more than once. */
  abandon(reason: Error): void {
    if (this.abandonReason) return;
    this.abandonReason = reason;
    this.settle(reason);
    if (this.controller && !this.controller.aborted) this.controller.abort(reason);
  }

  pause(): void {
    this.controller?.pause();
  }

  resume(): void {
    this.controller?.resume();
  }

  /**
   * Every way an attempt ends comes through here exactly once (end, error, abandon): the one
   * place that gives back the in-flight count and the breaker permit. A target fault (refused,
   * reset, timeout, even mid-body) is a failure; the client leaving is not.
   */
  private settle(err?: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.target.inFlight--;
    const guard = this.guard;
    if (guard === undefined) return;
    if (err !== undefined && classifyUpstreamError(err).targetFault) this.outcome = OUTCOME_FAILURE;
    guard.release(this.target.origin, this.permit, this.outcome, Date.now());
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abandonReason) controller.abort(this.abandonReason);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (this.guard !== undefined && !this.settled) this.outcome = this.guard.isFailureStatus(statusCode) ? OUTCOME_FAILURE : OUTCOME_SUCCESS;
    if (!this.abandonReason) this.owner.onUpstreamStart(this, statusCode, headers);
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.abandonReason) this.owner.onUpstreamData(this, chunk);
  }

  onResponseEnd(): void {
    this.settle();
    if (!this.abandonReason) this.owner.onUpstreamEnd(this);
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.settle(err);
    if (!this.abandonReason) this.owner.onUpstreamError(this, err);
  }
}
