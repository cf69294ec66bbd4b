// A node's memory-cache invalidations (RFC 9111 §4.4, after unsafe requests) told to the other
// nodes sharing its Postgres store, so that their memory caches drop the same keys. Keys are
// gathered for a few milliseconds and sent together: a burst of writes costs one NOTIFY, not one
// per request. Nothing waits for it: a store that cannot be reached costs a log line, not a request.
import type { Store } from '../ports.ts';

/** Where the announcer says it could not reach the store (the node's logger). */
export interface AnnouncerLog {
  warn(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
}

export class InvalidationAnnouncer {
  readonly #store: Pick<Store, 'announceCachePurge'>;
  readonly #origin: string;
  readonly #logger: AnnouncerLog;
  readonly #delayMs: number;
  #keys = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #failing = false;

  constructor(store: Pick<Store, 'announceCachePurge'>, origin: string, logger: AnnouncerLog, delayMs = 5) {
    this.#store = store;
    this.#origin = origin;
    this.#logger = logger;
    this.#delayMs = delayMs;
  }

  /** A key this node invalidated (its own caches have dropped it already). */
  readonly add = (key: string): void => {
    this.#keys.add(key);
    if (this.#timer === undefined) this.#timer = setTimeout(() => void this.#flush(), this.#delayMs).unref();
  };

  async #flush(): Promise<void> {
    const keys = [...this.#keys];
    this.#keys = new Set();
    this.#timer = undefined;
    try {
      await this.#store.announceCachePurge({ origin: this.#origin, purges: keys.map((key) => ({ key })) });
      if (this.#failing) {
        this.#failing = false;
        this.#logger.info({}, 'cache invalidations reach the other nodes again');
      }
    } catch (err) {
      if (this.#failing) return;
      this.#failing = true;
      this.#logger.warn({ error: (err as Error).message, keys: keys.length }, 'could not tell the other nodes of cache invalidations (the store is not reachable): their memory caches keep those entries until they expire or are purged');
    }
  }
}
