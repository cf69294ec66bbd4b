// The upstream half of a WebSocket handshake: the gateway connects to the chosen target first,
// with the client's subprotocols and the forwarding headers, and only completes the client's
// handshake once the upstream has accepted (so a refusal is still an HTTP answer to the client).
import WebSocket from 'ws';
import type { ErrorCode } from '../../core/errors/registry.ts';
import type { HeaderMap } from '../../core/pipeline/context.ts';

export interface UpstreamHandshake {
  /** ws:// or wss:// URL: the target's origin plus the upstream path and query. */
  readonly url: string;
  readonly protocols: readonly string[];
  readonly headers: HeaderMap;
  /** From the start of the TCP connect to the upstream's 101 (ws's handshake timer). */
  readonly timeoutMs: number;
  readonly maxPayload: number;
}

export type HandshakeResult =
  | { readonly ok: true; readonly socket: WebSocket }
  /** `retryable`: nothing reached the upstream application (the connection itself failed). */
  | { readonly ok: false; readonly problem: ErrorCode; readonly kind: string; readonly retryable: boolean };

/** Request fields the ws client writes itself, or that describe the client's own connection. */
const HANDSHAKE_FIELDS = new Set(['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol', 'sec-websocket-accept', 'upgrade', 'connection', 'content-length', 'transfer-encoding']);

/** RFC 6455 §4.1: each subprotocol is an HTTP token. */
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`|a-z~]+$/;

/** The client's offered subprotocols (Sec-WebSocket-Protocol, possibly repeated); undefined when one is not a token or repeats. */
export function offeredProtocols(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const v of Array.isArray(value) ? value : [value]) {
    for (const p of v.split(',')) {
      const t = p.trim();
      if (!TOKEN.test(t) || out.includes(t)) return undefined;
      out.push(t);
    }
  }
  return out;
}

/** http://host:port → ws://host:port (and https → wss). */
export function webSocketOrigin(httpOrigin: string): string {
  return httpOrigin.startsWith('https:') ? 'wss:' + httpOrigin.slice(6) : 'ws:' + httpOrigin.slice(5);
}

/**
 * Opens the upstream connection; `done` is called exactly once (unless the returned socket is
 * terminated first, e.g. because the client went away).
 */
export function openUpstream(h: UpstreamHandshake, done: (result: HandshakeResult) => void): WebSocket {
  const headers: Record<string, string | string[]> = {};
  for (const name in h.headers) {
    const value = h.headers[name];
    if (value !== undefined && !HANDSHAKE_FIELDS.has(name)) headers[name] = value;
  }
  let settled = false;
  const settle = (r: HandshakeResult) => {
    if (settled) return;
    settled = true;
    done(r);
  };
  const ws = new WebSocket(h.url, h.protocols as string[], {
    headers,
    handshakeTimeout: h.timeoutMs,
    perMessageDeflate: false,
    maxPayload: h.maxPayload,
    followRedirects: false,
    // An upstream's pings are answered here (keep-alive is per hop), never relayed.
    autoPong: true,
  });
  ws.once('open', () => settle({ ok: true, socket: ws }));
  // Any answer but 101 (the upstream refused the upgrade): never passed through as such, because
  // its body may describe the upstream's internals; the client gets a 502 problem.
  ws.once('unexpected-response', (req, res) => {
    res.resume();
    req.destroy();
    settle({ ok: false, problem: 'upstream-bad-response', kind: `status-${res.statusCode ?? 0}`, retryable: false });
  });
  ws.on('error', (err: NodeJS.ErrnoException) => settle(classify(err)));
  return ws;
}

function classify(err: NodeJS.ErrnoException): HandshakeResult {
  if (err.message === 'Opening handshake has timed out') return { ok: false, problem: 'upstream-timeout', kind: 'timeout', retryable: false };
  switch (err.code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { ok: false, problem: 'upstream-unavailable', kind: 'connect', retryable: true };
    case 'ECONNRESET':
    case 'EPIPE':
      return { ok: false, problem: 'upstream-unavailable', kind: 'reset', retryable: false };
    default:
      // A 101 that breaks the protocol: bad Sec-WebSocket-Accept, a subprotocol or extension the
      // client did not offer.
      return { ok: false, problem: 'upstream-bad-response', kind: 'handshake', retryable: false };
  }
}
