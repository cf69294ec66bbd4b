// Quota leases: the supervisor's side, as rate-leases.ts is for rate limits. With several workers,
// a quota subject a worker keeps counting is lent units of its allowance, consumed in the node's
// ledger at once (so the allowance can never be exceeded, and a crash keeps them counted), which
// the worker then admits by itself; unused units go back and are taken off the period's count. A
// request that does not fit while leases on its subject are out waits for them to come back.
// Leases stop short of the next event threshold (80 %, 100 %): the request that crosses one is
// always counted by the ledger itself, so the event fires on what was used, give or take the
// units other workers hold at that moment.
import type { QuotaAsk, QuotaCounter, QuotaDecision } from '../store/counters/ports.ts';
import { nextThresholdCount } from '../core/quota/thresholds.ts';
import { MAX_LEASE_MS, type LeaseBook } from './lease-book.ts';

/** What a worker is told it may admit by itself. */
export interface QuotaLeaseGrant {
  readonly id: number;
  readonly units: number;
  /** Epoch ms at which the lease ends (the period's end, or MAX_LEASE_MS). */
  readonly until: number;
  /** Used in the period when the lease was lent, its own units not included. */
  readonly used: number;
  readonly resetsAt: number;
}

/** Fewer units than this are not lent. */
const MIN_LEASE_UNITS = 4;

type Consumed = { decision: QuotaDecision; lease?: QuotaLeaseGrant };

export class QuotaLeases {
  readonly #book: LeaseBook;

  constructor(book: LeaseBook) {
    this.#book = book;
  }

  /** Consumes one request of `worker` from `ledger`; `recentUnits` as for RateLeases.count. */
  consume(ledger: QuotaCounter, worker: number, ask: QuotaAsk, nowMs: number, weight: number, recentUnits: number): Consumed | Promise<Consumed> {
    const bookKey = `quota\n${ask.subject}`;
    const r = ledger.consume(ask, nowMs, weight);
    if (r instanceof Promise) return r.then((decision) => ({ decision }));
    if (!r.allowed) {
      if (!this.#book.lentOn(bookKey)) return { decision: r };
      return this.#book.recall(bookKey).then(() => this.consume(ledger, worker, ask, Date.now(), weight, 0));
    }
    if (!(recentUnits > 0) || ledger.refund === undefined || !this.#book.mayLend(worker, bookKey)) return { decision: r };
    const units = this.#sizeFor(r, recentUnits);
    // A few units save little and make the RateLimit fields skip: small allowances are counted one by one.
    if (units < MIN_LEASE_UNITS) return { decision: r };
    const reserved = ledger.consume(ask, nowMs, units);
    if (reserved instanceof Promise || !reserved.allowed) return { decision: r };
    const until = Math.min(nowMs + MAX_LEASE_MS, r.resetsAt);
    const id = this.#book.lend(worker, bookKey, units, until, (unused) => ledger.refund!(ask, nowMs, unused));
    return { decision: r, lease: { id, units, until, used: r.used, resetsAt: r.resetsAt } };
  }

  /**
   * Renews `worker`'s lease `leaseId` on the subject, consuming no request (as RateLeases.renew):
   * topped up to the size a new lease would have (`held`: what the worker has left of it), short of
   * the next threshold, and lasting until a new one would (within the period); never waiting.
   */
  renew(ledger: QuotaCounter, worker: number, ask: QuotaAsk, nowMs: number, leaseId: number, recentUnits: number, held: number): Consumed | Promise<Consumed> {
    const bookKey = `quota\n${ask.subject}`;
    const r = ledger.consume(ask, nowMs, 0);
    if (r instanceof Promise) return r.then((decision) => ({ decision }));
    if (!r.allowed || !(recentUnits > 0) || ledger.refund === undefined || !this.#book.mayRenew(worker, bookKey, leaseId, nowMs)) return { decision: r };
    let units = Math.max(0, this.#sizeFor(r, recentUnits) - held);
    if (units < MIN_LEASE_UNITS) units = 0;
    if (units > 0) {
      const reserved = ledger.consume(ask, nowMs, units);
      if (reserved instanceof Promise || !reserved.allowed) return { decision: r };
    }
    // Within the period the lease's units were consumed in, so its refund covers these too.
    const until = this.#book.renew(leaseId, units, Math.min(nowMs + MAX_LEASE_MS, r.resetsAt));
    return { decision: r, lease: { id: leaseId, units, until, used: r.used, resetsAt: r.resetsAt } };
  }

  /** A lease's size: short of the allowance and of the next event threshold. */
  #sizeFor(r: QuotaDecision, recentUnits: number): number {
    const toThreshold = nextThresholdCount(r.used, r.limit) - 1 - r.used;
    return this.#book.leaseSize(recentUnits, Math.min(r.limit - r.used, toThreshold));
  }
}
