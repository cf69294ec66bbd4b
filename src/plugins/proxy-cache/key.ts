// The cache key: `GET host/path?query`, then `|h:name=value` for each configured request header,
// then the partition: `|c:<consumer id>` (authenticated or per-tenant) or `|a:<hash>` (an
// Authorization header no plugin resolved to a consumer). Vary variants append `\n<values>`.
// Purging a key purges everything after `|` and `\n` too (all partitions and variants).
import { createHash } from 'node:crypto';
import type { HeaderMap, RequestContext } from '../../core/pipeline/context.ts';

export interface KeySettings {
  readonly headers: readonly string[];
  readonly include: ReadonlySet<string> | undefined;
  readonly exclude: ReadonlySet<string> | undefined;
  readonly perConsumer: boolean;
}

function headerText(v: HeaderMap[string]): string {
  return v === undefined ? '' : Array.isArray(v) ? v.join(',') : v;
}

/** The query as it counts in the key: filtered when the config picks or ignores parameters. */
export function keyQuery(query: string, k: KeySettings): string {
  if (query === '' || (k.include === undefined && k.exclude === undefined)) return query;
  const kept: string[] = [];
  for (const pair of query.slice(1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    let name = eq === -1 ? pair : pair.slice(0, eq);
    try { name = decodeURIComponent(name.replace(/\+/g, ' ')); } catch { /* keep it raw */ }
    if (k.include !== undefined && !k.include.has(name)) continue;
    if (k.exclude !== undefined && k.exclude.has(name)) continue;
    kept.push(pair);
  }
  return kept.length === 0 ? '' : `?${kept.join('&')}`;
}

/** The URL part of a key: what purges and invalidation name. */
export function uriKey(host: string, path: string, query: string): string {
  return `GET ${host.toLowerCase()}${path}${query}`;
}

/** The key without partition: URL plus the configured request headers. */
export function baseKey(ctx: RequestContext, k: KeySettings): string {
  let key = uriKey(headerText(ctx.headers.host), ctx.path, keyQuery(ctx.query, k));
  for (const name of k.headers) key += `|h:${name}=${headerText(ctx.headers[name])}`;
  return key;
}

/**
 * The partition of a request: '' (shared), a consumer's or an Authorization's. A request that was
 * authenticated (a credential, not an anonymous fallback) or carries Authorization never shares
 * entries with others unless the response says `public`.
 */
export function partitionOf(ctx: RequestContext, k: KeySettings): string {
  const consumer = ctx.consumer;
  if (consumer !== undefined && (ctx.anonymous !== true || k.perConsumer)) return `|c:${consumer.id}`;
  const auth = ctx.headers.authorization;
  if (auth !== undefined) return `|a:${createHash('sha256').update(headerText(auth)).digest('base64url').slice(0, 22)}`;
  return k.perConsumer ? '|c:-' : '';
}
