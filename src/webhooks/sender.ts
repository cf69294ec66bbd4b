// One webhook delivery attempt: a POST to the endpoint URL through the SSRF guard, with an overall
// timeout and a capped response read. Every failure is an outcome, never a throw, so the delivery
// worker records the attempt and schedules the retry without a try/catch of its own.
//
// One undici Agent is shared by all sends: keep-alive connections are reused per origin (they stay
// connected to the address the guard checked), and the worker's throughput is not spent on
// handshakes. Redirects are never followed: undici's dispatcher does not follow them unless a
// redirect interceptor is composed in, and none is.
import { Agent } from 'undici';
import { checkEndpointUrl, guardedConnector, type CompiledSsrfPolicy, type ResolveAll } from './ssrf.ts';

/** One attempt, as the delivery worker builds it (headers already signed). */
export interface WebhookRequest {
  readonly url: string;
  /** Sent as given; `content-type` defaults to application/json and `user-agent` to the sender's. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Covers connect, TLS, waiting for the response and reading its (capped) body. */
  readonly timeoutMs: number;
  /** Let a plain http: URL through (per endpoint); otherwise https: is required. */
  readonly allowHttp: boolean;
}

/** Why an attempt failed; see WebhookResponse.error. */
export type WebhookErrorCode = 'ssrf-blocked' | 'insecure-url' | 'invalid-url' | 'timeout' | 'dns' | 'connect' | 'tls' | 'response-too-large' | 'network';

/**
 * What happened. `ok` is the only success flag: true exactly when a 2xx status line arrived. An
 * `error` can accompany a 2xx (the body was larger than the cap, or stalled or broke after the
 * status): the receiver had already accepted the message, so the attempt still counts as delivered
 * and `error` only explains the missing rest of the excerpt.
 */
export interface WebhookResponse {
  readonly ok: boolean;
  /** Absent when no response arrived. */
  readonly status?: number;
  /** From the start of send() to the end of the body read or the failure, in (fractional) ms. */
  readonly latencyMs: number;
  /** The first excerptBytes of the response body as UTF-8 (lossy at the cut); '' if none. */
  readonly excerpt: string;
  /** Retry-After (delta-seconds or HTTP-date) in ms from now, on any status; never negative. */
  readonly retryAfterMs?: number;
  /** Why the attempt failed (or, with a 2xx, why the body was cut). Never contains request headers or the URL's path and query. */
  readonly error?: { readonly code: WebhookErrorCode; readonly message: string };
}

export interface WebhookSenderOptions {
  readonly policy: CompiledSsrfPolicy;
  /** Most response body bytes read before the connection is dropped (default 64 KiB). */
  readonly maxResponseBytes?: number;
  /** Bytes of the response body kept as the excerpt (default 1024). */
  readonly excerptBytes?: number;
  /** Most concurrent connections to one origin (default 32). */
  readonly connectionsPerOrigin?: number;
  /** Default `user-agent` (default `Portcullis-Webhooks/1`). */
  readonly userAgent?: string;
  /** TCP + TLS connect timeout in ms, within the request's own timeout (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Name resolution (default: the system resolver). Tests inject names that resolve to loopback. */
  readonly resolve?: ResolveAll;
}

/** Response body bytes read at most before the connection is dropped. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
/** Response body bytes kept for the attempt log. */
export const DEFAULT_EXCERPT_BYTES = 1024;
/** Concurrent connections per receiver origin. */
export const DEFAULT_CONNECTIONS_PER_ORIGIN = 32;
/** The `user-agent` unless the request sets one. */
export const DEFAULT_USER_AGENT = 'Portcullis-Webhooks/1';
const MAX_MESSAGE_CHARS = 200;
const MAX_TIMER_MS = 2 ** 31 - 1;

function positiveInteger(value: number | undefined, fallback: number, name: string, min = 1): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`WebhookSender: ${name} must be an integer ≥ ${min}, not ${value}`);
  return v;
}

/** Sends webhook attempts through one shared, SSRF-guarded connection pool. */
export class WebhookSender {
  readonly #agent: Agent;
  readonly #policy: CompiledSsrfPolicy;
  readonly #maxResponseBytes: number;
  readonly #excerptBytes: number;
  readonly #userAgent: string;

  constructor(opts: WebhookSenderOptions) {
    this.#policy = opts.policy;
    this.#maxResponseBytes = positiveInteger(opts.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES, 'maxResponseBytes');
    this.#excerptBytes = Math.min(positiveInteger(opts.excerptBytes, DEFAULT_EXCERPT_BYTES, 'excerptBytes', 0), this.#maxResponseBytes);
    this.#userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
    this.#agent = new Agent({
      connections: positiveInteger(opts.connectionsPerOrigin, DEFAULT_CONNECTIONS_PER_ORIGIN, 'connectionsPerOrigin'),
      connect: guardedConnector(opts.policy, { resolve: opts.resolve, connectTimeoutMs: positiveInteger(opts.connectTimeoutMs, 10_000, 'connectTimeoutMs') }),
      allowH2: false,
    });
  }

  /** One POST attempt. Never throws: every failure comes back as `error`. */
  async send(req: WebhookRequest): Promise<WebhookResponse> {
    const started = performance.now();
    const checked = checkEndpointUrl(req.url, { allowHttp: req.allowHttp, policy: this.#policy });
    if (!checked.ok) return { ok: false, latencyMs: performance.now() - started, excerpt: '', error: { code: checked.code, message: checked.reason } };
    const url = checked.url;

    // setTimeout fires at once for delays it cannot hold (NaN, > 2^31-1 ms); keep to its range.
    const timeoutMs = Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(req.timeoutMs) || 1));
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);

    let status: number | undefined;
    let retryAfterMs: number | undefined;
    const kept: Buffer[] = []; // the excerpt so far, kept even when the body read fails
    try {
      const res = await this.#agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers: this.#headers(req.headers),
        body: req.body,
        signal: controller.signal,
      });
      status = res.statusCode;
      retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      const ok = status >= 200 && status < 300;
      const tooLarge = await this.#readCapped(res.body, res.headers['content-length'], kept);
      const error = tooLarge ? { code: 'response-too-large' as const, message: `response body larger than ${this.#maxResponseBytes} bytes; stopped reading` } : undefined;
      return { ok, status, latencyMs: performance.now() - started, excerpt: utf8(kept), retryAfterMs, error };
    } catch (err) {
      const error = timedOut ? timeoutError(timeoutMs, status !== undefined) : describeFailure(err, url.host);
      const ok = status !== undefined && status >= 200 && status < 300;
      return { ok, status, latencyMs: performance.now() - started, excerpt: utf8(kept), retryAfterMs, error };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for in-flight sends, then closes every connection. */
  close(): Promise<void> {
    return this.#agent.close();
  }

  /** Flat [name, value, ...] list (cheaper than an object for undici), with our defaults added. */
  #headers(given: Readonly<Record<string, string>>): string[] {
    const out: string[] = [];
    let contentType = false;
    let userAgent = false;
    for (const name in given) {
      const lower = name.toLowerCase();
      if (lower === 'content-type') contentType = true;
      else if (lower === 'user-agent') userAgent = true;
      out.push(name, given[name]!);
    }
    if (!contentType) out.push('content-type', 'application/json');
    if (!userAgent) out.push('user-agent', this.#userAgent);
    return out;
  }

  /**
   * Reads the body to its end (so the connection goes back to the pool) unless it passes
   * maxResponseBytes, keeping the first excerptBytes in `kept`. Past the cap, or as soon as the
   * excerpt is full when Content-Length already says too much, the body is destroyed (which drops
   * the connection). Returns whether the body was too large.
   */
  async #readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, contentLength: string | string[] | undefined, kept: Buffer[]): Promise<boolean> {
    const max = this.#maxResponseBytes;
    const want = this.#excerptBytes;
    let tooLarge = typeof contentLength === 'string' && Number(contentLength) > max;
    if (tooLarge && want === 0) {
      body.destroy();
      return true;
    }
    let keptBytes = 0;
    let total = 0;
    for await (const chunk of body) {
      total += chunk.byteLength;
      if (keptBytes < want) {
        const part = chunk.byteLength <= want - keptBytes ? chunk : chunk.subarray(0, want - keptBytes);
        kept.push(part);
        keptBytes += part.byteLength;
      }
      if (total > max) tooLarge = true;
      if (tooLarge && keptBytes >= want) break; // leaving the loop destroys the stream
    }
    return tooLarge;
  }
}

function utf8(parts: readonly Buffer[]): string {
  if (parts.length === 0) return '';
  return (parts.length === 1 ? parts[0]! : Buffer.concat(parts)).toString('utf8');
}

/**
 * Retry-After as ms from `now`: delta-seconds (`120`) or an HTTP-date; undefined when absent or
 * unreadable, 0 for a date in the past. Capping it is the retry schedule's business.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  // An HTTP-date starts with the day name (IMF-fixdate, RFC 850 and asctime forms alike); this keeps
  // Date.parse's leniency from turning stray text into a date.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function timeoutError(timeoutMs: number, gotStatus: boolean): WebhookResponse['error'] {
  return { code: 'timeout', message: gotStatus ? `response body not complete within ${timeoutMs} ms` : `no response within ${timeoutMs} ms` };
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME', 'ENODATA', 'ESERVFAIL', 'ETIMEOUT']);
const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL', 'EADDRINUSE']);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
// OpenSSL certificate verification failures surface with their X509 names as the code.
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|EPROTO$)|CERT|_SIGNATURE|ISSUER|CRL/;

interface ErrorLike {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly name?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
  readonly reason?: unknown;
}

/** The first error code on the error, its cause, or (for "every address failed") its first member. */
function errorCode(err: ErrorLike): string | undefined {
  if (typeof err.code === 'string') return err.code;
  if (Array.isArray(err.errors) && typeof (err.errors[0] as ErrorLike | undefined)?.code === 'string') return (err.errors[0] as ErrorLike).code as string;
  if (err.cause && typeof err.cause === 'object') return errorCode(err.cause as ErrorLike);
  return undefined;
}

function clip(text: string): string {
  return text.length <= MAX_MESSAGE_CHARS ? text : `${text.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

/**
 * A transport failure as a code and a message for the attempt log. Messages are built from the
 * error code, the host and (for the errors whose text is about the connection, never the request)
 * the library's own message: request headers carry signatures and the URL path may carry tokens,
 * so neither is ever echoed.
 */
export function describeFailure(err: unknown, host: string): NonNullable<WebhookResponse['error']> {
  const e: ErrorLike = err !== null && typeof err === 'object' ? err as ErrorLike : {};
  const code = errorCode(e);
  const text = typeof e.message === 'string' ? e.message : '';
  if (code === 'ESSRFBLOCKED') return { code: 'ssrf-blocked', message: clip(text) };
  if (code !== undefined && TIMEOUT_CODES.has(code)) return { code: 'timeout', message: `${host}: ${code}` };
  if (code !== undefined && DNS_CODES.has(code)) return { code: 'dns', message: `cannot resolve ${host} (${code})` };
  if (code !== undefined && CONNECT_CODES.has(code)) return { code: 'connect', message: `cannot connect to ${host} (${code})` };
  // OpenSSL's own message carries its internal source path, its `reason` is the readable part;
  // Node appends hints for developers after a ';' (e.g. "try --use-system-ca").
  if (code !== undefined && TLS_CODE.test(code)) return { code: 'tls', message: clip(`TLS with ${host} failed (${code}): ${typeof e.reason === 'string' ? e.reason : text.split(';')[0]}`) };
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') return { code: 'network', message: clip(`connection to ${host} failed (${code}): ${text}`) };
  if (code === 'UND_ERR_INVALID_ARG') return { code: 'network', message: `request to ${host} not sent: the HTTP client refused it as invalid (${code})` };
  // Anything else (a closed sender...): name it, don't quote it.
  const name = typeof e.name === 'string' ? e.name : 'Error';
  return { code: 'network', message: `request to ${host} failed (${code ?? name})` };
}
