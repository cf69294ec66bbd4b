// The limiters of this process, by scope key ("route|name" or "service|name") and config, kept across config
// reloads while their settings are the same. They count for the node: used by a gateway running in
// the supervisor's process (--workers 1), or by the supervisor on behalf of its workers.
import { Limiter, noRejections, type LimiterSettings, type Rejection, type Ticket } from './limiter.ts';
import type { SlotSource } from './slots.ts';

export class LimiterRegistry implements SlotSource {
  private readonly limiters = new Map<string, Limiter>();
  /** Refusal totals per scope key: counters that must not go back to 0 when a limiter is dropped. */
  private readonly rejections = new Map<string, Record<Rejection, number>>();

  /**
   * The limiter of a scope key under one config. The config is part of the key: a changed config
   * starts a fresh count (requests holding slots of the old one release there), and routes of one
   * service with different configs each get their own cap rather than resetting each other's.
   */
  get(key: string, fingerprint: string, settings: LimiterSettings): Limiter {
    const full = `${key}|${fingerprint}`;
    let limiter = this.limiters.get(full);
    if (limiter === undefined) {
      let rejected = this.rejections.get(key);
      if (rejected === undefined) {
        rejected = noRejections();
        this.rejections.set(key, rejected);
      }
      limiter = new Limiter(settings, fingerprint, undefined, rejected);
      this.limiters.set(full, limiter);
    }
    return limiter;
  }

  claim(key: string, fingerprint: string, settings: LimiterSettings): Ticket | 'queue-full' {
    return this.get(key, fingerprint, settings).acquire();
  }

  /**
   * After a reload: forgets limiters with nothing in flight or queued (they hold no state; one
   * still in use is made again on its next request). Busy ones stay until a later reload.
   */
  dropIdle(): void {
    for (const [key, l] of this.limiters) if (l.inFlight === 0 && l.queued === 0) this.limiters.delete(key);
  }

  /** Refusal totals by scope key. */
  rejectionTotals(): [string, Readonly<Record<Rejection, number>>][] {
    return [...this.rejections];
  }

  /** Every limiter with its scope key ("route|name" or "service|name"). */
  entries(): [string, Limiter][] {
    return [...this.limiters].map(([full, l]) => [full.slice(0, full.length - l.fingerprint.length - 1), l]);
  }
}

export const LIMITERS = new LimiterRegistry();
