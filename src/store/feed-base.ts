// What every change feed shares: listeners, announcing each revision once and in order, and the
// store's reachability as the feed last saw it.
import type { ChangeFeed, StoreHealth } from './ports.ts';

export abstract class RevisionFeed implements ChangeFeed {
  readonly #listeners = new Set<(revision: number) => void>();
  readonly #healthListeners = new Set<(health: StoreHealth) => void>();
  #last = -1;
  #health: StoreHealth = { up: true, since: new Date().toISOString() };

  onChange(listener: (revision: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  health(): StoreHealth { return this.#health; }

  onHealth(listener: (health: StoreHealth) => void): () => void {
    this.#healthListeners.add(listener);
    return () => this.#healthListeners.delete(listener);
  }

  /** A write of this process committed: announce it without waiting for the database to tell. */
  committed(revision: number): void { this.announce(revision); }

  protected setHealth(up: boolean, error?: string): void {
    if (up === this.#health.up) return;
    this.#health = { up, since: new Date().toISOString(), ...(error !== undefined ? { error } : {}) };
    for (const l of this.#healthListeners) l(this.#health);
  }

  protected announce(revision: number): void {
    if (revision <= this.#last) return;
    this.#last = revision;
    for (const l of this.#listeners) l(revision);
  }

  abstract stop(): Promise<void>;
}
