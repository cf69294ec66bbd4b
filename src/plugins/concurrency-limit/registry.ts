// The limiters of this process, by scope key ("route|name" or "service|name"), kept across config
// reloads while their settings are the same. Each gateway worker has its own: a limit of N with W
// workers admits up to N per worker.
import { Limiter, type LimiterSettings } from './limiter.ts';

export class LimiterRegistry {
  private readonly limiters = new Map<string, Limiter>();

  get(key: string, fingerprint: string, settings: LimiterSettings): Limiter {
    const existing = this.limiters.get(key);
    if (existing !== undefined && existing.fingerprint === fingerprint) return existing;
    // A changed config starts a fresh limiter; requests holding slots of the old one release there.
    const fresh = new Limiter(settings, fingerprint);
    this.limiters.set(key, fresh);
    return fresh;
  }

  /**
   * After a reload: forgets limiters with nothing in flight or queued (they hold no state; one
   * still in use is made again on its next request). Busy ones stay until a later reload.
   */
  dropIdle(): void {
    for (const [key, l] of this.limiters) if (l.inFlight === 0 && l.queued === 0) this.limiters.delete(key);
  }

  entries(): [string, Limiter][] {
    return [...this.limiters];
  }
}

export const LIMITERS = new LimiterRegistry();
