// Where a token may be: request headers (Authorization with the Bearer scheme, or a custom
// header), query parameters, cookies. Finding reads what the client sent; hiding removes every
// place a token may be from the upstream request, not only the one used.
import { removeHeader, type HeaderValue, type RequestContext } from '../../core/pipeline/context.ts';
import { queryParam, withoutQueryParam } from '../shared/query.ts';

export interface TokenPlaces {
  /** Lower-case header names. */
  readonly headerNames: readonly string[];
  readonly queryNames: readonly string[];
  readonly cookieNames: readonly string[];
}

const first = (v: HeaderValue | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;

/**
 * The token in a header value. `Authorization` must use the Bearer scheme (any other scheme is
 * some other plugin's credential, not a token); a custom header may carry it bare or as Bearer.
 */
function fromHeader(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const bearer = BEARER.exec(value);
  if (bearer) return bearer[1];
  if (name === 'authorization') return undefined;
  const bare = value.trim();
  return bare === '' ? undefined : bare;
}

/** Cookie pairs of a Cookie header, in order (RFC 6265 §4.2.1; values may be quoted). */
function cookiePairs(header: string): { name: string; value: string; raw: string }[] {
  return header.split(';').map((raw) => {
    const eq = raw.indexOf('=');
    const name = (eq < 0 ? raw : raw.slice(0, eq)).trim();
    let value = eq < 0 ? '' : raw.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return { name, value, raw };
  });
}

const cookieHeader = (v: HeaderValue | undefined): string | undefined => (Array.isArray(v) ? v.join('; ') : v);

/** The first token found, looking in headers, then query parameters, then cookies. */
export function findToken(ctx: RequestContext, places: TokenPlaces): string | undefined {
  for (const name of places.headerNames) {
    const token = fromHeader(name, first(ctx.headers[name]));
    if (token !== undefined) return token;
  }
  for (const name of places.queryNames) {
    const v = queryParam(ctx.upstream.query, name);
    if (v !== undefined && v !== '') return v;
  }
  const cookies = cookieHeader(ctx.headers.cookie);
  if (places.cookieNames.length > 0 && cookies !== undefined) {
    const pairs = cookiePairs(cookies);
    for (const name of places.cookieNames) {
      const found = pairs.find((p) => p.name === name && p.value !== '');
      if (found) return found.value;
    }
  }
  return undefined;
}

/** Removes every place a token may be from the upstream request. */
export function hideToken(ctx: RequestContext, places: TokenPlaces): void {
  const headers = ctx.upstream.headers;
  for (const name of places.headerNames) {
    // Authorization with another scheme (Basic...) is not ours to remove.
    if (name === 'authorization' && fromHeader(name, first(headers[name])) === undefined) continue;
    removeHeader(headers, name);
  }
  for (const name of places.queryNames) ctx.upstream.query = withoutQueryParam(ctx.upstream.query, name);
  const cookies = cookieHeader(headers.cookie);
  if (places.cookieNames.length > 0 && cookies !== undefined) {
    const kept = cookiePairs(cookies).filter((p) => !places.cookieNames.includes(p.name)).map((p) => p.raw.trim()).filter((raw) => raw !== '');
    if (kept.length === 0) removeHeader(headers, 'cookie');
    else headers.cookie = kept.join('; ');
  }
}
