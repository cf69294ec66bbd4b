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

/** The most units one lease carries: bounds how far a worker's RateLimit fields can lag. */
export const MAX_LEASE_UNITS = 1024;
/** The longest a lease lasts, even in long windows: unused units come back within this. */
export const MAX_LEASE_MS = 1000;
/** How long the supervisor waits for recalled units before counting them as used. */
const RECALL_TIMEOUT_MS = 1000;

/** What a worker is told it may admit by itself. */
export interface LeaseGrant {
  readonly id: number;
  readonly units: number;
  /** Epoch ms at which the lease ends (the first of its windows' intervals to end, or MAX_LEASE_MS). */
  readonly until: number;
  /** Per window, what remained when the lease was granted, its own units not included. */
  readonly remaining: readonly number[];
}

export interface LeaseReturn {
  readonly id: number;
  readonly unused: number;
}

interface Lease {
  readonly id: number;
  readonly key: string;
  readonly worker: number;
  readonly units: number;
  readonly spans: readonly LeaseSpan[];
}

interface Recall {
  readonly ids: Set<number>;
  readonly done: Promise<void>;
  finish(): void;
}

export interface RateLeaseOptions {
  /** Workers serving now: a lease is a share of the room among them. */
  workers(): number;
  /** Asks a worker to give back these leases; false when it cannot be reached. */
  recall(worker: number, ids: number[]): boolean;
  recallTimeoutMs?: number;
}

export class RateLeases {
  readonly #counter: MemoryRateCounter;
  readonly #opts: RateLeaseOptions;
  readonly #byId = new Map<number, Lease>();
  readonly #byKey = new Map<string, Set<Lease>>();
  readonly #recalls = new Map<string, Recall>();
  #nextId = 0;

  constructor(counter: MemoryRateCounter, opts: RateLeaseOptions) {
    this.#counter = counter;
    this.#opts = opts;
  }

  /** Leases out now. */
  get outstanding(): number {
    return this.#byId.size;
  }

  /**
   * Counts one request of `worker` and, when it asked for a lease and there is room, lends it one on
   * the key. `recentUnits` is what the worker counted on the key in the last 100–200 ms (0: no
   * lease wanted): a lease is at most twice that, so a worker that counts a key slowly does not
   * hold much of it. A request that does not fit while leases on its key are out waits for them to
   * come back and is then judged again.
   */
  count(worker: number, key: string, windows: readonly RateWindow[], nowMs: number, weight: number, recentUnits: number): { decision: RateDecision; lease?: LeaseGrant } | Promise<{ decision: RateDecision }> {
    const decision = this.#counter.hit(key, windows, nowMs, weight);
    if (!decision.allowed) {
      if (!this.#byKey.has(key)) return { decision };
      // Judged again once they are back (and again if leases were lent before the recall began).
      return this.#recallKey(key).then(() => this.count(worker, key, windows, Date.now(), weight, 0));
    }
    // No lease while one on the key is being recalled: its units go to the requests that wait for them.
    if (!(recentUnits > 0) || windows.length === 0 || this.#recalls.has(key) || this.#holds(worker, key)) return { decision };
    let room = Infinity;
    for (const w of decision.windows) room = Math.min(room, w.remaining);
    const units = Math.min(MAX_LEASE_UNITS, 2 * Math.ceil(recentUnits), Math.floor(room / (2 * Math.max(1, this.#opts.workers()))));
    if (units < 1) return { decision };
    this.#counter.reserve(key, windows, nowMs, units);
    let until = nowMs + MAX_LEASE_MS;
    const spans: LeaseSpan[] = [];
    for (const w of windows) {
      const windowMs = w.seconds * 1000;
      const interval = Math.floor(nowMs / windowMs);
      spans.push({ windowMs, interval });
      until = Math.min(until, (interval + 1) * windowMs);
    }
    const lease: Lease = { id: ++this.#nextId, key, worker, units, spans };
    this.#byId.set(lease.id, lease);
    let set = this.#byKey.get(key);
    if (set === undefined) this.#byKey.set(key, (set = new Set()));
    set.add(lease);
    const remaining = decision.windows.map((w) => w.remaining - units);
    return {
      decision: { ...decision, windows: decision.windows.map((w, i) => ({ ...w, remaining: remaining[i]! })) },
      lease: { id: lease.id, units, until, remaining },
    };
  }

  /** A worker gives back a lease: its unused units are taken off the count. Unknown ids are ignored. */
  returned(worker: number, r: LeaseReturn): void {
    const lease = this.#byId.get(r.id);
    if (lease === undefined || lease.worker !== worker) return;
    const unused = Number.isSafeInteger(r.unused) ? Math.min(Math.max(0, r.unused), lease.units) : 0;
    this.#counter.refund(lease.key, lease.spans, unused);
    this.#drop(lease);
  }

  /** A worker died: what it held stays counted (it may have admitted it), and nothing waits for it. */
  workerGone(worker: number): void {
    // Deleting the entry being visited is safe in a Map iteration.
    for (const lease of this.#byId.values()) if (lease.worker === worker) this.#drop(lease);
  }

  #holds(worker: number, key: string): boolean {
    const set = this.#byKey.get(key);
    if (set === undefined) return false;
    for (const lease of set) if (lease.worker === worker) return true;
    return false;
  }

  #drop(lease: Lease): void {
    this.#byId.delete(lease.id);
    const set = this.#byKey.get(lease.key);
    if (set !== undefined) {
      set.delete(lease);
      if (set.size === 0) this.#byKey.delete(lease.key);
    }
    const recall = this.#recalls.get(lease.key);
    if (recall !== undefined) {
      recall.ids.delete(lease.id);
      if (recall.ids.size === 0) recall.finish();
    }
  }

  /** Asks every holder of a lease on `key` to give it back; settles when all have (or after a timeout). */
  #recallKey(key: string): Promise<void> {
    const pending = this.#recalls.get(key);
    if (pending !== undefined) return pending.done;
    const leases = [...(this.#byKey.get(key) ?? [])];
    let finish!: () => void;
    const done = new Promise<void>((resolve) => { finish = resolve; });
    const recall: Recall = { ids: new Set(leases.map((l) => l.id)), done, finish: () => { clearTimeout(timer); this.#recalls.delete(key); finish(); } };
    const timer = setTimeout(() => {
      // Not back in time: counted as used, which can only refuse more, never admit more.
      for (const id of recall.ids) { const lease = this.#byId.get(id); if (lease !== undefined) this.#drop(lease); }
      recall.finish();
    }, this.#opts.recallTimeoutMs ?? RECALL_TIMEOUT_MS);
    timer.unref();
    this.#recalls.set(key, recall);
    const byWorker = new Map<number, number[]>();
    for (const lease of leases) byWorker.set(lease.worker, [...(byWorker.get(lease.worker) ?? []), lease.id]);
    for (const [worker, ids] of byWorker) if (!this.#opts.recall(worker, ids)) this.workerGone(worker);
    return done;
  }
}
