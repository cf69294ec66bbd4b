// Purging the proxy-cache: by exact key (with its per-consumer partitions and Vary variants), by
// key prefix, or by tag. Memory caches live in the gateway processes (the purge is broadcast to
// them, and announced to the other nodes sharing a Postgres store); the shared Redis cache is
// purged directly from here.
import Type from 'typebox';
import { validate } from '../../core/config/validate.ts';
import type { PurgeRequest } from '../../store/cache/ports.ts';
import { WriteValidationError } from '../config-service.ts';
import { ApiProblem, type Operation } from './types.ts';

export interface CachePurger {
  /** Entries removed from the gateway processes' memory caches. */
  purgeMemory(request: PurgeRequest): Promise<number>;
  /** Entries removed from the shared Redis cache; undefined when the config has no gateway.redis. Throws when Redis fails. */
  purgeRedis(request: PurgeRequest): Promise<number | undefined>;
  /** Tells the other nodes sharing the store to purge their memory caches: false when none can. Throws when the store fails. */
  announce(request: PurgeRequest): Promise<boolean>;
}

const PurgeSchema = Type.Object({
  key: Type.Optional(Type.String({ minLength: 1, maxLength: 8192, description: 'An exact cache key (`GET host/path?query`): the entry and all its per-consumer and Vary variants.' })),
  prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 8192, description: 'Every key that starts with this (`GET api.example.com/products/`).' })),
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Every entry the upstream tagged with this (in its tag header, `Cache-Tag` by default).' })),
}, { additionalProperties: false, minProperties: 1, maxProperties: 1, title: 'CachePurge', description: 'Exactly one of key, prefix or tag.' });

const PurgeResultSchema = Type.Object({
  removed: Type.Object({
    memory: Type.Integer({ description: 'Entries removed from memory caches, summed over gateway processes.' }),
    redis: Type.Optional(Type.Integer({ description: 'Entries removed from the shared Redis cache (absent without gateway.redis).' })),
  }),
  other_nodes_notified: Type.Boolean({ description: 'True: the nodes sharing this node\'s Postgres store were told, and each purges its memory caches as the notice arrives (their counts are not in `removed`). False: no other node can share this store (SQLite, or a config file).' }),
}, { title: 'CachePurgeResult' });

export function cacheOperations(purger: CachePurger | undefined): Operation[] {
  return [{
    id: 'purge-cache', method: 'POST', path: '/admin/cache/purge', tag: 'Cache', role: 'admin',
    summary: 'Purge proxy-cache entries by key, prefix or tag',
    description: 'Removes entries from every gateway process of this node (memory backends) and from the shared Redis cache (redis backends), and tells the other nodes sharing this node\'s Postgres store to purge their memory caches too. Keys look like `GET api.example.com/path?query`; purging a key also purges its per-consumer and Vary variants.',
    body: PurgeSchema,
    responses: { 200: { description: 'What was removed.', schema: PurgeResultSchema } },
    problems: ['cache-purge-failed'],
    async handler(input) {
      const v = validate<{ key?: string; prefix?: string; tag?: string }>(PurgeSchema, input.body);
      if (!v.ok) throw new WriteValidationError(v.issues);
      const b = v.value;
      const request: PurgeRequest = b.key !== undefined ? { key: b.key } : b.prefix !== undefined ? { prefix: b.prefix } : { tag: b.tag! };
      const memory = purger ? await purger.purgeMemory(request) : 0;
      let redis: number | undefined;
      try {
        redis = purger ? await purger.purgeRedis(request) : undefined;
      } catch {
        throw new ApiProblem('cache-purge-failed', 'The shared Redis cache could not be purged; this node\'s memory caches were. Repeat the purge.', undefined, { 'retry-after': '5' });
      }
      let notified: boolean;
      try {
        notified = purger ? await purger.announce(request) : false;
      } catch {
        throw new ApiProblem('cache-purge-failed', 'The other nodes could not be told (the store is not reachable); this node\'s caches were purged. Repeat the purge.', undefined, { 'retry-after': '5' });
      }
      return { body: { removed: { memory, ...(redis !== undefined ? { redis } : {}) }, other_nodes_notified: notified } };
    },
  }];
}
