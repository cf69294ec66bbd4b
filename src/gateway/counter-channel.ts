// Counting across the worker processes of one node: workers send each request's count to the
// supervisor, which holds the node's counters (memory) and answers. Requests that arrive in the
// same turn of a worker's event loop travel together in one IPC message each way. A worker that
// keeps counting one rate-limit key or quota subject is lent a lease on it (rate-leases.ts,
// quota-leases.ts): it then admits that many requests by itself, with no message at all, renews the
// lease before it runs dry or ends (held-leases.ts wantsRenewal), and gives back what it did not use.
import { localQuotaCounter, localRateCounter } from '../store/counters/local.ts';
import { counterBackendCalls, counterLeased } from '../telemetry/metrics.ts';
import { TurnBatch } from './turn-batch.ts';
import { intervalsEnd, type LeaseGrant, type RateLeases } from './rate-leases.ts';
import type { LeaseBook, LeaseReturn } from './lease-book.ts';
import type { QuotaLeaseGrant, QuotaLeases } from './quota-leases.ts';
import { HeldLeases, RecentCounts, grow, wantsRenewal, type Held } from './held-leases.ts';
import type { QuotaAsk, QuotaCounter, QuotaDecision, RateCounter, RateDecision, RateWindow, WindowState } from '../store/counters/ports.ts';

export type CountRequest =
  | {
    readonly id: number; readonly op: 'rate'; readonly key: string; readonly windows: readonly RateWindow[]; readonly weight?: number;
    /**
     * The worker would take a lease on the key: the units it counted on it in the last 1–2 s
     * (it counted the key a moment ago), which bound the lease's size.
     */
    readonly lease?: number;
    /** The worker's previous lease on the key, given back (used up, expired or not enough). */
    readonly ret?: LeaseReturn;
    /**
     * No request: the id of the lease the worker holds on the key, to renew (topped up if there is
     * room, `lease` sizing it, and made to last longer), so that the worker never waits for a new one.
     */
    readonly renew?: number;
    /**
     * With `renew`, for a lease about to end (not one running dry): the units the worker has left
     * of it, which the renewal only tops up. A lease running dry is lent a new lease's size on top
     * of what it has left, so that a busy key asks once per lease's worth of requests.
     */
    readonly held?: number;
  }
  | {
    readonly id: number; readonly op: 'quota'; readonly ask: QuotaAsk; readonly weight?: number;
    /** As for rate counts: units counted on the subject lately; a lease on it is wanted. */
    readonly lease?: number;
    readonly ret?: LeaseReturn;
    /** As for rate counts: the lease to renew, and with it what is left of a lease about to end. */
    readonly renew?: number;
    readonly held?: number;
  };

export type CountResult =
  | { readonly id: number; readonly rate: RateDecision; readonly lease?: LeaseGrant }
  | { readonly id: number; readonly quota: QuotaDecision; readonly lease?: QuotaLeaseGrant }
  | { readonly id: number; readonly error: string };

export interface CountMessage { readonly type: 'portcullis:count'; readonly batch: readonly CountRequest[] }
export interface CountedMessage { readonly type: 'portcullis:counted'; readonly results: readonly CountResult[] }
/** Supervisor → worker: give these leases back now (a request on their key would be refused). */
export interface LeaseRecallMessage { readonly type: 'portcullis:lease-recall'; readonly ids: readonly number[] }
/** Worker → supervisor: leases given back, with the units each did not use. */
export interface LeaseReturnMessage { readonly type: 'portcullis:lease-return'; readonly returns: readonly LeaseReturn[] }

/** How long a worker waits for the supervisor before the count fails (the plugin's policy applies). */
const ANSWER_TIMEOUT_MS = 2000;

/** How often held leases are checked for expiry (expired ones go back to the supervisor). */
const LEASE_SWEEP_MS = 250;

/** How long a renewal that only makes a lease last longer may wait for others (EXTEND_BEFORE_MS leaves room). */
const LAZY_RENEWAL_MS = 50;

interface Pending {
  resolve(r: CountResult): void;
  /**
   * A rate ask's key and windows, or a quota ask: a lease in its answer is held for them. A
   * renewal has none: its resolve adds the units to the lease already held.
   */
  readonly key?: string;
  readonly windows?: readonly RateWindow[];
  readonly ask?: QuotaAsk;
}

interface HeldRateLease extends Held {
  /** The windows asked with: the lease serves only the same (a reload makes new ones). */
  readonly windows: readonly RateWindow[];
  /** Per window, what remained at the last grant, the lease's units not included. */
  remaining: readonly number[];
}

interface HeldQuotaLease extends Held {
  /** The allowance asked for: the lease serves only the same (a plan change makes another). */
  readonly period: QuotaAsk['period'];
  readonly timeZone: string;
  readonly limit: number;
  /** All units lent on the lease, its renewals' included. */
  units: number;
  /** Used in the period when the lease was lent, this worker's first request included. */
  readonly used: number;
  readonly resetsAt: number;
}

/** The worker's side: node-wide counters that live in the supervisor. */
export class SupervisorCounters implements RateCounter, QuotaCounter {
  private readonly send: (m: CountMessage | LeaseReturnMessage) => boolean;
  private readonly pending = new Map<number, Pending>();
  private readonly batch = new TurnBatch<CountRequest>((batch) => this.flush(batch));
  private nextId = 0;
  private readonly timeoutMs: number;
  private readonly rateLeases = new HeldLeases<HeldRateLease>();
  private readonly quotaLeases = new HeldLeases<HeldQuotaLease>();
  /** Units counted lately per rate key and per quota subject: counting one again asks for a lease, sized by these. */
  private readonly rateRecent = new RecentCounts();
  private readonly quotaRecent = new RecentCounts();
  private sweeper: NodeJS.Timeout | undefined;
  /** Renewals that only make leases last longer: nobody waits, so those of many turns share a message. */
  private readonly lazy = new TurnBatch<CountRequest>((batch) => this.flush(batch), LAZY_RENEWAL_MS);
  private readonly calls = counterBackendCalls.labels('supervisor');
  private readonly leased = counterLeased.with({});

  constructor(send: (m: CountMessage | LeaseReturnMessage) => boolean, opts: { timeoutMs?: number } = {}) {
    this.send = send;
    this.timeoutMs = opts.timeoutMs ?? ANSWER_TIMEOUT_MS;
  }

  hit(key: string, windows: readonly RateWindow[], nowMs = Date.now(), weight = 1): RateDecision | Promise<RateDecision> {
    let ret: LeaseReturn | undefined;
    let recent = this.rateRecent.mark(key, nowMs, weight);
    const held = this.rateLeases.get(key);
    if (held !== undefined) {
      if (held.windows === windows && held.left >= weight && nowMs < held.until) {
        held.left -= weight;
        this.leased.inc();
        const due = wantsRenewal(held, nowMs);
        if (due !== undefined) this.renewRate(key, windows, held, recent, due === 'extend');
        return leasedDecision(held, nowMs);
      }
      // Being renewed, it stays until the answer (which may add to it); this request is counted alone.
      if (held.renewing) recent = 0;
      else ret = this.rateLeases.release(key, held);
    }
    // A weight of 1 is left out of the message (the common case: plain request counting).
    const req: CountRequest = {
      id: ++this.nextId, op: 'rate', key, windows,
      ...(weight === 1 ? {} : { weight }), ...(recent > 0 ? { lease: recent } : {}), ...(ret === undefined ? {} : { ret }),
    };
    return this.ask(req).then((r) => {
      if (!('rate' in r)) throw new Error('error' in r ? r.error : 'unexpected answer');
      return r.rate;
    });
  }

  consume(ask: QuotaAsk, nowMs = Date.now(), weight = 1): QuotaDecision | Promise<QuotaDecision> {
    let ret: LeaseReturn | undefined;
    let recent = this.quotaRecent.mark(ask.subject, nowMs, weight);
    const held = this.quotaLeases.get(ask.subject);
    if (held !== undefined) {
      if (held.period === ask.period && held.timeZone === ask.timeZone && held.limit === ask.limit && held.left >= weight && nowMs < held.until) {
        held.left -= weight;
        this.leased.inc();
        const due = wantsRenewal(held, nowMs);
        if (due !== undefined) this.renewQuota(ask, held, recent, due === 'extend');
        return { allowed: true, used: held.used + held.units - held.left, limit: held.limit, resetsAt: held.resetsAt };
      }
      if (held.renewing) recent = 0;
      else ret = this.quotaLeases.release(ask.subject, held);
    }
    const req: CountRequest = {
      id: ++this.nextId, op: 'quota', ask,
      ...(weight === 1 ? {} : { weight }), ...(recent > 0 ? { lease: recent } : {}), ...(ret === undefined ? {} : { ret }),
    };
    return this.ask(req).then((r) => {
      if ('quota' in r) return r.quota;
      throw new Error('error' in r ? r.error : 'unexpected answer');
    });
  }

  /** The supervisor wants these leases back: they stop serving now, and their unused units go back. */
  recall(m: LeaseRecallMessage): void {
    const ids = new Set(m.ids);
    const returns: LeaseReturn[] = [];
    this.rateLeases.recall(ids, returns);
    this.quotaLeases.recall(ids, returns);
    // Ids no longer held were given back already (an ask on their way): the supervisor ignores these.
    for (const id of ids) returns.push({ id, unused: 0 });
    this.send({ type: 'portcullis:lease-return', returns });
  }

  /** Leases held now (for tests). */
  get leasesHeld(): number {
    return this.rateLeases.size + this.quotaLeases.size;
  }

  /** Units held and not used yet, over all leases (for tests). */
  get unusedUnits(): number {
    return this.rateLeases.unused() + this.quotaLeases.unused();
  }

  private holdRate(key: string, windows: readonly RateWindow[], grant: LeaseGrant): void {
    this.keep(this.rateLeases.hold(key, {
      id: grant.id, windows, left: grant.units, until: grant.until, remaining: grant.remaining, granted: grant.units, grantedAt: Date.now(), renewing: false,
      lastsAtMost: intervalsEnd(windows, grant.until - 1),
    }));
  }

  private holdQuota(ask: QuotaAsk, grant: QuotaLeaseGrant): void {
    this.keep(this.quotaLeases.hold(ask.subject, {
      id: grant.id, left: grant.units, until: grant.until, period: ask.period, timeZone: ask.timeZone, limit: ask.limit,
      units: grant.units, used: grant.used, resetsAt: grant.resetsAt, granted: grant.units, grantedAt: Date.now(), renewing: false, lastsAtMost: grant.resetsAt,
    }));
  }

  private renewRate(key: string, windows: readonly RateWindow[], held: HeldRateLease, recent: number, lazy: boolean): void {
    this.renew({ id: ++this.nextId, op: 'rate', key, windows, lease: recent, renew: held.id, ...(lazy ? { held: held.left } : {}) }, lazy, this.rateLeases, key, held, (r) => {
      if (!('rate' in r) || r.lease?.id !== held.id) return;
      grow(held, r.lease, lazy);
      held.remaining = r.lease.remaining;
    });
  }

  private renewQuota(ask: QuotaAsk, held: HeldQuotaLease, recent: number, lazy: boolean): void {
    this.renew({ id: ++this.nextId, op: 'quota', ask, lease: recent, renew: held.id, ...(lazy ? { held: held.left } : {}) }, lazy, this.quotaLeases, ask.subject, held, (r) => {
      if (!('quota' in r) || r.lease?.id !== held.id) return;
      grow(held, r.lease, lazy);
      held.units += r.lease.units;
    });
  }

  /**
   * Asks to renew a lease (`lazy`: only to make it last longer); no request waits for the answer,
   * which adds its units and its end to the lease if it is still held (a recall may have taken it
   * back: then nothing was lent). A lease that ended meanwhile goes back once the answer is in.
   */
  private renew<L extends Held>(req: CountRequest, lazy: boolean, leases: HeldLeases<L>, key: string, held: L, add: (r: CountResult) => void): void {
    held.renewing = true;
    this.pending.set(req.id, {
      resolve: (r) => {
        held.renewing = false;
        if (leases.get(key) !== held) return;
        add(r);
        if (Date.now() >= held.until) this.send({ type: 'portcullis:lease-return', returns: [leases.release(key, held)] });
      },
    });
    (lazy ? this.lazy : this.batch).push(req);
  }

  /** After a lease is held: one it replaced goes back, and expiry is watched. */
  private keep(replaced: LeaseReturn | undefined): void {
    if (replaced !== undefined) this.send({ type: 'portcullis:lease-return', returns: [replaced] });
    this.sweeper ??= setInterval(() => this.sweepExpired(Date.now()), LEASE_SWEEP_MS).unref();
  }

  /** Expired leases go back, so that what they did not use counts no longer. */
  private sweepExpired(nowMs: number): void {
    const returns: LeaseReturn[] = [];
    this.rateLeases.expire(nowMs, returns);
    this.quotaLeases.expire(nowMs, returns);
    if (returns.length > 0) this.send({ type: 'portcullis:lease-return', returns });
    if (this.leasesHeld === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** The supervisor's answers. */
  receive(m: CountedMessage): void {
    for (const r of m.results) {
      const p = this.pending.get(r.id);
      if (p === undefined) continue; // timed out already
      this.pending.delete(r.id);
      // Held now, not when the promise settles: a recall right behind this answer must find it.
      if ('rate' in r && r.lease !== undefined && p.key !== undefined) this.holdRate(p.key, p.windows!, r.lease);
      else if ('quota' in r && r.lease !== undefined && p.ask !== undefined) this.holdQuota(p.ask, r.lease);
      p.resolve(r);
    }
  }

  private ask(req: CountRequest): Promise<CountResult> {
    return new Promise((resolve) => {
      this.pending.set(req.id, req.op === 'rate' ? { resolve, key: req.key, windows: req.windows } : { resolve, ask: req.ask });
      this.batch.push(req);
    });
  }

  private flush(batch: CountRequest[]): void {
    this.calls.inc();
    const sent = this.send({ type: 'portcullis:count', batch });
    const fail = (error: string) => {
      for (const req of batch) {
        const p = this.pending.get(req.id);
        if (p === undefined) continue;
        this.pending.delete(req.id);
        p.resolve({ id: req.id, error });
      }
    };
    if (!sent) return fail('the supervisor is not reachable');
    setTimeout(() => fail('the supervisor did not answer in time'), this.timeoutMs).unref();
  }
}

/** A decision made from a lease: what remained when it was granted, plus what is left of it. */
function leasedDecision(held: HeldRateLease, nowMs: number): RateDecision {
  const windows: WindowState[] = [];
  for (let i = 0; i < held.windows.length; i++) {
    const w = held.windows[i]!;
    const windowMs = w.seconds * 1000;
    windows.push({ limit: w.limit, remaining: held.remaining[i]! + held.left, resetSeconds: Math.max(1, Math.ceil((windowMs - (nowMs % windowMs)) / 1000)) });
  }
  return { allowed: true, windows, retryAfter: 0 };
}

/** Who asks, for the supervisor's leases: without it (one process, tests), no lease is granted. */
export interface CountSource {
  readonly worker: number;
  readonly book: LeaseBook;
  readonly rate: RateLeases;
  readonly quota: QuotaLeases;
}

/**
 * The supervisor's side: answers a worker's batch from this process's counters. Counts decided now
 * are answered at once, before anything else is sent to the worker; those that wait (a refusal
 * waiting for recalled leases) follow in a second answer. So a lease lent in a batch always reaches
 * its worker before a recall of it, which the lease book sends a microtask later.
 */
export function answerCounts(m: CountMessage, nowMs: number, reply: (answer: CountedMessage) => void, from?: CountSource): void {
  const rate = localRateCounter();
  const quota = localQuotaCounter();
  const now: CountResult[] = [];
  const later: Promise<CountResult>[] = [];
  const failed = (id: number) => (err: Error): CountResult => ({ id, error: err.message });
  for (const req of m.batch) {
    try {
      const wanted = typeof req.lease === 'number' && req.lease > 0 ? req.lease : 0;
      // A renewal counts no request (without leases, it is answered with the count as it stands).
      const renewal = typeof req.renew === 'number' ? req.renew : undefined;
      const weight = renewal === undefined ? weightOf(req.weight) : 0;
      const held = typeof req.held === 'number' && Number.isSafeInteger(req.held) && req.held > 0 ? req.held : 0;
      if (from !== undefined && isLeaseReturn(req.ret)) from.book.returned(from.worker, req.ret);
      if (req.op === 'rate') {
        if (from !== undefined) {
          const c = renewal === undefined
            ? from.rate.count(from.worker, req.key, req.windows, nowMs, weight, wanted)
            : from.rate.renew(from.worker, req.key, req.windows, nowMs, renewal, wanted, held);
          if (c instanceof Promise) later.push(c.then((d) => ({ id: req.id, rate: d.decision }), failed(req.id)));
          else now.push(c.lease === undefined ? { id: req.id, rate: c.decision } : { id: req.id, rate: c.decision, lease: c.lease });
          continue;
        }
        const r = rate.hit(req.key, req.windows, nowMs, weight);
        if (r instanceof Promise) later.push(r.then((d) => ({ id: req.id, rate: d }), failed(req.id)));
        else now.push({ id: req.id, rate: r });
        continue;
      }
      if (quota === undefined) { now.push({ id: req.id, error: 'quotas are not counted on this node' }); continue; }
      if (from !== undefined) {
        const c = renewal === undefined
          ? from.quota.consume(quota, from.worker, req.ask, nowMs, weight, wanted)
          : from.quota.renew(quota, from.worker, req.ask, nowMs, renewal, wanted, held);
        if (c instanceof Promise) later.push(c.then((d) => ({ id: req.id, quota: d.decision }), failed(req.id)));
        else now.push(c.lease === undefined ? { id: req.id, quota: c.decision } : { id: req.id, quota: c.decision, lease: c.lease });
        continue;
      }
      const q = quota.consume(req.ask, nowMs, weight);
      if (q instanceof Promise) later.push(q.then((d) => ({ id: req.id, quota: d }), failed(req.id)));
      else now.push({ id: req.id, quota: q });
    } catch (err) {
      now.push({ id: req.id, error: (err as Error).message });
    }
  }
  if (now.length > 0) reply({ type: 'portcullis:counted', results: now });
  if (later.length > 0) void Promise.all(later).then((results) => reply({ type: 'portcullis:counted', results }));
}

/** A weight from a worker's message: a positive integer, else 1. */
function weightOf(w: unknown): number {
  return typeof w === 'number' && Number.isSafeInteger(w) && w > 0 ? w : 1;
}

export function isLeaseReturn(r: unknown): r is LeaseReturn {
  return typeof r === 'object' && r !== null && typeof (r as { id?: unknown }).id === 'number' && typeof (r as { unused?: unknown }).unused === 'number';
}

export function isLeaseReturnMessage(m: unknown): m is LeaseReturnMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'portcullis:lease-return' && Array.isArray((m as { returns?: unknown }).returns);
}

export function isCountMessage(m: unknown): m is CountMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'portcullis:count' && Array.isArray((m as { batch?: unknown }).batch);
}

export function isCountedMessage(m: unknown): m is CountedMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'portcullis:counted' && Array.isArray((m as { results?: unknown }).results);
}
