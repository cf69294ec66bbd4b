// What every change feed shares: listeners, announcing each revision change once, and the
// store's reachability as the feed last saw it.
import type { ChangeFeed, StoreHealth } from './ports.ts';
import type { CachePurgeNotice } from './cache/purge-notice.ts';

export abstract class RevisionFeed implements ChangeFeed {
  readonly #listeners = new Set<(revision: number) => void>();
  readonly #healthListeners = new Set<(health: StoreHealth) => void>();
  readonly #dueListeners = new Set<() => void>();
  readonly #purgeListeners = new Set<(notice: CachePurgeNotice) => void>();
  #last = -1;
  #seq = 0;
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

  onWebhooksDue(listener: () => void): () => void {
    this.#dueListeners.add(listener);
    return () => this.#dueListeners.delete(listener);
  }

  protected announceWebhooksDue(): void {
    for (const l of this.#dueListeners) l();
  }

  onCachePurge(listener: (notice: CachePurgeNotice) => void): () => void {
    this.#purgeListeners.add(listener);
    return () => this.#purgeListeners.delete(listener);
  }

  protected announceCachePurge(notice: CachePurgeNotice): void {
    for (const l of this.#purgeListeners) l(notice);
  }

  /** A write of this process committed: announce it without waiting for the database to tell. */
  committed(revision: number): void { this.announce(revision); }

  protected setHealth(up: boolean, error?: string): void {
    if (up === this.#health.up) return;
    this.#health = { up, since: new Date().toISOString(), ...(error !== undefined ? { error } : {}) };
    for (const l of this.#healthListeners) l(this.#health);
  }

  /** Take before reading the revision from the database; pass to announce with what was read. */
  protected get announcements(): number { return this.#seq; }

  /**
   * A higher revision is always news. A lower one is news only when it was read from the database
   * after the last announcement (`readAfter`): a database restored from a backup goes back, and
   * nodes must follow it; a read that merely raced a newer write must not undo it.
   */
  protected announce(revision: number, readAfter?: number): void {
    if (revision === this.#last) return;
    if (revision < this.#last && readAfter !== this.#seq) return;
    this.#last = revision;
    this.#seq += 1;
    for (const l of this.#listeners) l(revision);
  }

  abstract stop(): Promise<void>;
}
