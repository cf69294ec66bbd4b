// Header rules for both directions of the proxy (RFC 9110 §7.6.1, §7.6.3).
import { CONSUMER_IDENTITY_HEADERS } from '../core/identity/headers.ts';
import { removeHeader, type HeaderMap } from '../core/pipeline/context.ts';

/** Hop-by-hop fields, plus ones undici refuses to forward or that name this connection only. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'proxy-authorization', 'proxy-authenticate', 'expect', 'http2-settings',
]);

/**
 * What a client's request headers lose on the way upstream (one lookup per header): hop-by-hop
 * fields, and the consumer identity headers, on every route, so an upstream that trusts them
 * cannot be fooled through a route without authentication.
 */
const NOT_FORWARDED = new Set<string>([...HOP_BY_HOP, ...CONSUMER_IDENTITY_HEADERS]);

export const VIA = '1.1 portcullis';

/**
 * The upstream response headers as a flat [name, value, ...] list for writeHead, without
 * hop-by-hop fields and those the Connection header names, plus Via and X-Request-Id.
 */
export function responseHeaderList(headers: Readonly<HeaderMap>, requestId: string): string[] {
  const connection = headers.connection;
  // "keep-alive" and "close" (nearly every response) name nothing beyond the hop-by-hop set.
  const named = connection === undefined || connection === 'keep-alive' || connection === 'close' ? undefined : connectionTokens(connection);
  const out: string[] = [];
  let via: string | undefined;
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || named?.includes(name) || name === 'x-request-id') continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (name === 'via') { via = Array.isArray(value) ? value.join(', ') : value; continue; }
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  out.push('via', via === undefined ? VIA : `${via}, ${VIA}`, 'x-request-id', requestId);
  return out;
}

/** A header map as a flat [name, value, ...] list for writeHead; removed (undefined) fields are left out. */
export function headerList(headers: Readonly<HeaderMap>): string[] {
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  return out;
}

/** A flat [name, value, ...] list as a header map (repeated names become arrays), for plugins. */
export function headerMapFromList(list: readonly string[]): HeaderMap {
  const map: HeaderMap = {};
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    const value = list[i + 1]!;
    const prev = map[name];
    map[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return map;
}

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
  if (connection !== undefined) for (const name of connectionTokens(connection)) removeHeader(headers, name);
  // Walk the (few) headers present rather than the (eleven) names that might be.
  for (const name in headers) if (HOP_BY_HOP.has(name)) removeHeader(headers, name);
}

/** Copies request headers for the upstream (a shallow copy: plugins edit the copy). */
export function upstreamHeaders(incoming: Readonly<HeaderMap>): HeaderMap {
  const out: HeaderMap = {};
  for (const name in incoming) if (!NOT_FORWARDED.has(name)) out[name] = incoming[name];
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

/** RFC 7239 §4: a value is a token, or else a quoted string. */
const FORWARDED_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function forwardedValue(value: string): string {
  return FORWARDED_TOKEN.test(value) ? value : `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * This hop's element of the Forwarded field (RFC 7239): who connected (`for`, an IPv6 address in
 * brackets, "unknown" when the socket no longer says), over what (`proto`) and for which `host`.
 */
export function forwardedElement(peerAddress: string, proto: 'http' | 'https', host: string | undefined): string {
  const node = peerAddress === '' ? 'unknown' : peerAddress.includes(':') ? `"[${peerAddress}]"` : peerAddress;
  return host === undefined || host === '' ? `for=${node};proto=${proto}` : `for=${node};proto=${proto};host=${forwardedValue(host)}`;
}

/** Where the client reached the gateway, for addForwardingHeaders. */
export interface ForwardingPeer {
  /** The address of the peer that connected ("" when unknown). */
  readonly address: string;
  /** The gateway's port the peer connected to. */
  readonly localPort: number | undefined;
  readonly tls: boolean;
  /** The peer is a trusted proxy: the forwarding fields it set are believed. */
  readonly trusted: boolean;
}

/**
 * The forwarding fields of a request about to go upstream (Forwarded, the de-facto X-Forwarded-*
 * family, Via, the request id). From a trusted proxy, the X-Forwarded-Proto/-Host/-Port/-Prefix it
 * set are kept and this hop is appended to its Forwarded; from anyone else they are replaced (a
 * client could otherwise tell the upstream it came over https, for another host, from another
 * address). X-Forwarded-For is appended to in both cases, as proxies do: which of its entries to
 * believe is the reader's choice (trusted_proxies here). `strippedPrefix`: the part of the path
 * the route stripped ("" when none), which is where the client sees the API.
 */
export function addForwardingHeaders(headers: HeaderMap, peer: ForwardingPeer, host: string | undefined, strippedPrefix: string, requestId: string): void {
  const trusted = peer.trusted;
  const proto = peer.tls ? 'https' : 'http';
  appendHeader(headers, 'x-forwarded-for', peer.address);
  const element = forwardedElement(peer.address, proto, host);
  if (trusted) appendHeader(headers, 'forwarded', element);
  else headers.forwarded = element;
  if (!trusted || headers['x-forwarded-proto'] === undefined) headers['x-forwarded-proto'] = proto;
  if (!trusted || headers['x-forwarded-host'] === undefined) headers['x-forwarded-host'] = host;
  if (peer.localPort !== undefined && (!trusted || headers['x-forwarded-port'] === undefined)) headers['x-forwarded-port'] = String(peer.localPort);
  else if (!trusted) removeHeader(headers, 'x-forwarded-port');
  if (strippedPrefix !== '' && (!trusted || headers['x-forwarded-prefix'] === undefined)) headers['x-forwarded-prefix'] = strippedPrefix;
  else if (!trusted) removeHeader(headers, 'x-forwarded-prefix');
  appendHeader(headers, 'via', VIA);
  headers['x-request-id'] = requestId;
}
