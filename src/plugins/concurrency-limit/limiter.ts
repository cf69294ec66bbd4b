// A counting semaphore with a bounded FIFO queue and a queue timeout: at most `limit` holders,
// at most `queue` waiters; a released slot goes straight to the oldest waiter. Each request holds
// a Ticket, released exactly once whatever ends the request.
import type { Claim } from './slots.ts';

export type TimerFn = (fn: () => void, ms: number) => unknown;
export type ClearFn = (timer: unknown) => void;

// A queue timer never keeps a draining process alive: the request it belongs to is what matters.
const REAL_TIMERS = { set: (fn: () => void, ms: number) => setTimeout(fn, ms).unref(), clear: (t: unknown) => clearTimeout(t as NodeJS.Timeout) };

export interface LimiterSettings {
  readonly limit: number;
  readonly queue: number;
  readonly queueTimeoutMs: number;
}

/**
 * Why a request was turned away: no room in the queue, too long in it, or (a gateway worker
 * asking the node's limiter in its supervisor) no answer from the supervisor.
 */
export type Rejection = 'queue-full' | 'queue-timeout' | 'unanswered';

/** Refusal totals, every reason at 0. */
export function noRejections(): Record<Rejection, number> {
  return { 'queue-full': 0, 'queue-timeout': 0, unanswered: 0 };
}
/** How a wait ended: a slot (undefined), turned away, or given up by the request itself. */
export type WaitResult = Rejection | 'cancelled' | undefined;

const HOLDING = 0, WAITING = 1, DONE = 2;

/** One request's claim on a limiter: holding a slot, waiting for one, or done. */
export class Ticket implements Claim {
  readonly limiter: Limiter;
  state: typeof HOLDING | typeof WAITING | typeof DONE;
  /** Resolves when a waiting ticket gets its slot (undefined) or is turned away. */
  settle: ((r: WaitResult) => void) | undefined;
  timer: unknown;
  prev: Ticket | undefined;
  next: Ticket | undefined;
  constructor(limiter: Limiter, state: typeof HOLDING | typeof WAITING) {
    this.limiter = limiter;
    this.state = state;
  }
  get holding(): boolean { return this.state === HOLDING; }
  get waiting(): boolean { return this.state === WAITING; }
  wait(): Promise<WaitResult> { return this.limiter.wait(this); }
  release(): void { this.limiter.release(this); }
}

export class Limiter {
  readonly settings: LimiterSettings;
  readonly fingerprint: string;
  inFlight = 0;
  queued = 0;
  /** Refusals by reason; the registry shares one record per scope key, so totals outlive limiters. */
  readonly rejected: Record<Rejection, number>;
  /** FIFO of waiters, a doubly linked list so a leaving waiter is unlinked in O(1). */
  private head: Ticket | undefined;
  private tail: Ticket | undefined;
  private readonly setTimer: TimerFn;
  private readonly clearTimer: ClearFn;

  constructor(settings: LimiterSettings, fingerprint: string, timers: { set: TimerFn; clear: ClearFn } = REAL_TIMERS, rejected: Record<Rejection, number> = noRejections()) {
    this.settings = settings;
    this.fingerprint = fingerprint;
    this.rejected = rejected;
    this.setTimer = timers.set;
    this.clearTimer = timers.clear;
  }

  /**
   * A slot now (a holding ticket), a place in the queue (a waiting ticket, whose `wait` promise
   * says how it ended), or 'queue-full'.
   */
  acquire(): Ticket | 'queue-full' {
    if (this.inFlight < this.settings.limit) {
      this.inFlight++;
      return new Ticket(this, HOLDING);
    }
    if (this.queued >= this.settings.queue) {
      this.rejected['queue-full']++;
      return 'queue-full';
    }
    const t = new Ticket(this, WAITING);
    this.queued++;
    if (this.tail === undefined) { this.head = this.tail = t; } else { t.prev = this.tail; this.tail.next = t; this.tail = t; }
    t.timer = this.setTimer(() => this.timeOut(t), this.settings.queueTimeoutMs);
    return t;
  }

  /** The promise a waiting ticket resolves: undefined once it holds a slot, else why not. */
  wait(t: Ticket): Promise<WaitResult> {
    return new Promise((resolve) => { t.settle = resolve; });
  }

  /** Ends a ticket: frees its slot (to the next waiter) or takes it out of the queue. Idempotent. */
  release(t: Ticket): void {
    if (t.state === DONE) return;
    if (t.state === WAITING) {
      this.unlink(t);
      t.state = DONE;
      t.settle?.('cancelled');
      return;
    }
    t.state = DONE;
    const next = this.head;
    if (next === undefined) {
      this.inFlight--;
      return;
    }
    // The slot passes to the oldest waiter: inFlight stays the same.
    this.unlink(next);
    next.state = HOLDING;
    next.settle?.(undefined);
  }

  private timeOut(t: Ticket): void {
    if (t.state !== WAITING) return;
    this.unlink(t);
    t.state = DONE;
    this.rejected['queue-timeout']++;
    t.settle?.('queue-timeout');
  }

  private unlink(t: Ticket): void {
    if (t.prev === undefined) this.head = t.next; else t.prev.next = t.next;
    if (t.next === undefined) this.tail = t.prev; else t.next.prev = t.prev;
    t.prev = t.next = undefined;
    this.queued--;
    if (t.timer !== undefined) { this.clearTimer(t.timer); t.timer = undefined; }
  }
}
