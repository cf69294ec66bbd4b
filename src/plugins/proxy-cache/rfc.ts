// RFC 9111 (HTTP caching) for a SHARED cache, as small pure functions: Cache-Control parsing,
// storability, freshness lifetime, age, Vary matching and conditional-request evaluation.
//
// Why not http-cache-semantics: it models one policy object per response that re-parses request
// headers and rebuilds a response-header object on every satisfiesWithoutRevalidation() /
// responseHeaders() call (work on the hit path we avoid by storing a ready header map and a few
// numbers), it has no notion of per-consumer partitions, and stale-if-error / coalescing /
// background refresh decisions would still have to live here. What we need is ~200 lines.
import type { HeaderMap, HeaderValue } from '../../core/pipeline/context.ts';

/** Parsed Cache-Control: directive name (lower-case) → value (true when it has none). */
export type Directives = ReadonlyMap<string, string | true>;
const NONE: Directives = new Map();

/** Parses Cache-Control (RFC 9111 §5.2). Unknown directives are kept, malformed parts skipped. */
export function parseCacheControl(value: HeaderValue | undefined): Directives {
  if (value === undefined) return NONE;
  const text = Array.isArray(value) ? value.join(',') : value;
  if (text === '') return NONE;
  const out = new Map<string, string | true>();
  // Split on commas outside quoted strings (no-cache="a, b").
  let i = 0;
  const n = text.length;
  while (i < n) {
    let start = i;
    while (start < n && (text[start] === ' ' || text[start] === '\t' || text[start] === ',')) start++;
    if (start >= n) break;
    let j = start;
    while (j < n && text[j] !== '=' && text[j] !== ',') j++;
    const name = text.slice(start, j).trim().toLowerCase();
    let arg: string | true = true;
    if (j < n && text[j] === '=') {
      j++;
      if (text[j] === '"') {
        const close = text.indexOf('"', j + 1);
        const end = close === -1 ? n : close;
        arg = text.slice(j + 1, end);
        j = end + 1;
        while (j < n && text[j] !== ',') j++;
      } else {
        const end = text.indexOf(',', j);
        arg = text.slice(j, end === -1 ? n : end).trim();
        j = end === -1 ? n : end;
      }
    }
    // Duplicated directives: the first wins (a conservative reading of RFC 9111 §4.2.1).
    if (name !== '' && !out.has(name)) out.set(name, arg);
    i = j + 1;
  }
  return out;
}

/** A delta-seconds directive's value; undefined when absent or malformed (§1.2.2). */
export function deltaSeconds(d: Directives, name: string): number | undefined {
  const v = d.get(name);
  if (v === undefined || v === true) return undefined;
  if (!/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n > 2147483648 ? 2147483648 : n;
}

/** An HTTP-date in ms since the epoch, or NaN (invalid dates count as "in the past" for Expires). */
export function httpDate(value: HeaderValue | undefined): number {
  if (value === undefined) return NaN;
  return Date.parse(Array.isArray(value) ? value[0]! : value);
}

function first(value: HeaderValue | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Statuses that are heuristically cacheable (RFC 9110 §15.1), so storable without explicit freshness. */
export const HEURISTIC_STATUSES: ReadonlySet<number> = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]);

export interface HeuristicSettings {
  /** Fraction of (Date − Last-Modified) used as the lifetime (RFC 9111 §4.2.2 suggests 10 %). */
  readonly fraction: number;
  /** Cap, in seconds. */
  readonly maxSeconds: number;
}

/** Why a response is not stored (for Cache-Status `detail`), or undefined when it is storable. */
export type NotStorable = 'method' | 'status' | 'no-store' | 'private' | 'no-freshness' | 'vary-star' | 'request-no-store' | 'set-cookie' | 'content-type' | 'too-large';

/**
 * Storability for a shared cache (RFC 9111 §3): the response must have explicit freshness
 * (max-age, s-maxage, Expires), or `public`, or a heuristically cacheable status with which a
 * lifetime can be computed (we need Last-Modified for a heuristic), and must not be private or
 * no-store. `no-cache` responses are stored (always revalidated before use).
 */
export function storability(status: number, cc: Directives, headers: Readonly<HeaderMap>, allowedStatuses: ReadonlySet<number>): NotStorable | undefined {
  if (!allowedStatuses.has(status)) return 'status';
  if (cc.has('no-store')) return 'no-store';
  if (cc.has('private')) return 'private'; // also the qualified form: we treat it as unqualified (§5.2.2.7)
  const vary = headers.vary;
  if (vary !== undefined && varyNames(vary) === '*') return 'vary-star';
  if (cc.has('max-age') || cc.has('s-maxage') || headers.expires !== undefined || cc.has('public') || cc.has('no-cache')) return undefined;
  if (HEURISTIC_STATUSES.has(status) && headers['last-modified'] !== undefined) return undefined;
  return 'no-freshness';
}

/** Freshness lifetime in seconds (RFC 9111 §4.2.1), heuristic when nothing explicit (§4.2.2). */
export function freshnessLifetime(status: number, cc: Directives, headers: Readonly<HeaderMap>, heuristic: HeuristicSettings, dateMs: number): number {
  const s = deltaSeconds(cc, 's-maxage');
  if (s !== undefined) return s;
  const m = deltaSeconds(cc, 'max-age');
  if (m !== undefined) return m;
  if (headers.expires !== undefined) {
    const expires = httpDate(headers.expires);
    if (Number.isNaN(expires)) return 0; // an invalid Expires means "already expired" (§5.3)
    return Math.max(0, Math.floor((expires - dateMs) / 1000));
  }
  if (cc.has('s-maxage') || cc.has('max-age')) return 0; // present but malformed
  const lm = httpDate(headers['last-modified']);
  if (!Number.isNaN(lm) && (HEURISTIC_STATUSES.has(status) || cc.has('public'))) {
    const since = (dateMs - lm) / 1000;
    if (since > 0) return Math.min(heuristic.maxSeconds, Math.floor(since * heuristic.fraction));
  }
  return 0;
}

/**
 * Initial age of a response when received (RFC 9111 §4.2.3), in seconds: the larger of the
 * apparent age (response time − Date) and the upstream's Age corrected by the response delay.
 */
export function initialAge(headers: Readonly<HeaderMap>, requestTimeMs: number, responseTimeMs: number, dateMs: number): number {
  const ageText = first(headers.age);
  const ageValue = ageText !== undefined && /^\d+$/.test(ageText.trim()) ? Number(ageText.trim()) : 0;
  const apparent = Number.isNaN(dateMs) ? 0 : Math.max(0, (responseTimeMs - dateMs) / 1000);
  const corrected = ageValue + (responseTimeMs - requestTimeMs) / 1000;
  return Math.max(apparent, corrected);
}

/** Current age in whole seconds (what the Age header says). */
export function currentAge(initialAgeSeconds: number, responseTimeMs: number, nowMs: number): number {
  return Math.floor(initialAgeSeconds + Math.max(0, nowMs - responseTimeMs) / 1000);
}

/** Vary field names (lower-case, sorted, deduplicated), or '*' (never matches, §4.1). */
export function varyNames(value: HeaderValue): readonly string[] | '*' {
  const text = Array.isArray(value) ? value.join(',') : value;
  const names = new Set<string>();
  for (const part of text.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '*') return '*';
    if (name !== '') names.add(name);
  }
  return [...names].sort();
}

/**
 * The request's values for the Vary'd fields, normalised (§4.1: whitespace around commas and
 * case of the field name do not matter; an absent field matches only an absent field).
 */
export function varyValues(names: readonly string[], headers: Readonly<HeaderMap>): string {
  let out = '';
  for (const name of names) {
    const v = headers[name];
    out += name + ':' + (v === undefined ? '\u0001' : (Array.isArray(v) ? v.join(',') : v).split(',').map((s) => s.trim()).join(',')) + '\n';
  }
  return out;
}

/** What the request's own Cache-Control asks of the cache (§5.2.1). */
export interface RequestDirectives {
  readonly noCache: boolean;
  readonly noStore: boolean;
  readonly maxAge: number | undefined;
  /** Infinity for a bare max-stale. */
  readonly maxStale: number | undefined;
  readonly minFresh: number | undefined;
}

export const NO_REQUEST_DIRECTIVES: RequestDirectives = { noCache: false, noStore: false, maxAge: undefined, maxStale: undefined, minFresh: undefined };

export function requestDirectives(headers: Readonly<HeaderMap>): RequestDirectives {
  const cc = headers['cache-control'];
  // Pragma: no-cache is honoured only without Cache-Control (RFC 9111 §5.4, deprecated).
  if (cc === undefined) return headers.pragma !== undefined && /no-cache/i.test(String(headers.pragma)) ? { ...NO_REQUEST_DIRECTIVES, noCache: true } : NO_REQUEST_DIRECTIVES;
  const d = parseCacheControl(cc);
  if (d.size === 0) return NO_REQUEST_DIRECTIVES;
  const ms = d.get('max-stale');
  return {
    noCache: d.has('no-cache'),
    noStore: d.has('no-store'),
    maxAge: deltaSeconds(d, 'max-age'),
    maxStale: ms === undefined ? undefined : ms === true ? Infinity : deltaSeconds(d, 'max-stale'),
    minFresh: deltaSeconds(d, 'min-fresh'),
  };
}

/** The freshness facts of a stored response a hit decision needs. */
export interface Freshness {
  /** Seconds. */
  readonly lifetime: number;
  readonly initialAge: number;
  /** ms since the epoch. */
  readonly responseTime: number;
  /** Response no-cache: never used without validation. */
  readonly noCache: boolean;
  /** must-revalidate, proxy-revalidate or s-maxage: never served stale without validation. */
  readonly mustRevalidate: boolean;
  readonly staleWhileRevalidate: number;
  readonly staleIfError: number;
}

export type Verdict =
  | 'fresh'
  /** Stale, but the request accepts it (max-stale). */
  | 'stale-ok'
  /** Stale within stale-while-revalidate: serve it and refresh in the background. */
  | 'stale-while-revalidate'
  /** Must be validated (or fetched) before use: stale, response no-cache, or request directives. */
  | 'revalidate';

/** How a stored response may be used for a request (RFC 9111 §4.2, §5.2.1; RFC 5861 §3). */
export function verdict(f: Freshness, req: RequestDirectives, nowMs: number): { verdict: Verdict; age: number; ttl: number; byRequest: boolean } {
  const age = currentAge(f.initialAge, f.responseTime, nowMs);
  const ttl = f.lifetime - age;
  if (f.noCache || req.noCache) return { verdict: 'revalidate', age, ttl, byRequest: req.noCache && !f.noCache };
  if (req.maxAge !== undefined && age > req.maxAge) return { verdict: 'revalidate', age, ttl, byRequest: ttl > 0 };
  if (req.minFresh !== undefined && ttl < req.minFresh) return { verdict: 'revalidate', age, ttl, byRequest: ttl > 0 };
  if (ttl > 0) return { verdict: 'fresh', age, ttl, byRequest: false };
  if (f.mustRevalidate) return { verdict: 'revalidate', age, ttl, byRequest: false };
  if (req.maxStale !== undefined && -ttl <= req.maxStale) return { verdict: 'stale-ok', age, ttl, byRequest: false };
  if (-ttl < f.staleWhileRevalidate) return { verdict: 'stale-while-revalidate', age, ttl, byRequest: false };
  return { verdict: 'revalidate', age, ttl, byRequest: false };
}

/** Whether a stale entry may be served because the upstream failed (RFC 5861 §4). */
export function staleIfErrorAllows(f: Freshness, nowMs: number): boolean {
  if (f.mustRevalidate || f.noCache) return false;
  const age = currentAge(f.initialAge, f.responseTime, nowMs);
  return age - f.lifetime <= f.staleIfError && f.staleIfError > 0;
}

/** Weak comparison of entity tags (RFC 9110 §8.8.3.2): W/ prefixes are ignored. */
function weakTag(t: string): string {
  const s = t.trim();
  return s.startsWith('W/') ? s.slice(2) : s;
}

/**
 * Whether a client's conditional GET/HEAD is satisfied by the stored response (answer 304):
 * If-None-Match (weak comparison, `*`) first; If-Modified-Since only without it (RFC 9110 §13.2.2).
 */
export function notModified(reqHeaders: Readonly<HeaderMap>, etag: string | undefined, lastModified: string | undefined): boolean {
  const inm = reqHeaders['if-none-match'];
  if (inm !== undefined) {
    if (etag === undefined) return false;
    const text = Array.isArray(inm) ? inm.join(',') : inm;
    if (text.trim() === '*') return true;
    const mine = weakTag(etag);
    return text.split(',').some((t) => weakTag(t) === mine);
  }
  const ims = reqHeaders['if-modified-since'];
  if (ims === undefined || lastModified === undefined) return false;
  const since = httpDate(ims);
  const lm = Date.parse(lastModified);
  return !Number.isNaN(since) && !Number.isNaN(lm) && lm <= since;
}

/** Freshness facts of a response as received (with its parsed Cache-Control). */
export function freshnessOf(status: number, cc: Directives, headers: Readonly<HeaderMap>, heuristic: HeuristicSettings, requestTimeMs: number, responseTimeMs: number): Freshness {
  const date = httpDate(headers.date);
  const dateMs = Number.isNaN(date) ? responseTimeMs : date;
  return {
    lifetime: freshnessLifetime(status, cc, headers, heuristic, dateMs),
    initialAge: initialAge(headers, requestTimeMs, responseTimeMs, date),
    responseTime: responseTimeMs,
    noCache: cc.has('no-cache'),
    mustRevalidate: cc.has('must-revalidate') || cc.has('proxy-revalidate') || cc.has('s-maxage'),
    staleWhileRevalidate: deltaSeconds(cc, 'stale-while-revalidate') ?? 0,
    staleIfError: deltaSeconds(cc, 'stale-if-error') ?? 0,
  };
}
