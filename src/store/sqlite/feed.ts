// SQLite change feed: writes in this process are announced at once; writes by another process
// (`portcullis config apply` against the same file) are noticed by a cheap revision poll.
import type { ChangeFeed, StoreHealth } from '../ports.ts';

export class SqliteChangeFeed implements ChangeFeed {
  readonly #listeners = new Set<(revision: number) => void>();
  readonly #readRevision: () => Promise<number>;
  readonly #timer: NodeJS.Timeout;
  #last = -1;
  #health: StoreHealth = { up: true, since: new Date().toISOString() };

  constructor(readRevision: () => Promise<number>, pollMs: number) {
    this.#readRevision = readRevision;
    this.#timer = setInterval(() => void this.#poll(), pollMs);
    this.#timer.unref();
  }

  onChange(listener: (revision: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  health(): StoreHealth { return this.#health; }

  committed(revision: number): void { this.#announce(revision); }

  async #poll(): Promise<void> {
    try {
      const revision = await this.#readRevision();
      if (!this.#health.up) this.#health = { up: true, since: new Date().toISOString() };
      this.#announce(revision);
    } catch (err) {
      if (this.#health.up) this.#health = { up: false, since: new Date().toISOString(), error: (err as Error).message };
    }
  }

  #announce(revision: number): void {
    if (revision <= this.#last) return;
    this.#last = revision;
    for (const l of this.#listeners) l(revision);
  }

  async stop(): Promise<void> { clearInterval(this.#timer); }
}
