// The HTTP cache's storage port. Two adapters: memory (per worker process, a byte budget with
// LRU eviction) and Redis (shared by every node). One conformance suite (conformance.ts) runs
// against both. A store belongs to one plugin instance (its namespace); entries are opaque to it:
// a JSON-safe `meta` (status, ready header map, freshness facts) and the body bytes.

export interface CacheEntry<M = unknown> {
  /** JSON-serialisable description of the stored response. */
  readonly meta: M;
  readonly body: Buffer;
}

/** What the admin API's purge names: one key (with its variants), a key prefix, or a tag. */
export type PurgeRequest = { readonly key: string } | { readonly prefix: string } | { readonly tag: string };

/**
 * Variant separators: a stored key's per-consumer partitions and Vary variants are the key
 * followed by one of these, so purging a key purges all of them.
 */
export const PARTITION_SEPARATOR = '|';
export const VARIANT_SEPARATOR = '\n';

export interface CacheStore<M = unknown> {
  readonly kind: 'memory' | 'redis';
  /** The entry, or undefined (missing, expired, or the backend failed: a miss, never an error). */
  get(key: string): CacheEntry<M> | undefined | Promise<CacheEntry<M> | undefined>;
  /** Stores an entry for `ttlMs` (how long it stays usable, stale windows included), with purge tags. */
  set(key: string, entry: CacheEntry<M>, ttlMs: number, tags: readonly string[]): void | Promise<void>;
  /** Removes one key (no variants). */
  delete(key: string): void | Promise<void>;
  /** Purges what the request names in this store; resolves with the number of entries removed. */
  purge(request: PurgeRequest): Promise<number>;
  /**
   * Invalidates a key with its variants (RFC 9111 §4.4, after an unsafe request) wherever this
   * backend keeps copies: for memory, this process and the node's other gateway workers.
   */
  invalidate(key: string): Promise<number>;
}

/** Byte size an entry is accounted at (body + key + serialised meta estimate). */
export function entrySize(key: string, entry: CacheEntry, metaBytes: number): number {
  return entry.body.length + key.length * 2 + metaBytes + 64;
}

/** Whether `stored` is the purge key itself or one of its partitions/variants. */
export function isKeyOrVariant(stored: string, key: string): boolean {
  if (!stored.startsWith(key)) return false;
  if (stored.length === key.length) return true;
  const c = stored[key.length];
  return c === PARTITION_SEPARATOR || c === VARIANT_SEPARATOR;
}
