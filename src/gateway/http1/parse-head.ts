// A strict HTTP/1.1 request-head parser for the fast lane. It never answers errors: it says
// `request` only when it is certain that node:http (llhttp, strict mode, joinDuplicateHeaders)
// would parse the very same bytes into the very same request, `incomplete` while more bytes may
// still make it such a request, and `handoff` for everything else, so that node:http sees the
// exact bytes and answers as it always has (400, 431, bodies, upgrades, smuggling refusals…).
// Being stricter than llhttp is always safe; being looser never is.

export interface HeadLimits { readonly maxHeaderBytes: number; readonly maxHeaders: number }

export interface ParsedHead {
  readonly method: string;
  /** The request-target as sent (origin-form only). */
  readonly url: string;
  /** Lower-cased names; duplicates joined as node:http does (", ", but "; " for cookie). */
  readonly headers: Record<string, string>;
  /** [name, value, …] as sent: name case kept, value without surrounding OWS (as node). */
  readonly rawHeaders: string[];
  /** False when a Connection header lists "close". */
  readonly keepAlive: boolean;
  /** Offset in `buf` just past the CRLFCRLF: where a pipelined next request starts. */
  readonly headEnd: number;
}

export type HeadResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'handoff' }
  | ({ readonly kind: 'request' } & ParsedHead);

const INCOMPLETE: HeadResult = Object.freeze({ kind: 'incomplete' });
const HANDOFF: HeadResult = Object.freeze({ kind: 'handoff' });

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const COMMA = 0x2c;
const SLASH = 0x2f;
const HASH = 0x23;

/** RFC 9110 tchar: "!#$%&'*+-.^_`|~", digits, letters. */
const TCHAR = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;
for (const ch of "!#$%&'*+-.^_`|~") TCHAR[ch.charCodeAt(0)] = 1;

/** Field-value bytes we accept: HTAB, SP, VCHAR. No obs-text, no CTL (NUL, bare CR/LF, DEL). */
const VALUE_CHAR = new Uint8Array(256);
VALUE_CHAR[HTAB] = 1;
for (let c = 0x20; c <= 0x7e; c++) VALUE_CHAR[c] = 1;

/** Request-target bytes: VCHAR except '#' (a fragment never belongs on the wire). */
const TARGET_CHAR = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) TARGET_CHAR[c] = 1;
TARGET_CHAR[HASH] = 0;

// The methods of requests that have no body unless framing headers say so (and those we refuse).
const METHODS = ['GET', 'HEAD', 'DELETE', 'OPTIONS'] as const;
const METHOD_BYTES = METHODS.map((m) => Buffer.from(m, 'latin1'));
const VERSION_CRLF = Buffer.from('HTTP/1.1\r\n', 'latin1');

/**
 * Header names that rule a request out of the fast lane: message framing and bodies
 * (content-length, transfer-encoding, expect, te, trailer), protocol switches (upgrade,
 * http2-settings), llhttp's second connection header (proxy-connection counts as connection
 * there), set-cookie (node makes it an array) and __proto__ (node's plain-object header map drops it).
 */
const REFUSED_NAMES = new Set([
  'content-length', 'transfer-encoding', 'expect', 'te', 'trailer',
  'upgrade', 'http2-settings', 'proxy-connection', 'set-cookie', '__proto__',
]);

const CONNECTION_OK = 0;
const CONNECTION_CLOSE = 1;
const CONNECTION_REFUSED = 2;

const isOws = (c: number) => c === SP || c === HTAB;

/**
 * Reads a Connection value as a strict token list (`token *( OWS "," OWS token )`). Returns
 * CONNECTION_REFUSED for anything else or for an `upgrade` token, CONNECTION_CLOSE when a
 * `close` token is listed, otherwise ok. Case-insensitive, as llhttp.
 */
function connectionVerdict(value: string): number {
  let verdict = CONNECTION_OK;
  let i = 0;
  const n = value.length;
  if (n === 0) return CONNECTION_REFUSED;
  for (;;) {
    const tokenStart = i;
    while (i < n && TCHAR[value.charCodeAt(i)] === 1) i++;
    if (i === tokenStart) return CONNECTION_REFUSED;
    const token = value.slice(tokenStart, i).toLowerCase();
    if (token === 'close') verdict = CONNECTION_CLOSE;
    else if (token === 'upgrade') return CONNECTION_REFUSED;
    while (i < n && isOws(value.charCodeAt(i))) i++;
    if (i === n) return verdict;
    if (value.charCodeAt(i) !== COMMA) return CONNECTION_REFUSED;
    i++;
    while (i < n && isOws(value.charCodeAt(i))) i++;
  }
}

/**
 * Parses the request head in `buf` from `start`. Pure and synchronous; allocates the result's
 * strings, array and object (plus the lower-cased tokens of a Connection header), nothing else.
 * `headEnd` is an offset in `buf` (not relative to `start`).
 */
export function parseRequestHead(buf: Buffer, start: number, limits: HeadLimits): HeadResult {
  // Only the first maxHeaderBytes bytes can belong to an accepted head; if the head does not end
  // inside them, node:http decides (it answers 431 when its own count overflows).
  const available = buf.length - start;
  const truncated = available >= limits.maxHeaderBytes;
  const end = truncated ? start + limits.maxHeaderBytes : buf.length;
  const outOfBytes = truncated ? HANDOFF : INCOMPLETE;

  // ── request-line: METHOD SP origin-form SP HTTP/1.1 CRLF ──
  let p = start;
  // Method: must be one of METHODS followed by exactly one SP. A leading CRLF (RFC 9112 §2.2
  // allows servers to skip it) hands off: it is no "simplest request".
  let method: string | undefined;
  for (let m = 0; m < METHOD_BYTES.length; m++) {
    const mb = METHOD_BYTES[m]!;
    let k = 0;
    while (k < mb.length && p + k < end && buf[p + k] === mb[k]) k++;
    if (p + k === end) {
      // Ran out of bytes while still matching this method (or just at its end): a prefix.
      return outOfBytes;
    }
    if (k === mb.length && buf[p + k] === SP) {
      method = METHODS[m];
      p += k + 1;
      break;
    }
  }
  if (method === undefined) return HANDOFF;

  // Request-target: origin-form, i.e. starts with '/'.
  if (p === end) return outOfBytes;
  if (buf[p] !== SLASH) return HANDOFF;
  const urlStart = p;
  while (p < end && TARGET_CHAR[buf[p]!] === 1) p++;
  if (p === end) return outOfBytes;
  if (buf[p] !== SP) return HANDOFF;
  const urlEnd = p;
  p++;

  for (let k = 0; k < VERSION_CRLF.length; k++, p++) {
    if (p === end) return outOfBytes;
    if (buf[p] !== VERSION_CRLF[k]) return HANDOFF;
  }

  // ── header fields: name ":" OWS value OWS CRLF, then the empty line ──
  const rawHeaders: string[] = [];
  // Joined as node's IncomingMessage._addHeaderLine does with joinDuplicateHeaders: a plain
  // object; "; " for cookie, ", " for every other name (set-cookie and __proto__ are refused
  // below). `typeof … === 'string'` matters: names like "constructor" exist on the prototype.
  const headers: Record<string, string> = {};
  let fields = 0;
  let hosts = 0;
  let keepAlive = true;
  for (;;) {
    if (p === end) return outOfBytes;
    const first = buf[p]!;
    if (first === CR) {
      if (p + 1 === end) return outOfBytes;
      if (buf[p + 1] !== LF) return HANDOFF;
      p += 2;
      break;
    }
    // A line opening with SP/HTAB is obs-fold (or whitespace before a name): never ours.
    if (fields === limits.maxHeaders) return HANDOFF;

    const nameStart = p;
    while (p < end && TCHAR[buf[p]!] === 1) p++;
    if (p === end) return outOfBytes;
    if (p === nameStart || buf[p] !== COLON) return HANDOFF;
    // Decided as soon as the name is complete: a refused name hands off without waiting.
    const name = buf.toString('latin1', nameStart, p);
    const lower = name.toLowerCase();
    if (REFUSED_NAMES.has(lower)) return HANDOFF;
    const isHost = lower === 'host';
    if (isHost && ++hosts > 1) return HANDOFF;
    p++;

    while (p < end && isOws(buf[p]!)) p++;
    const valueStart = p;
    let valueEnd = p; // just past the last non-OWS byte
    while (p < end) {
      const c = buf[p]!;
      if (VALUE_CHAR[c] !== 1) break;
      p++;
      if (!isOws(c)) valueEnd = p;
    }
    if (p === end) return outOfBytes;
    if (buf[p] !== CR) return HANDOFF; // CTL, bare LF, obs-text
    if (p + 1 === end) return outOfBytes;
    if (buf[p + 1] !== LF) return HANDOFF; // bare CR
    p += 2;

    const value = buf.toString('latin1', valueStart, valueEnd);
    if (isHost) {
      // A comma is how two joined Host fields look to the gateway (edge-checks.ts refuses it).
      if (value.length === 0 || value.includes(',')) return HANDOFF;
    } else if (lower === 'connection') {
      const verdict = connectionVerdict(value);
      if (verdict === CONNECTION_REFUSED) return HANDOFF;
      if (verdict === CONNECTION_CLOSE) keepAlive = false;
    }
    rawHeaders.push(name, value);
    const existing = headers[lower];
    headers[lower] = typeof existing === 'string' ? existing + (lower === 'cookie' ? '; ' : ', ') + value : value;
    fields++;
  }
  if (hosts !== 1) return HANDOFF;
  // After a request with "Connection: close", llhttp (strict) refuses any further byte on the
  // connection (node answers 400 and may never answer this request): bytes already here → node.
  if (!keepAlive && p < buf.length) return HANDOFF;

  return {
    kind: 'request',
    method,
    url: buf.toString('latin1', urlStart, urlEnd),
    headers,
    rawHeaders,
    keepAlive,
    headEnd: p,
  };
}
