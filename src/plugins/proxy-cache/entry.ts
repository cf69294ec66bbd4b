// Stored responses: what is kept (a ready header map, the body, freshness facts), how a 304
// refreshes it (RFC 9111 §4.3.4), and how it is served (Age, Cache-Status, 304 to a client's
// matching conditional request). The header map is built once at store time, so a hit copies it
// and adds two fields: no header parsing per hit.
import type { HeaderMap, PluginResponse } from '../../core/pipeline/context.ts';
import { currentAge, freshnessOf, notModified, parseCacheControl, type Freshness, type HeuristicSettings } from './rfc.ts';

/** A stored response, or (marker) the Vary field names its variants are keyed by. */
export interface EntryMeta {
  readonly status: number;
  /** Ready to send: lower-case names, single string values (Set-Cookie is never stored). */
  readonly headers: Readonly<Record<string, string>>;
  readonly freshness: Freshness;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  /** The response said `public`: it may be shared by authenticated requests. */
  readonly public: boolean;
  /** Vary field names (on markers and on variants). */
  readonly vary: readonly string[] | undefined;
  /** A marker: no response, only `vary`. */
  readonly marker: boolean;
  /** Purge tags (kept so a refresh stores the entry with them again). */
  readonly tags: readonly string[];
}

export interface Entry {
  readonly meta: EntryMeta;
  readonly body: Buffer;
}

/** Header fields never stored: per-request or per-hop, or recomputed when served. */
const NOT_STORED = new Set(['x-request-id', 'age', 'set-cookie', 'content-length', 'transfer-encoding', 'connection', 'keep-alive']);
/** Fields a 304 may not change in the stored response (RFC 9111 §3.2 / §4.3.4). */
const NOT_UPDATED = new Set([...NOT_STORED, 'content-encoding', 'content-type', 'content-range', 'etag']);

function single(v: HeaderMap[string]): string | undefined {
  return v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : v;
}

export function storedHeaders(headers: Readonly<HeaderMap>, drop: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    if (NOT_STORED.has(name) || name === drop) continue;
    const v = single(headers[name]);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** `received` is the response's own Age (not stored: it is recomputed when served). */
export function buildMeta(status: number, headers: Record<string, string>, received: HeaderMap[string], heuristic: HeuristicSettings, requestTime: number, responseTime: number, vary: readonly string[] | undefined, tags: readonly string[]): EntryMeta {
  const cc = parseCacheControl(headers['cache-control']);
  return {
    status,
    headers,
    freshness: freshnessOf(status, cc, received === undefined ? headers : { ...headers, age: received }, heuristic, requestTime, responseTime),
    etag: headers.etag,
    lastModified: headers['last-modified'],
    public: cc.has('public'),
    vary,
    marker: false,
    tags,
  };
}

/** The stored response updated with a 304's fields and a new freshness (RFC 9111 §4.3.4). */
export function refreshed(entry: Entry, notModifiedHeaders: Readonly<HeaderMap>, heuristic: HeuristicSettings, requestTime: number, responseTime: number, drop: string | undefined): Entry {
  const headers: Record<string, string> = { ...entry.meta.headers };
  for (const name in notModifiedHeaders) {
    if (NOT_UPDATED.has(name) || name === drop) continue;
    const v = single(notModifiedHeaders[name]);
    if (v !== undefined) headers[name] = v;
  }
  return { meta: buildMeta(entry.meta.status, headers, notModifiedHeaders.age, heuristic, requestTime, responseTime, entry.meta.vary, entry.meta.tags), body: entry.body };
}

/** How long an entry stays worth keeping, in ms: fresh time left plus the longest stale use. */
export function keepMs(meta: EntryMeta, staleRetentionSeconds: number, nowMs: number): number {
  const f = meta.freshness;
  const left = f.lifetime - currentAge(f.initialAge, f.responseTime, nowMs);
  const staleUse = Math.max(f.mustRevalidate ? 0 : Math.max(f.staleWhileRevalidate, f.staleIfError), meta.etag !== undefined || meta.lastModified !== undefined ? staleRetentionSeconds : 0);
  return (Math.max(0, left) + staleUse) * 1000;
}

/** Fields a 304 to the client carries (RFC 9110 §15.4.5). */
const NOT_MODIFIED_FIELDS = ['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'last-modified', 'via'];

/** The stored response as an answer: Age and Cache-Status added; 304 when the client's validator matches. */
export function serve(entry: Entry, reqHeaders: Readonly<HeaderMap>, nowMs: number, cacheStatus: string): PluginResponse {
  const meta = entry.meta;
  const age = String(currentAge(meta.freshness.initialAge, meta.freshness.responseTime, nowMs));
  const upstreamStatus = meta.headers['cache-status'];
  const status = upstreamStatus === undefined ? cacheStatus : `${upstreamStatus}, ${cacheStatus}`;
  if ((reqHeaders['if-none-match'] !== undefined || reqHeaders['if-modified-since'] !== undefined) && meta.status === 200 && notModified(reqHeaders, meta.etag, meta.lastModified)) {
    const headers: Record<string, string> = { age, 'cache-status': status };
    for (const name of NOT_MODIFIED_FIELDS) {
      const v = meta.headers[name];
      if (v !== undefined) headers[name] = v;
    }
    return { status: 304, headers };
  }
  // The stored fields are shared by every hit of the entry (never copied per answer).
  return { status: meta.status, storedHeaders: meta.headers, headers: { age, 'cache-status': status }, body: entry.body };
}

/** The entry at a primary key that points to its Vary variants. */
export function varyMarker(vary: readonly string[], publicResponse: boolean): Entry {
  return { meta: { status: 0, headers: {}, freshness: { lifetime: 0, initialAge: 0, responseTime: 0, noCache: true, mustRevalidate: true, staleWhileRevalidate: 0, staleIfError: 0 }, etag: undefined, lastModified: undefined, public: publicResponse, vary, marker: true, tags: [] }, body: EMPTY };
}
const EMPTY = Buffer.alloc(0);
