// One try of a request against one target: the undici dispatch handler. A fresh object per try,
// so a try that was given up (timed out, client gone) can never deliver into the next one.
import type { Dispatcher } from 'undici';
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

  constructor(owner: AttemptOwner, target: UpstreamTarget, startedAt: number) {
    this.owner = owner;
    this.target = target;
    this.startedAt = startedAt;
    target.inFlight++;
  }

  get abandoned(): boolean {
    return this.abandonReason !== undefined;
  }

  /** Stops this attempt; its later callbacks are ignored. Safe to call more than once. */
  abandon(reason: Error): void {
    if (this.abandonReason) return;
    this.abandonReason = reason;
    this.settle();
    if (this.controller && !this.controller.aborted) this.controller.abort(reason);
  }

  pause(): void {
    this.controller?.pause();
  }

  resume(): void {
    this.controller?.resume();
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.target.inFlight--;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abandonReason) controller.abort(this.abandonReason);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
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
    this.settle();
    if (!this.abandonReason) this.owner.onUpstreamError(this, err);
  }
}
