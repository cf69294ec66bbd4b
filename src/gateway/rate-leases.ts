// Rate-limit leases: the supervisor's side. With several workers, every rate-limit count used to
// be an IPC round trip to the supervisor, which holds the node's counters; on a small machine that
// cost a quarter of the node's requests/s. Now a worker that keeps counting the same key is lent a
// few units of it: the supervisor counts them at once (so the node can never admit more than the
// limit), and the worker admits that many requests by itself, until the lease runs out or its
// interval ends. Units a worker did not use come back (with its next ask for the key, when the
// lease expires, or when the supervisor recalls them) and are taken off the count again.
//
// Exactness: a lease is at most the smallest window's room divided among twice the workers, so
// leases shrink as the limit nears and stop before it. The supervisor refuses a request only after
// every lease still out on its key has come back: a refusal never happens while another worker
// holds unused units. A worker that dies keeps what it held counted (it may have used it): the
// limit still holds, and at most its unreturned units are lost for the rest of their interval.
import type { MemoryRateCounter, LeaseSpan } from '../store/counters/memory.ts';
import type { RateDecision, RateWindow } from '../store/counters/ports.ts';
import { MAX_LEASE_MS, type LeaseBook } from './lease-book.ts';

/** What a worker is told it may admit by itself. */
export interface LeaseGrant {
  readonly id: number;
  readonly units: number;
  /** Epoch ms at which the lease ends (the first of its windows' intervals to end, or MAX_LEASE_MS). */
  readonly until: number;
  /** Per window, what remained when the lease was granted, its own units not included. */
  readonly remaining: readonly number[];
}

export class RateLeases {
  readonly #counter: MemoryRateCounter;
  readonly #book: LeaseBook;

  constructor(counter: MemoryRateCounter, book: LeaseBook) {
    this.#counter = counter;
    this.#book = book;
  }

  /**
   * Counts one request of `worker` and, when it asked for a lease and there is room, lends it one on
   * the key. `recentUnits` is what the worker counted on the key in the last 1–2 s (0: no
   * lease wanted): a lease is at most twice that, so a worker that counts a key slowly does not
   * hold much of it. A request that does not fit while leases on its key are out waits for them to
   * come back and is then judged again.
   */
  count(worker: number, key: string, windows: readonly RateWindow[], nowMs: number, weight: number, recentUnits: number): Counted | Promise<{ decision: RateDecision }> {
    const bookKey = `rate\n${key}`;
    const decision = this.#counter.hit(key, windows, nowMs, weight);
    if (!decision.allowed) {
      if (!this.#book.lentOn(bookKey)) return { decision };
      // Judged again once they are back (and again if leases were lent before the recall began).
      return this.#book.recall(bookKey).then(() => this.count(worker, key, windows, Date.now(), weight, 0));
    }
    if (!(recentUnits > 0) || windows.length === 0 || !this.#book.mayLend(worker, bookKey)) return { decision };
    const units = this.#book.leaseSize(recentUnits, roomOf(decision));
    if (units < 1) return { decision };
    this.#counter.reserve(key, windows, nowMs, units);
    const spans: LeaseSpan[] = windows.map((w) => ({ windowMs: w.seconds * 1000, interval: Math.floor(nowMs / (w.seconds * 1000)) }));
    const until = leaseEnd(windows, nowMs);
    const id = this.#book.lend(worker, bookKey, units, until, (unused) => this.#counter.refund(key, spans, unused));
    return withLease(decision, id, units, until);
  }

  /**
   * Renews `worker`'s lease `leaseId` on the key, counting no request: a worker asks when the lease
   * would run dry before it ends, or when it is about to end and could last longer (its windows'
   * intervals go on). The lease is topped up to the size a new one would have (`held`: what the
   * worker has left of it) and lasts until a new one would, so a key in use never waits for a new
   * lease within its intervals. Nothing is lent when the key has no room (the worker's next request
   * is then counted here, and refused or not) or while its leases are being recalled; a renewal
   * never waits.
   */
  renew(worker: number, key: string, windows: readonly RateWindow[], nowMs: number, leaseId: number, recentUnits: number, held: number): Counted {
    const bookKey = `rate\n${key}`;
    const decision = this.#counter.hit(key, windows, nowMs, 0);
    if (!decision.allowed || !(recentUnits > 0) || windows.length === 0 || !this.#book.mayRenew(worker, bookKey, leaseId, nowMs)) return { decision };
    const units = Math.max(0, this.#book.leaseSize(recentUnits, roomOf(decision)) - held);
    // Same intervals as the lease's first units (it has not ended, and leaseEnd stops at their end):
    // its refund covers these too.
    if (units > 0) this.#counter.reserve(key, windows, nowMs, units);
    return withLease(decision, leaseId, units, this.#book.renew(leaseId, units, leaseEnd(windows, nowMs)));
  }
}

/** When a lease lent (or renewed) at `nowMs` ends: when the first of its windows' intervals does, or MAX_LEASE_MS. */
function leaseEnd(windows: readonly RateWindow[], nowMs: number): number {
  return Math.min(nowMs + MAX_LEASE_MS, intervalsEnd(windows, nowMs));
}

/** The end of the first of `windows`' intervals (those `atMs` is in) to end. */
export function intervalsEnd(windows: readonly RateWindow[], atMs: number): number {
  let end = Infinity;
  for (const w of windows) {
    const windowMs = w.seconds * 1000;
    end = Math.min(end, (Math.floor(atMs / windowMs) + 1) * windowMs);
  }
  return end;
}

type Counted = { decision: RateDecision; lease?: LeaseGrant };

/** The smallest room among a decision's windows. */
function roomOf(decision: RateDecision): number {
  let room = Infinity;
  for (const w of decision.windows) room = Math.min(room, w.remaining);
  return room;
}

/** The decision as the worker sees it (the lent units taken off what remains) and the grant. */
function withLease(decision: RateDecision, id: number, units: number, until: number): Counted {
  const remaining = decision.windows.map((w) => w.remaining - units);
  return {
    decision: { ...decision, windows: decision.windows.map((w, i) => ({ ...w, remaining: remaining[i]! })) },
    lease: { id, units, until, remaining },
  };
}
