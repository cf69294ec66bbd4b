// The supervisor's record of what it has lent to workers: units of a rate-limit key or of a quota
// subject, counted already, that a worker may use by itself (rate-leases.ts, quota-leases.ts). It
// knows who holds what, takes unused units back (each lease knows how to uncount itself), and
// recalls every lease on a key before a request on that key is refused. Rate and quota leases share
// one book, so their ids never collide and one recall and one return message serve both.

/** The most units one lease carries: bounds how far a worker's RateLimit fields can lag. */
export const MAX_LEASE_UNITS = 1024;
/**
 * The longest a lease lasts from when it was lent or last renewed, even in long windows and periods:
 * the unused units of a lease no longer used come back within this.
 */
export const MAX_LEASE_MS = 1000;
/** How long the supervisor waits for recalled units before counting them as used. */
const RECALL_TIMEOUT_MS = 1000;

export interface LeaseReturn {
  readonly id: number;
  readonly unused: number;
}

interface Lease {
  readonly id: number;
  readonly key: string;
  readonly worker: number;
  /** Units lent so far (a renewal adds to them). */
  units: number;
  /**
   * Epoch ms at which the lease ends: its units were counted in the intervals (or period) before,
   * which a renewal may extend it up to, never past.
   */
  until: number;
  /** Takes `unused` units off the count they were counted in. */
  readonly refund: (unused: number) => void;
}

interface Recall {
  readonly ids: Set<number>;
  readonly done: Promise<void>;
  finish(): void;
}

export interface LeaseBookOptions {
  /** Workers serving now: a lease is a share of the room among them. */
  workers(): number;
  /** Asks a worker to give back these leases; false when it cannot be reached. */
  recall(worker: number, ids: number[]): boolean;
  recallTimeoutMs?: number;
}

export class LeaseBook {
  readonly #opts: LeaseBookOptions;
  readonly #byId = new Map<number, Lease>();
  readonly #byKey = new Map<string, Set<Lease>>();
  readonly #recalls = new Map<string, Recall>();
  #nextId = 0;

  constructor(opts: LeaseBookOptions) {
    this.#opts = opts;
  }

  /** Leases out now. */
  get outstanding(): number {
    return this.#byId.size;
  }

  get workers(): number {
    return Math.max(1, this.#opts.workers());
  }

  /**
   * How many units to lend a worker that counted `recentUnits` lately, out of `room`: at most twice
   * its recent count (a worker that sees a key now and then holds little of it), the room divided
   * among twice the workers (leases shrink as the limit nears and stop before it), and MAX_LEASE_UNITS.
   */
  leaseSize(recentUnits: number, room: number): number {
    return Math.min(MAX_LEASE_UNITS, 2 * Math.ceil(recentUnits), Math.floor(room / (2 * this.workers)));
  }

  /** Leases on `key` are out (a refusal on it must wait for them). */
  lentOn(key: string): boolean {
    return this.#byKey.has(key);
  }

  /**
   * Whether a lease on `key` may be lent to `worker` now: not while one on the key is being recalled
   * (its units go to the requests waiting for them), nor a second one to the same worker.
   */
  mayLend(worker: number, key: string): boolean {
    if (this.#recalls.has(key)) return false;
    const set = this.#byKey.get(key);
    if (set === undefined) return true;
    for (const lease of set) if (lease.worker === worker) return false;
    return true;
  }

  /**
   * Whether `worker`'s lease `id` on `key` may be renewed now (lent more units, which the worker
   * adds to what it has left, so that it never waits for a new lease): it is still out and has not
   * ended (its intervals are still the current ones), and no lease on the key is being recalled.
   */
  mayRenew(worker: number, key: string, id: number, nowMs: number): boolean {
    if (this.#recalls.has(key)) return false;
    const lease = this.#byId.get(id);
    return lease !== undefined && lease.worker === worker && lease.key === key && nowMs < lease.until;
  }

  /**
   * Adds `units` (the caller has counted them) to a lease mayRenew allowed, and lets it last until
   * `until` if that is later (the caller keeps it within the intervals its units were counted in);
   * returns when it ends.
   */
  renew(id: number, units: number, until: number): number {
    const lease = this.#byId.get(id)!;
    lease.units += units;
    lease.until = Math.max(lease.until, until);
    return lease.until;
  }

  /**
   * Records units of `key` lent to `worker` until `until` (the caller has counted them); returns
   * the lease's id.
   */
  lend(worker: number, key: string, units: number, until: number, refund: (unused: number) => void): number {
    const lease: Lease = { id: ++this.#nextId, key, worker, units, until, refund };
    this.#byId.set(lease.id, lease);
    let set = this.#byKey.get(key);
    if (set === undefined) this.#byKey.set(key, (set = new Set()));
    set.add(lease);
    return lease.id;
  }

  /** A worker gives back a lease: its unused units are taken off the count. Unknown ids are ignored. */
  returned(worker: number, r: LeaseReturn): void {
    const lease = this.#byId.get(r.id);
    if (lease === undefined || lease.worker !== worker) return;
    const unused = Number.isSafeInteger(r.unused) ? Math.min(Math.max(0, r.unused), lease.units) : 0;
    if (unused > 0) lease.refund(unused);
    this.#drop(lease);
  }

  /** A worker died: what it held stays counted (it may have used it), and nothing waits for it. */
  workerGone(worker: number): void {
    // Deleting the entry being visited is safe in a Map iteration.
    for (const lease of this.#byId.values()) if (lease.worker === worker) this.#drop(lease);
  }

  /** Asks every holder of a lease on `key` to give it back; settles when all have (or after a timeout). */
  recall(key: string): Promise<void> {
    const pending = this.#recalls.get(key);
    if (pending !== undefined) return pending.done;
    const leases = [...(this.#byKey.get(key) ?? [])];
    if (leases.length === 0) return Promise.resolve();
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
    // A microtask later: the answer that lent a lease in the batch being answered goes out first.
    queueMicrotask(() => { for (const [worker, ids] of byWorker) if (!this.#opts.recall(worker, ids)) this.workerGone(worker); });
    return done;
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
}
