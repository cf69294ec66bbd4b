// Where concurrency-limit takes its slots. By default from this process's limiters (LIMITERS: one
// process, i.e. a gateway run with --workers 1, or the supervisor answering its workers). A gateway
// worker installs a source that asks the node's limiters in its supervisor instead
// (gateway/slot-channel.ts), so that a cap holds for the node, not for each worker.
import type { LimiterSettings, Rejection, WaitResult } from './limiter.ts';
import { LIMITERS } from './registry.ts';

/** One request's claim on a slot: released exactly once, whatever ends the request. */
export interface Claim {
  /** It holds a slot now (no wait needed). */
  readonly holding: boolean;
  /** For a claim not holding yet: undefined once it holds a slot, else why not. */
  wait(): Promise<WaitResult>;
  /** Gives the slot back, or gives up the wait. Idempotent. */
  release(): void;
}

/** In-flight and queued requests of one limiter, as this process sees them. */
export interface SlotCounts {
  readonly inFlight: number;
  readonly queued: number;
}

export interface SlotSource {
  /** A claim (holding, or to be waited on), or 'queue-full' when that is known at once. */
  claim(key: string, fingerprint: string, settings: LimiterSettings): Claim | 'queue-full';
  /** Counts by scope key ("route|name" or "service|name"); a key may appear more than once. */
  entries(): [string, SlotCounts][];
  /** Refusals by scope key, since the process started. */
  rejectionTotals(): [string, Readonly<Record<Rejection, number>>][];
  /** After a reload: forget what holds nothing. */
  dropIdle(): void;
}

let source: SlotSource = LIMITERS;

export function slotSource(): SlotSource {
  return source;
}

export function installSlotSource(s: SlotSource): void {
  source = s;
}
