// The worker's side of leases (lease-book.ts): what it holds and how much of each it has used, and
// how often it has counted each key lately (which decides whether, and how much, it asks to hold).
import type { LeaseReturn } from './lease-book.ts';

/**
 * A key counted again within this long asks for a lease (two generations of this age are kept). A
 * second, as long as a lease can last: a key counted a few times a second (one consumer among many)
 * is lent a lease sized for its next second or two, not for its next 200 ms, which with 1,000 such
 * keys on two workers took the rate-limited route from 0.52× to 0.66× the requests/s without it.
 */
const HOT_MS = 1000;

export interface Held {
  readonly id: number;
  left: number;
  /** Epoch ms at which the lease ends (a renewal may make it later). */
  until: number;
  /** The latest it can be made to last: the end of the intervals (or period) its units count in. */
  readonly lastsAtMost: number;
  /**
   * What its use is measured from: the units of its first grant or of its last renewal, or all it
   * held after a renewal made to last (half used at a pace that runs dry before its end, it is renewed).
   */
  granted: number;
  /** Epoch ms at which the last grant arrived: with what was used since, the pace of use. */
  grantedAt: number;
  /** A renewal is on its way: the lease does not go back before its answer (which may add to it). */
  renewing: boolean;
}

/** A lease is not renewed this close to its end (the units would come back unused). */
const RENEW_MIN_MS = 25;

/** How long before its end a lease in use asks to last longer (its answer must come back in time). */
const EXTEND_BEFORE_MS = 250;

/**
 * Whether a lease just used should be renewed now: when half of what it held at its last grant is
 * used and, at the pace it was used since, the rest runs out before the lease ends (a key counted a
 * few times a second holds enough, and renewing it would only add messages); or when it ends within
 * EXTEND_BEFORE_MS, was used since its last grant, and could last longer (its intervals go on).
 */
export function wantsRenewal(lease: Held, nowMs: number): 'dry' | 'extend' | undefined {
  if (lease.renewing) return undefined;
  const toEnd = lease.until - nowMs;
  if (toEnd <= RENEW_MIN_MS) return undefined;
  const used = lease.granted - lease.left;
  // left ÷ (used ÷ elapsed) < toEnd, without dividing.
  if (lease.left * 2 <= lease.granted && lease.left * Math.max(1, nowMs - lease.grantedAt) < used * toEnd) return 'dry';
  if (toEnd < EXTEND_BEFORE_MS && used > 0 && lease.until < lease.lastsAtMost) return 'extend';
  return undefined;
}

/**
 * A renewal's answer added to a lease: its units (on top of what is left; a renewal made to last,
 * `topUp`, brought it to a new lease's size), its new end, and a fresh start for measuring its pace.
 */
export function grow(lease: Held, grant: { readonly units: number; readonly until: number }, topUp: boolean): void {
  lease.left += grant.units;
  lease.until = grant.until;
  lease.granted = topUp ? lease.left : grant.units;
  lease.grantedAt = Date.now();
}

/** Units counted per key in the last 1–2 s, in two generations (no timer, no per-key clock). */
export class RecentCounts {
  #now = new Map<string, number>();
  #before = new Map<string, number>();
  #since = 0;

  /** Counts `weight` units of `key` at `nowMs`; answers how many were counted on it before, lately. */
  mark(key: string, nowMs: number, weight: number): number {
    if (nowMs - this.#since >= HOT_MS) {
      this.#before = this.#now;
      this.#now = new Map();
      this.#since = nowMs;
    }
    const n = this.#now.get(key) ?? 0;
    this.#now.set(key, n + weight);
    return n + (this.#before.get(key) ?? 0);
  }
}

/** The leases a worker holds, one per key. */
export class HeldLeases<L extends Held> {
  readonly #byKey = new Map<string, L>();

  get size(): number {
    return this.#byKey.size;
  }

  /** Units held and not used yet. */
  unused(): number {
    let n = 0;
    for (const lease of this.#byKey.values()) n += lease.left;
    return n;
  }

  get(key: string): L | undefined {
    return this.#byKey.get(key);
  }

  /** Stops holding `key`'s lease; answers what goes back. */
  release(key: string, lease: L): LeaseReturn {
    this.#byKey.delete(key);
    return { id: lease.id, unused: lease.left };
  }

  /** Holds a new lease; a lease already held on the key (two answers in one turn) is given back. */
  hold(key: string, lease: L): LeaseReturn | undefined {
    const previous = this.#byKey.get(key);
    this.#byKey.set(key, lease);
    return previous === undefined ? undefined : { id: previous.id, unused: previous.left };
  }

  /**
   * Gives back the leases with these ids (removing them from `ids`), those being renewed too: the
   * supervisor renews nothing on a key it is recalling, and a renewal it made before arrived first.
   */
  recall(ids: Set<number>, into: LeaseReturn[]): void {
    for (const [key, lease] of this.#byKey) {
      if (!ids.has(lease.id)) continue;
      ids.delete(lease.id);
      into.push(this.release(key, lease));
    }
  }

  /** Gives back the leases that have ended (one being renewed goes back when its renewal is answered). */
  expire(nowMs: number, into: LeaseReturn[]): void {
    for (const [key, lease] of this.#byKey) if (nowMs >= lease.until && !lease.renewing) into.push(this.release(key, lease));
  }
}
