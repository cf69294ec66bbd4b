// Counting across the worker processes of one node: workers send each request's count to the
// supervisor, which holds the node's counters (memory) and answers. Requests that arrive in the
// same turn of a worker's event loop travel together in one IPC message each way. A worker that
// keeps counting one rate-limit key is lent a lease on it (rate-leases.ts): it then admits that
// many requests by itself, with no message at all, and gives back what it did not use.
import { localQuotaCounter, localRateCounter } from '../store/counters/local.ts';
import { counterBackendCalls, counterLeased } from '../telemetry/metrics.ts';
import { TurnBatch } from './turn-batch.ts';
import type { LeaseGrant, RateLeases } from './rate-leases.ts';
import type { LeaseBook, LeaseReturn } from './lease-book.ts';
import type { QuotaAsk, QuotaCounter, QuotaDecision, RateCounter, RateDecision, RateWindow, WindowState } from '../store/counters/ports.ts';

export type CountRequest =
  | {
    readonly id: number; readonly op: 'rate'; readonly key: string; readonly windows: readonly RateWindow[]; readonly weight?: number;
    /**
     * The worker would take a lease on the key: the units it counted on it in the last 100–200 ms
     * (it counted the key a moment ago), which bound the lease's size.
     */
    readonly lease?: number;
    /** The worker's previous lease on the key, given back (used up, expired or not enough). */
    readonly ret?: LeaseReturn;
  }
  | { readonly id: number; readonly op: 'quota'; readonly ask: QuotaAsk; readonly weight?: number };

export type CountResult =
  | { readonly id: number; readonly rate: RateDecision; readonly lease?: LeaseGrant }
  | { readonly id: number; readonly quota: QuotaDecision }
  | { readonly id: number; readonly error: string };

export interface CountMessage { readonly type: 'portcullis:count'; readonly batch: readonly CountRequest[] }
export interface CountedMessage { readonly type: 'portcullis:counted'; readonly results: readonly CountResult[] }
/** Supervisor → worker: give these leases back now (a request on their key would be refused). */
export interface LeaseRecallMessage { readonly type: 'portcullis:lease-recall'; readonly ids: readonly number[] }
/** Worker → supervisor: leases given back, with the units each did not use. */
export interface LeaseReturnMessage { readonly type: 'portcullis:lease-return'; readonly returns: readonly LeaseReturn[] }

/** How long a worker waits for the supervisor before the count fails (the plugin's policy applies). */
const ANSWER_TIMEOUT_MS = 2000;

/** A key counted again within this long asks for a lease (two generations of this age are kept). */
const HOT_MS = 100;
/** How often held leases are checked for expiry (expired ones go back to the supervisor). */
const LEASE_SWEEP_MS = 250;

interface Pending {
  resolve(r: CountResult): void;
  /** A rate ask's key and windows: a lease in its answer is held for them. */
  readonly key?: string;
  readonly windows?: readonly RateWindow[];
}

interface HeldLease {
  readonly id: number;
  /** The windows asked with: the lease serves only the same (a reload makes new ones). */
  readonly windows: readonly RateWindow[];
  left: number;
  readonly until: number;
  readonly remaining: readonly number[];
}

/** The worker's side: node-wide counters that live in the supervisor. */
export class SupervisorCounters implements RateCounter, QuotaCounter {
  private readonly send: (m: CountMessage | LeaseReturnMessage) => boolean;
  private readonly pending = new Map<number, Pending>();
  private readonly batch = new TurnBatch<CountRequest>((batch) => this.flush(batch));
  private nextId = 0;
  private readonly timeoutMs: number;
  private readonly leases = new Map<string, HeldLease>();
  /** Units counted per key in this and the previous HOT_MS: a key counted again asks for a lease, sized by these. */
  private counted = new Map<string, number>();
  private countedBefore = new Map<string, number>();
  private countedSince = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly calls = counterBackendCalls.labels('supervisor');
  private readonly leased = counterLeased.with({});

  constructor(send: (m: CountMessage | LeaseReturnMessage) => boolean, opts: { timeoutMs?: number } = {}) {
    this.send = send;
    this.timeoutMs = opts.timeoutMs ?? ANSWER_TIMEOUT_MS;
  }

  hit(key: string, windows: readonly RateWindow[], nowMs = Date.now(), weight = 1): RateDecision | Promise<RateDecision> {
    let ret: LeaseReturn | undefined;
    const recent = this.markCounted(key, nowMs, weight);
    const held = this.leases.get(key);
    if (held !== undefined) {
      if (held.windows === windows && held.left >= weight && nowMs < held.until) {
        held.left -= weight;
        this.leased.inc();
        return leasedDecision(held, nowMs);
      }
      this.leases.delete(key);
      ret = { id: held.id, unused: held.left };
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

  /** The supervisor wants these leases back: they stop serving now, and their unused units go back. */
  recall(m: LeaseRecallMessage): void {
    const ids = new Set(m.ids);
    const returns: LeaseReturn[] = [];
    for (const [key, held] of this.leases) {
      if (!ids.has(held.id)) continue;
      this.leases.delete(key);
      ids.delete(held.id);
      returns.push({ id: held.id, unused: held.left });
    }
    // Ids no longer held were given back already (an ask on their way): the supervisor ignores these.
    for (const id of ids) returns.push({ id, unused: 0 });
    this.send({ type: 'portcullis:lease-return', returns });
  }

  /** Leases held now (for tests and metrics). */
  get leasesHeld(): number {
    return this.leases.size;
  }

  /** Counts `weight` units of `key` now; answers how many were counted before, within the last 100–200 ms. */
  private markCounted(key: string, nowMs: number, weight: number): number {
    if (nowMs - this.countedSince >= HOT_MS) {
      this.countedBefore = this.counted;
      this.counted = new Map();
      this.countedSince = nowMs;
    }
    const now = this.counted.get(key) ?? 0;
    this.counted.set(key, now + weight);
    return now + (this.countedBefore.get(key) ?? 0);
  }

  private hold(key: string, windows: readonly RateWindow[], grant: LeaseGrant): void {
    const previous = this.leases.get(key);
    // Two answers for one key in one turn can each carry a lease: keep one, give the other back.
    if (previous !== undefined) this.send({ type: 'portcullis:lease-return', returns: [{ id: previous.id, unused: previous.left }] });
    this.leases.set(key, { id: grant.id, windows, left: grant.units, until: grant.until, remaining: grant.remaining });
    this.sweeper ??= setInterval(() => this.sweepExpired(Date.now()), LEASE_SWEEP_MS).unref();
  }

  /** Expired leases go back, so that what they did not use counts no longer. */
  private sweepExpired(nowMs: number): void {
    const returns: LeaseReturn[] = [];
    for (const [key, held] of this.leases) {
      if (nowMs < held.until) continue;
      this.leases.delete(key);
      returns.push({ id: held.id, unused: held.left });
    }
    if (returns.length > 0) this.send({ type: 'portcullis:lease-return', returns });
    if (this.leases.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  consume(ask: QuotaAsk, _nowMs?: number, weight = 1): Promise<QuotaDecision> {
    const req: CountRequest = weight === 1 ? { id: ++this.nextId, op: 'quota', ask } : { id: ++this.nextId, op: 'quota', ask, weight };
    return this.ask(req).then((r) => {
      if ('quota' in r) return r.quota;
      throw new Error('error' in r ? r.error : 'unexpected answer');
    });
  }

  /** The supervisor's answers. */
  receive(m: CountedMessage): void {
    for (const r of m.results) {
      const p = this.pending.get(r.id);
      if (p === undefined) continue; // timed out already
      this.pending.delete(r.id);
      // Held now, not when the promise settles: a recall right behind this answer must find it.
      if ('lease' in r && r.lease !== undefined && p.key !== undefined) this.hold(p.key, p.windows!, r.lease);
      p.resolve(r);
    }
  }

  private ask(req: CountRequest): Promise<CountResult> {
    return new Promise((resolve) => {
      this.pending.set(req.id, req.op === 'rate' ? { resolve, key: req.key, windows: req.windows } : { resolve });
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
function leasedDecision(held: HeldLease, nowMs: number): RateDecision {
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
}

/** The supervisor's side: answers a worker's batch from this process's counters. */
export function answerCounts(m: CountMessage, nowMs: number, from?: CountSource): CountedMessage | Promise<CountedMessage> {
  const rate = localRateCounter();
  const quota = localQuotaCounter();
  let waiting = false;
  const results = m.batch.map((req): CountResult | Promise<CountResult> => {
    try {
      if (req.op === 'rate') {
        if (from !== undefined) {
          if (isLeaseReturn(req.ret)) from.book.returned(from.worker, req.ret);
          const c = from.rate.count(from.worker, req.key, req.windows, nowMs, weightOf(req.weight), typeof req.lease === 'number' && req.lease > 0 ? req.lease : 0);
          if (c instanceof Promise) { waiting = true; return c.then((d) => ({ id: req.id, rate: d.decision }), (err: Error) => ({ id: req.id, error: err.message })); }
          return c.lease === undefined ? { id: req.id, rate: c.decision } : { id: req.id, rate: c.decision, lease: c.lease };
        }
        const r = rate.hit(req.key, req.windows, nowMs, weightOf(req.weight));
        if (r instanceof Promise) { waiting = true; return r.then((d) => ({ id: req.id, rate: d }), (err: Error) => ({ id: req.id, error: err.message })); }
        return { id: req.id, rate: r };
      }
      if (quota === undefined) return { id: req.id, error: 'quotas are not counted on this node' };
      const q = quota.consume(req.ask, nowMs, weightOf(req.weight));
      if (q instanceof Promise) { waiting = true; return q.then((d) => ({ id: req.id, quota: d }), (err: Error) => ({ id: req.id, error: err.message })); }
      return { id: req.id, quota: q };
    } catch (err) {
      return { id: req.id, error: (err as Error).message };
    }
  });
  if (!waiting) return { type: 'portcullis:counted', results: results as CountResult[] };
  return Promise.all(results).then((all) => ({ type: 'portcullis:counted', results: all }));
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
