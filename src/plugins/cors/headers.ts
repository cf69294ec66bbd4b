// Header-level helpers of the CORS protocol: reading the preflight's request headers, merging
// Vary, and clearing the CORS headers an upstream sent.
import { removeHeader, type HeaderMap, type HeaderValue } from '../../core/pipeline/context.ts';

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** A request header as one string; repeated fields are joined as HTTP allows (RFC 9110 §5.3). */
export function single(value: HeaderValue | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

export function isToken(text: string): boolean {
  return TOKEN.test(text);
}

/**
 * Parses Access-Control-Request-Headers: comma-separated names, optional whitespace around
 * them, any case, possibly repeated or empty items. Returns the lower-cased names without
 * duplicates, or undefined if an item is not a header name (the preflight is then refused).
 */
export function parseHeaderNameList(value: HeaderValue | undefined): Set<string> | undefined {
  const names = new Set<string>();
  const text = single(value);
  if (text === undefined) return names;
  for (const item of text.split(',')) {
    const name = item.trim();
    if (name === '') continue;
    if (!isToken(name)) return undefined;
    names.add(name.toLowerCase());
  }
  return names;
}

/**
 * Adds names to Vary, keeping what the upstream listed (as one field) and not repeating a name
 * it already has. "Vary: *" already covers everything and is left alone.
 */
export function appendVary(headers: HeaderMap, names: readonly string[]): void {
  const current = single(headers.vary);
  const present = new Set<string>();
  const kept: string[] = [];
  for (const item of current?.split(',') ?? []) {
    const name = item.trim();
    if (name === '') continue;
    if (name === '*') return;
    present.add(name.toLowerCase());
    kept.push(name);
  }
  for (const name of names) {
    if (present.has(name.toLowerCase())) continue;
    present.add(name.toLowerCase());
    kept.push(name);
  }
  headers.vary = kept.join(', ');
}

/**
 * Removes every Access-Control-* field from an upstream response: the gateway's policy is the
 * only one, so a misconfigured upstream cannot widen it (nor leave stale values beside ours).
 */
export function removeCorsHeaders(headers: HeaderMap): void {
  for (const name in headers) if (name.startsWith('access-control-')) removeHeader(headers, name);
}
