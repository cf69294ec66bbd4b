// The shared cache backend on Redis: every node of a cluster sees the same entries. An entry is
// one string key holding [meta length (4 bytes)][meta JSON][body], with a TTL equal to how long
// it stays usable (stale windows included), so Redis forgets it by itself. Purge tags are sets of
// entry keys. Redis failures never fail a request: a read that fails is a miss, a write that fails
// is dropped; both are reported through `onError` (the plugin counts them and logs once per outage).
import type { RedisConnection } from '../redis/connection.ts';
import { isKeyOrVariant, type CacheEntry, type CacheStore, type PurgeRequest } from './ports.ts';

/** Namespaces are 16 hex characters (a plugin instance's id), so a SCAN pattern can skip over them. */
export const NAMESPACE_PATTERN = '?'.repeat(16);

export interface RedisStoreEvents {
  /** A command failed (the operation is what the cache was doing). */
  onError?(operation: 'get' | 'set' | 'delete', err: unknown): void;
  /** A command succeeded (ends an outage). */
  onOk?(): void;
}

const globEscape = (s: string) => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

function encode(entry: CacheEntry): Buffer {
  const meta = Buffer.from(JSON.stringify(entry.meta), 'utf8');
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(meta.length, 0);
  return Buffer.concat([head, meta, entry.body]);
}

function decode<M>(buf: Buffer): CacheEntry<M> | undefined {
  if (buf.length < 4) return undefined;
  const len = buf.readUInt32BE(0);
  if (4 + len > buf.length) return undefined;
  try {
    return { meta: JSON.parse(buf.toString('utf8', 4, 4 + len)) as M, body: buf.subarray(4 + len) };
  } catch {
    return undefined;
  }
}

export class RedisCacheStore<M = unknown> implements CacheStore<M> {
  readonly kind = 'redis' as const;
  private readonly conn: RedisConnection;
  private readonly namespace: string;
  private readonly events: RedisStoreEvents;

  constructor(conn: RedisConnection, namespace: string, events: RedisStoreEvents = {}) {
    if (!/^[0-9a-f]{16}$/.test(namespace)) throw new Error('a cache namespace is 16 hex characters');
    this.conn = conn;
    this.namespace = namespace;
    this.events = events;
  }

  private entryKey(key: string): string {
    return `${this.conn.prefix}cache:e:${this.namespace}:${key}`;
  }

  async get(key: string): Promise<CacheEntry<M> | undefined> {
    let buf: Buffer | null;
    try {
      buf = await this.conn.client().getBuffer(this.entryKey(key));
    } catch (err) {
      this.events.onError?.('get', err);
      return undefined;
    }
    this.events.onOk?.();
    return buf === null ? undefined : decode<M>(buf);
  }

  async set(key: string, entry: CacheEntry<M>, ttlMs: number, tags: readonly string[]): Promise<void> {
    if (ttlMs <= 0) return;
    const redisKey = this.entryKey(key);
    const ttl = Math.ceil(ttlMs);
    try {
      const multi = this.conn.client().multi().set(redisKey, encode(entry), 'PX', ttl);
      for (const tag of tags) {
        const tagKey = `${this.conn.prefix}cache:t:${this.namespace}:${tag}`;
        // A tag set lives as long as its longest-lived entry (NX: a new set; GT: only ever extend).
        multi.sadd(tagKey, redisKey).pexpire(tagKey, ttl, 'NX').pexpire(tagKey, ttl, 'GT');
      }
      await multi.exec();
    } catch (err) {
      this.events.onError?.('set', err);
      return;
    }
    this.events.onOk?.();
  }

  async delete(key: string): Promise<void> {
    try {
      await this.conn.client().unlink(this.entryKey(key));
    } catch (err) {
      this.events.onError?.('delete', err);
    }
  }

  invalidate(key: string): Promise<number> {
    // Shared by every node already: one purge reaches all of them.
    return this.purge({ key });
  }

  purge(request: PurgeRequest): Promise<number> {
    return purgeRedis(this.conn, request, this.namespace);
  }
}

/**
 * Purges entries of one namespace, or of every cache namespace on this Redis (the admin API:
 * it does not know plugin instances). Errors propagate: the admin API reports them.
 */
export async function purgeRedis(conn: RedisConnection, request: PurgeRequest, namespace: string = NAMESPACE_PATTERN): Promise<number> {
  const redis = conn.client();
  const base = `${conn.prefix}cache:`;
  let removed = 0;
  const scan = async (pattern: string, each: (keys: string[]) => Promise<void>) => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await each(keys);
    } while (cursor !== '0');
  };
  if ('tag' in request) {
    await scan(`${globEscape(base)}t:${namespace}:${globEscape(request.tag)}`, async (sets) => {
      for (const set of sets) {
        const members = await redis.smembers(set);
        if (members.length > 0) removed += await redis.unlink(...members);
        await redis.unlink(set);
      }
    });
    return removed;
  }
  const entryPrefix = `${base}e:`;
  // Entry keys are <base>e:<namespace>:<cache key>.
  const cacheKeyOf = (redisKey: string) => redisKey.slice(entryPrefix.length + 17);
  const text = 'key' in request ? request.key : request.prefix;
  await scan(`${globEscape(entryPrefix)}${namespace}:${globEscape(text)}*`, async (keys) => {
    const chosen = 'key' in request ? keys.filter((k) => isKeyOrVariant(cacheKeyOf(k), request.key)) : keys;
    if (chosen.length > 0) removed += await redis.unlink(...chosen);
  });
  return removed;
}
