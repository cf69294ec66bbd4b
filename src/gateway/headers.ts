// Header rules for both directions of the proxy (RFC 9110 §7.6.1, §7.6.3).
import type { HeaderMap } from '../core/pipeline/context.ts';

/** Hop-by-hop fields, plus ones undici refuses to forward or that name this connection only. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'proxy-authorization', 'proxy-authenticate', 'expect', 'http2-settings',
]);

export const VIA = '1.1 portcullis';

/** Names listed in a Connection header value ("close, X-Foo" → ["close", "x-foo"]). */
function connectionTokens(connection: string | string[]): string[] {
  const out: string[] = [];
  for (const value of Array.isArray(connection) ? connection : [connection]) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name) out.push(name);
    }
  }
  return out;
}

/** Removes hop-by-hop fields and any field the Connection header names. Mutates `headers`. */
export function stripHopByHop(headers: HeaderMap): void {
  const connection = headers.connection;
  if (connection !== undefined) for (const name of connectionTokens(connection)) delete headers[name];
  // Walk the (few) headers present rather than the (eleven) names that might be.
  for (const name in headers) if (HOP_BY_HOP.has(name)) delete headers[name];
}

/** Copies request headers for the upstream (a shallow copy: plugins edit the copy). */
export function upstreamHeaders(incoming: Readonly<HeaderMap>): HeaderMap {
  const out: HeaderMap = {};
  for (const name in incoming) if (!HOP_BY_HOP.has(name)) out[name] = incoming[name];
  const connection = incoming.connection;
  if (connection !== undefined) for (const name of connectionTokens(connection)) delete out[name];
  return out;
}

export function appendHeader(headers: HeaderMap, name: string, value: string): void {
  const v = headers[name];
  headers[name] = v === undefined ? value : `${Array.isArray(v) ? v.join(', ') : v}, ${value}`;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export function acceptableRequestId(value: string | string[] | undefined): value is string {
  return typeof value === 'string' && REQUEST_ID.test(value);
}
