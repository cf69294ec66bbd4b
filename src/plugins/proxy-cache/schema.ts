import Type from 'typebox';

const HeaderName = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$', maxLength: 128 });
const QueryName = Type.String({ minLength: 1, maxLength: 256 });

export const DEFAULT_STATUSES = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501];
export const DEFAULT_CONTENT_TYPES = ['text/*', 'application/json', 'application/*+json', 'application/xml', 'application/*+xml', 'application/javascript', 'image/*', 'font/*'];

export const ProxyCacheSchema = Type.Object({
  backend: Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory', description: 'memory: per gateway worker process (each worker has its own copy and budget); redis: shared by every node (needs gateway.redis).' }),
  memory_max_bytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024 * 1024, default: 64 * 1024 * 1024, description: 'memory backend: byte budget of this instance in each worker process; least recently used entries are evicted above it.' }),
  max_entry_bytes: Type.Integer({ minimum: 1, maximum: 64 * 1024 * 1024, default: 1024 * 1024, description: 'Largest body stored; larger responses stream through uncached.' }),
  statuses: Type.Array(Type.Integer({ minimum: 200, maximum: 599 }), { default: DEFAULT_STATUSES, maxItems: 64, description: 'Response statuses that may be stored (206 is never stored: ranges are not cached).' }),
  content_types: Type.Array(Type.String({ pattern: '^(\\*/\\*|[a-z0-9!#$&^_.+-]+/(\\*|\\*\\+[a-z0-9.-]+|[a-z0-9!#$&^_.+-]+))$', maxLength: 128 }), { default: DEFAULT_CONTENT_TYPES, maxItems: 64, description: 'Media types that may be stored: exact (application/json), a type wildcard (text/*), a suffix wildcard (application/*+json) or */*. A response without Content-Type may be stored.' }),
  key: Type.Object({
    headers: Type.Array(HeaderName, { default: [], maxItems: 16, description: 'Request headers whose values become part of the key (besides Vary, which the cache always honours).' }),
    query_include: Type.Array(QueryName, { default: [], maxItems: 64, description: 'Only these query parameters are part of the key (empty: all).' }),
    query_exclude: Type.Array(QueryName, { default: [], maxItems: 64, description: 'Query parameters left out of the key (tracking parameters...).' }),
    consumer: Type.Boolean({ default: false, description: 'Every entry is per consumer, even `public` responses (per-tenant data). Authenticated requests get per-consumer entries anyway unless the response is public.' }),
  }, { additionalProperties: false, default: {} }),
  heuristic: Type.Object({
    fraction: Type.Number({ minimum: 0, maximum: 1, default: 0.1, description: 'Share of the time since Last-Modified a response without explicit freshness stays fresh (RFC 9111 §4.2.2).' }),
    max_seconds: Type.Integer({ minimum: 0, maximum: 31_536_000, default: 86_400, description: 'Cap on a heuristic lifetime.' }),
  }, { additionalProperties: false, default: {} }),
  stale_retention_seconds: Type.Integer({ minimum: 0, maximum: 31_536_000, default: 300, description: 'How long a stale entry with a validator (ETag, Last-Modified) is kept for revalidation with a conditional request.' }),
  tag_header: Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$', maxLength: 128, default: 'cache-tag', description: 'Upstream response header listing purge tags (comma separated).' }),
  strip_tag_header: Type.Boolean({ default: true, description: 'Remove the tag header from client responses.' }),
  coalesce: Type.Boolean({ default: true, description: 'Concurrent misses for one key send one upstream request; the others wait for its response.' }),
}, { additionalProperties: false });
