// SQLite change feed: writes in this process are announced at once; writes by another process
// (`portcullis config apply` against the same file) are noticed by a cheap revision poll.
import { RevisionFeed } from '../feed-base.ts';

export class SqliteChangeFeed extends RevisionFeed {
  readonly #readRevision: () => Promise<number>;
  readonly #timer: NodeJS.Timeout;

  constructor(readRevision: () => Promise<number>, pollMs: number) {
    super();
    this.#readRevision = readRevision;
    this.#timer = setInterval(() => void this.#poll(), pollMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    try {
      const seen = this.announcements;
      const revision = await this.#readRevision();
      this.setHealth(true);
      this.announce(revision, seen);
    } catch (err) {
      this.setHealth(false, (err as Error).message);
    }
  }

  async stop(): Promise<void> { clearInterval(this.#timer); }
}
