// What a plugin sees of a request: a narrow, stable view, never node:http objects or the store.
import type { ErrorCode } from '../errors/registry.ts';
import type { IdentityDirectory } from '../identity/directory.ts';
import type { UpstreamGuard } from './upstream-guard.ts';

export type HeaderValue = string | string[];
export type HeaderMap = Record<string, HeaderValue | undefined>;

/**
 * Removes a field from a header map the gateway forwards (the request going upstream, or the
 * upstream's response). It is set to undefined rather than deleted: a `delete` turns the object
 * into a slow dictionary for the rest of the request, which cost more than the whole of an auth
 * plugin's work. Both serialisers skip undefined values (undici's, and responseHeaderList).
 */
export function removeHeader(headers: HeaderMap, name: string): void {
  if (headers[name] !== undefined) headers[name] = undefined;
}

/** Adds an item to a list-valued answer field (RFC 9110 §5.3: one comma-separated list). */
export function appendAnswerField(ctx: RequestContext, name: string, item: string): void {
  const fields = (ctx.answerHeaders ??= {});
  const current = fields[name];
  fields[name] = current === undefined || current === '' ? item : `${current}, ${item}`;
}

/** Logger surface available to plugins (pino-compatible). */
export interface PluginLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface Consumer {
  readonly id: string;
  readonly username?: string;
  readonly customId?: string;
  readonly groups?: readonly string[];
}

/** The request as forwarded upstream; plugins in `access` and `upstream-request` edit it. */
export interface UpstreamRequest {
  /** Path sent upstream, after strip_path and the service path prefix. */
  path: string;
  /** Query string sent upstream, with its leading "?" (or ""). */
  query: string;
  /** Header names are lower-case. Hop-by-hop headers are removed after plugins run. */
  headers: HeaderMap;
  /** Request body limit in bytes (0 = none); starts at the gateway default, plugins may set it. */
  maxBodyBytes: number;
  /**
   * Set by an access plugin that steers target choice and counts attempt outcomes (the
   * circuit breaker); the gateway consults it on every attempt. Undefined on most routes.
   */
  guard: UpstreamGuard | undefined;
}

export interface ResponseView {
  status: number;
  /** Header names are lower-case. */
  headers: HeaderMap;
  /**
   * Set by an `upstream-response` handler that wants THIS response's body as the client receives
   * it (after any `response-body` rewrite), without making the route buffer every response: the
   * body still streams to the client; a copy is kept up to `limit` bytes.
   */
  bodyTap?: BodyTap | undefined;
}

/** A per-request request for the response body (see ResponseView.bodyTap). */
export interface BodyTap {
  /** Largest body wanted; a longer one streams on and the tap is abandoned. */
  readonly limit: number;
  /** The whole body, once the upstream has sent all of it. */
  complete(body: Buffer): void;
  /** The body will not arrive whole: too long, upstream or client failure. Called at most once, never after complete. */
  abandoned(): void;
}

/** A response fetched from the route's upstream outside the client's exchange. */
export interface SideResponse {
  readonly status: number;
  /** Lower-case names, hop-by-hop fields removed (as `ctx.response.headers`). */
  readonly headers: HeaderMap;
  readonly body: Buffer;
}

/**
 * Sends a GET for this request's upstream target (path, query and headers as `ctx.upstream` has
 * them now, `headers` replacing them) to the route's service, outside the client's exchange: for
 * work that must outlive or precede it (a background cache refresh). One attempt, the service's
 * timeouts, a healthy target; rejects on failure or when the body exceeds `maxBodyBytes`.
 */
export type UpstreamFetch = (ctx: RequestContext, headers: HeaderMap, maxBodyBytes: number) => Promise<SideResponse>;

/** Why the upstream could not answer (the `upstream-error` hook's argument). */
export interface UpstreamFailureView {
  /** connect, reset, timeout, no-healthy-upstream, ... */
  readonly kind: string;
  /** The problem the gateway will answer unless a hook answers instead. */
  readonly problem: ErrorCode;
}

export interface RequestContext {
  readonly id: string;
  readonly method: string;
  /** Normalised request path; a global `rewrite` plugin may change it before routing. */
  path: string;
  /** Raw query string with its "?" (or ""). */
  readonly query: string;
  /** Request headers as received (lower-case names). Read-only: edit `upstream.headers` instead. */
  readonly headers: Readonly<HeaderMap>;
  readonly clientIp: string;
  /** Milliseconds since the epoch when the request arrived. */
  readonly receivedAt: number;
  readonly routeName: string | undefined;
  readonly serviceName: string | undefined;
  /** Path template parameters of the matched route. */
  readonly params: Readonly<Record<string, string>>;
  consumer: Consumer | undefined;
  /** Id of the credential that authenticated the consumer, if one did. */
  credentialId?: string;
  /** The consumer is an `anonymous` fallback, not one a credential identified. */
  anonymous?: boolean;
  /** Consumers and credentials of the snapshot, for authentication plugins. */
  readonly identities: IdentityDirectory;
  readonly upstream: UpstreamRequest;
  /** Set once upstream response headers (or a plugin's response) exist. */
  response: ResponseView | undefined;
  /** Background requests to the route's upstream (absent outside a gateway, e.g. unit tests). */
  readonly upstreamFetch?: UpstreamFetch | undefined;
  /**
   * The buffered request body, when a plugin of the route asked for it (`requestBodyLimit`):
   * set before that plugin's access step runs, and forwarded upstream as these exact bytes.
   * Undefined when no plugin asked, or the request has no body.
   */
  requestBody: Buffer | undefined;
  /**
   * Fields every answer to this request carries, whoever makes it: the upstream's response, a
   * plugin's answer (a cache hit, a 429) or the gateway's own error. Access plugins add to it with
   * appendAnswerField (e.g. the RateLimit fields); undefined until one does.
   */
  answerHeaders: Record<string, string> | undefined;
  /** Scratch space shared by the plugins of this request. */
  readonly vars: Record<string, unknown>;
  readonly log: PluginLogger;
}

/** What a request context is made from; everything else starts empty. */
export interface RequestStart {
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<HeaderMap>;
  readonly clientIp: string;
  readonly receivedAt: number;
  readonly identities: IdentityDirectory;
  readonly upstream: UpstreamRequest;
  readonly upstreamFetch: UpstreamFetch | undefined;
  readonly log: PluginLogger;
}

/**
 * A new request's context. Every field is present from the start, in one order, so all contexts
 * share one object shape (no V8 shape transitions as plugins fill them in); the gateway, plugin
 * tests and the micro benchmark all build them here.
 */
export function newRequestContext(s: RequestStart): RequestContext {
  return {
    id: s.id,
    method: s.method,
    path: s.path,
    query: s.query,
    headers: s.headers,
    clientIp: s.clientIp,
    receivedAt: s.receivedAt,
    routeName: undefined,
    serviceName: undefined,
    params: {},
    consumer: undefined,
    credentialId: undefined,
    anonymous: false,
    identities: s.identities,
    upstream: s.upstream,
    response: undefined,
    upstreamFetch: s.upstreamFetch,
    requestBody: undefined,
    answerHeaders: undefined,
    vars: {},
    log: s.log,
  };
}

/** A response produced by a plugin, ending the chain. */
export type PluginResponse =
  | {
    readonly problem: ErrorCode;
    readonly detail?: string;
    readonly headers?: Record<string, string>;
    /** RFC 9457 extension members (e.g. `errors`); they never replace the standard members. */
    readonly extensions?: Readonly<Record<string, unknown>>;
  }
  | {
    readonly status: number;
    readonly headers?: Record<string, string>;
    /**
     * Fields many answers share, e.g. a cache entry's stored fields: sent with `headers` (which
     * win on a name in both). The object must never change once given: the gateway may keep its
     * checked, serialised form for the next answer that gives the same object.
     */
    readonly storedHeaders?: Readonly<Record<string, string>>;
    readonly body?: string | Uint8Array | object;
  };

export function isProblemResponse(r: PluginResponse): r is Extract<PluginResponse, { problem: ErrorCode }> {
  return 'problem' in r;
}
