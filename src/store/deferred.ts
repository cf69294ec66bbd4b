// A Store that becomes real later: a node that starts while its database is down serves its
// last-known-good snapshot and mounts the admin API anyway, answering 503 until the database is
// reachable, and then works without a restart.
import type { ChangeFeed, Store, StoreHealth, StoreSession } from './ports.ts';
import { StoreUnavailableError } from './ports.ts';
import type { Dialect } from './schema.ts';
import type { CachePurgeNotice } from './cache/purge-notice.ts';

export class DeferredStore implements Store {
  #target: Store | undefined;
  readonly #listeners = new Set<(revision: number) => void>();
  readonly #healthListeners = new Set<(health: StoreHealth) => void>();
  readonly #dueListeners = new Set<() => void>();
  readonly #purgeListeners = new Set<(notice: CachePurgeNotice) => void>();
  readonly #location: string;
  readonly #dialect: Dialect;
  readonly #since = new Date().toISOString();
  #error: string | undefined;

  constructor(location: string, dialect: Dialect) {
    this.#location = location;
    this.#dialect = dialect;
  }

  get dialect(): Dialect { return this.#target?.dialect ?? this.#dialect; }
  get location(): string { return this.#target?.location ?? this.#location; }
  get ready(): boolean { return this.#target !== undefined; }

  readonly feed: ChangeFeed = {
    onChange: (listener) => {
      this.#listeners.add(listener);
      return () => this.#listeners.delete(listener);
    },
    health: (): StoreHealth => this.#target?.feed.health() ?? { up: false, since: this.#since, ...(this.#error ? { error: this.#error } : {}) },
    onHealth: (listener) => {
      this.#healthListeners.add(listener);
      return () => this.#healthListeners.delete(listener);
    },
    onWebhooksDue: (listener) => {
      this.#dueListeners.add(listener);
      return () => this.#dueListeners.delete(listener);
    },
    onCachePurge: (listener) => {
      this.#purgeListeners.add(listener);
      return () => this.#purgeListeners.delete(listener);
    },
  };

  failed(error: string): void { this.#error = error; }

  attach(target: Store): void {
    this.#target = target;
    target.feed.onChange((revision) => { for (const l of this.#listeners) l(revision); });
    target.feed.onHealth((health) => { for (const l of this.#healthListeners) l(health); });
    target.feed.onWebhooksDue(() => { for (const l of this.#dueListeners) l(); });
    target.feed.onCachePurge((notice) => { for (const l of this.#purgeListeners) l(notice); });
  }

  #need(): Store {
    if (!this.#target) throw new StoreUnavailableError(`the config store (${this.#location}) is not reachable`);
    return this.#target;
  }

  read(): StoreSession { return this.#need().read(); }
  write<T>(fn: (tx: StoreSession, revision: number) => Promise<T>, opts?: { bump?: boolean }): Promise<T> {
    try {
      return this.#need().write(fn, opts);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
  ping(): Promise<void> { try { return this.#need().ping(); } catch (err) { return Promise.reject(err as Error); } }
  announceCachePurge(notice: CachePurgeNotice): Promise<boolean> { try { return this.#need().announceCachePurge(notice); } catch (err) { return Promise.reject(err as Error); } }
  async close(): Promise<void> { await this.#target?.close(); }
}
