// One client request through the gateway: limits → normalise → rewrite → route → access →
// upstream-request → upstream (with retries) → upstream-response → response-body → log.
// Each upstream try is an Attempt (the undici dispatch handler) reporting back to the Exchange.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { ErrorCode } from '../core/errors/registry.ts';
import { newRequestContext, removeHeader, type HeaderMap, type PluginResponse, type RequestContext } from '../core/pipeline/context.ts';
import { PluginFailure, runBodyPhase, runPhase, runUpstreamErrorHooks } from '../core/pipeline/run.ts';
import { OUTCOME_NONE } from '../core/pipeline/upstream-guard.ts';
import type { Step } from '../core/pipeline/compile.ts';
import { normalizeTarget } from '../core/router/normalize.ts';
import type { CompiledRoute } from '../core/snapshot/compile.ts';
import { upstreamErrors, upstreamRetries } from '../telemetry/metrics.ts';
import { acceptableRequestId, addForwardingHeaders, headerList, headerMapFromList, responseHeaderList, stripHopByHop, upstreamHeaders } from './headers.ts';
import type { GatewayState } from './state.ts';
import { authEndpointFor, serveOnGateway } from './auth-server/endpoints.ts';
import { rawPathOf, sendPluginResponse, sendProblem } from './respond.ts';
import { upstreamPathOf, type GatewayRuntime, type ServiceRuntime } from './runtime.ts';
import { BodyGuard } from './upstream/body-guard.ts';
import { clientBehindProxies, isTrustedPeer } from './client-ip.ts';
import { edgeRefusal } from './edge-checks.ts';
import { readWholeBody } from './request-body.ts';
import { ResponseTap } from './response-tap.ts';
import { closeIfLatest, connectionClosing, isEventStream, startOnConnection } from './client-connection.ts';
import { pickTarget } from './upstream/pick.ts';
import { Attempt, type AttemptOwner } from './upstream/attempt.ts';
import { sendSoapFault, soapClientVersion } from './soap/fault.ts';
import { backoffMs, mayRetry } from './upstream/retry.ts';
import { classifyUpstreamError, ClientGoneError, UpstreamTimeoutError, type UpstreamFailure } from './upstream/errors.ts';
import type { UpstreamTarget } from './upstream/target.ts';
import { logExchange } from './exchange-log.ts';

// Stages of the flow before the upstream call; see advance(). The access phase is cut in two
// where a plugin asks for the buffered request body (STAGE_BODY reads it in between).
const STAGE_REWRITE = 0, STAGE_ROUTE = 1, STAGE_ACCESS = 2, STAGE_BODY = 3, STAGE_ACCESS_REST = 4, STAGE_UPSTREAM_REQUEST = 5, STAGE_FORWARD = 6;

export function handleRequest(gw: GatewayState, req: IncomingMessage, res: ServerResponse): void {
  new Exchange(gw, gw.runtime, req, res).start();
}

/**
 * One request through the gateway. WebSocket handshakes take the same path in a subclass
 * (websocket/handshake-exchange.ts), which overrides the protected hooks below.
 */
export class Exchange implements AttemptOwner {
  protected readonly gw: GatewayState;
  private readonly runtime: GatewayRuntime;
  protected readonly req: IncomingMessage;
  protected readonly res: ServerResponse;
  protected readonly startedAt = performance.now();
  protected readonly id: string;
  protected ctx!: RequestContext;
  protected route: CompiledRoute | undefined;
  protected service: ServiceRuntime | undefined;
  private matchedLength = 0;
  protected tried: UpstreamTarget[] | undefined;
  protected attempts = 0;
  /** performance.now() by which response headers must have arrived (all attempts included). */
  protected deadline = 0;
  private hasBody = false;
  private body: BodyGuard | null = null;
  /** The attempt in progress (or the one that produced the response). */
  private current: Attempt | undefined;
  /** One timer per exchange: the current attempt's read timeout, capped by the route deadline. */
  private timer: NodeJS.Timeout | undefined;
  private bodyChunks: Buffer[] | undefined;
  private bodyBytes = 0;
  /** Response body bytes handed to the client connection. */
  private bytesOut = 0;
  /** The client connection is finished (response complete or connection closed). */
  protected done = false;
  protected failureKind: string | undefined;
  /** This request's number among those started on its connection. */
  private seqOnSocket = 0;
  /** The connection comes from a trusted proxy (its X-Forwarded-* headers are believed). */
  private peerTrusted = false;
  /** A plugin's copy of this response's body (ResponseView.bodyTap), while it is being taken. */
  private tap: ResponseTap | undefined;

  constructor(gw: GatewayState, runtime: GatewayRuntime, req: IncomingMessage, res: ServerResponse) {
    this.gw = gw;
    this.runtime = runtime;
    this.req = req;
    this.res = res;
    const incoming = req.headers['x-request-id'];
    this.id = acceptableRequestId(incoming) ? incoming : randomUUID();
  }

  start(): void {
    const { req, res } = this;
    const settings = this.runtime.snapshot.settings;
    this.gw.inFlight++;
    res.on('close', () => this.onClientClose());
    this.seqOnSocket = startOnConnection(req);
    // Pipelined behind a response that closes the connection (drain): it would be dropped with
    // the connection, so refuse it before anything is forwarded.
    if (connectionClosing(req)) return this.problem('shutting-down', undefined, true);
    const refused = edgeRefusal(req, settings);
    if (refused !== undefined) return this.problem(refused.code, refused.detail, true);
    const target = normalizeTarget(req.url ?? '/', { keepSemicolons: settings.semicolon_paths === 'keep' });
    if (!target.ok) return this.problem(target.reason === 'absolute-form' ? 'absolute-form-rejected' : 'invalid-path', undefined, true);
    const te = req.headers['transfer-encoding'];
    const cl = req.headers['content-length'];
    this.hasBody = te !== undefined || (cl !== undefined && cl !== '0');
    const bodyRefused = this.hasBody ? this.bodyRefusal() : undefined;
    if (bodyRefused !== undefined) return this.problem('bad-request', bodyRefused, true);
    this.ctx = newRequestContext({
      id: this.id,
      method: req.method ?? 'GET',
      path: target.path,
      query: target.query,
      headers: req.headers as Readonly<HeaderMap>,
      clientIp: this.clientIp(),
      receivedAt: Date.now(),
      identities: this.runtime.snapshot.identities,
      upstream: { path: target.path, query: target.query, headers: upstreamHeaders(req.headers as HeaderMap), maxBodyBytes: settings.max_body_bytes, guard: undefined },
      upstreamFetch: this.gw.upstreamFetch,
      log: this.gw.logger,
    });
    this.advance(STAGE_REWRITE);
  }

  private closeIfDraining(): void {
    if (this.gw.draining) closeIfLatest(this.req, this.res, this.seqOnSocket);
  }

  private clientIp(): string {
    const peer = this.req.socket.remoteAddress ?? '';
    this.peerTrusted = isTrustedPeer(peer, this.runtime.trustedProxies);
    return this.peerTrusted ? clientBehindProxies(peer, this.req.headers['x-forwarded-for'], this.runtime.trustedProxies) : peer;
  }

  /** Runs the stages up to the upstream call; a plugin that returns a promise pauses the loop. */
  private advance(stage: number): void {
    while (!this.done) {
      let steps: readonly Step[];
      let from = 0;
      let end: number | undefined;
      switch (stage) {
        case STAGE_REWRITE: steps = this.runtime.snapshot.rewrite; break;
        case STAGE_ROUTE: if (!this.matchRoute() || !this.admit()) return; stage++; continue;
        case STAGE_ACCESS: steps = this.route!.chains.access; end = this.route!.chains.requestBody?.at; break;
        case STAGE_BODY: if (this.route!.chains.requestBody !== undefined && this.hasBody) { this.bufferRequestBody(); return; } stage++; continue;
        case STAGE_ACCESS_REST: steps = this.route!.chains.access; from = this.route!.chains.requestBody?.at ?? steps.length; break;
        case STAGE_UPSTREAM_REQUEST: steps = this.route!.chains['upstream-request']; break;
        case STAGE_FORWARD: this.forward(); return;
        default: throw new Error(`unknown stage ${stage}`);
      }
      stage++;
      if (steps.length <= from || end === 0) continue;
      let outcome: ReturnType<typeof runPhase>;
      try {
        outcome = runPhase(steps, this.ctx, from, end);
      } catch (err) {
        return this.pluginFailed(err);
      }
      if (outcome === undefined) continue;
      if (outcome instanceof Promise) {
        const next = stage;
        outcome.then((r) => (r === undefined ? this.advance(next) : this.reply(r)), (err) => this.pluginFailed(err));
        return;
      }
      return this.reply(outcome);
    }
  }

  // ---- hooks for subclasses (the WebSocket handshake) ------------------------------------

  /** Why a request with a body is refused before anything runs; undefined: bodies are fine. */
  protected bodyRefusal(): string | undefined {
    return undefined;
  }

  /** After routing, before the access phase: false when it has answered (refused) already. */
  protected admit(): boolean {
    return true;
  }

  /** The client went away before the exchange ended: let go of what the subclass holds. */
  protected clientGone(): void {}

  private matchRoute(): boolean {
    const req = this.req;
    const headers = req.headers;
    const issuer = this.ctx.identities.tokenIssuer;
    if (issuer !== undefined) {
      const endpoint = authEndpointFor(issuer, this.ctx.path);
      if (endpoint !== undefined) {
        // The built-in OAuth2 server's endpoints are answered here, ahead of every route.
        void serveOnGateway(endpoint, issuer, this.ctx, this.req, this.gw.authControl).then((r) => this.reply(r));
        return false;
      }
    }
    const match = this.runtime.snapshot.router.match(this.ctx.method, headers.host, this.ctx.path, (name) => headers[name], this.ctx.query);
    if (!match) {
      this.problem('route-not-found');
      return false;
    }
    const route = match.value;
    this.route = route;
    this.service = this.runtime.services.get(route.service.name);
    this.matchedLength = match.matchedLength;
    const ctx = this.ctx as { routeName: string; serviceName: string; params: Readonly<Record<string, string>> };
    ctx.routeName = route.name;
    ctx.serviceName = route.service.name;
    ctx.params = match.params;
    this.ctx.upstream.path = upstreamPathOf(this.ctx.path, route.stripPath ? this.matchedLength : 0, this.service!.pathPrefix);
    // A retired API version answers 410 itself (with its Link to the successor), never forwards.
    const sunsetAt = route.lifecycle?.sunsetAt;
    if (sunsetAt !== undefined && this.ctx.receivedAt >= sunsetAt) {
      this.problem('version-sunset');
      return false;
    }
    return true;
  }

  // ---- buffered request body (for plugins that ask for it) ------------------------------

  /** Reads the whole request body under the cap, then resumes the access phase. */
  private bufferRequestBody(): void {
    const ctx = this.ctx;
    const routeCap = this.route!.chains.requestBody!.limit;
    const limit = ctx.upstream.maxBodyBytes > 0 ? Math.min(routeCap, ctx.upstream.maxBodyBytes) : routeCap;
    readWholeBody(this.req, limit, this.service!.config.write_timeout_ms, (body) => {
      if (body === 'client-gone') return;
      if (typeof body === 'string') return this.problem(body, undefined, true);
      ctx.requestBody = body;
      this.advance(STAGE_ACCESS_REST);
    });
  }

  // ---- upstream -------------------------------------------------------------------------

  protected forward(): void {
    const { req, ctx } = this;
    const service = this.service!;
    const conf = service.config;
    const limit = ctx.upstream.maxBodyBytes;
    const cl = req.headers['content-length'];
    if (limit > 0 && cl !== undefined && Number(cl) > limit) return this.problem('payload-too-large', undefined, true);
    const buffered = ctx.requestBody;
    if (buffered !== undefined) {
      // A plugin read the body: those exact bytes go upstream, with their length.
      if (limit > 0 && buffered.length > limit) return this.problem('payload-too-large');
    } else if (this.hasBody) {
      // Declared lengths were checked above (and llhttp holds the client to them); a chunked
      // body is counted as it streams.
      this.body = req.pipe(new BodyGuard(cl === undefined ? limit : 0, conf.write_timeout_ms));
    }
    const headers = ctx.upstream.headers;
    stripHopByHop(headers);
    if (buffered !== undefined) headers['content-length'] = String(buffered.length);
    this.addForwardingHeaders(headers);
    this.deadline = this.startedAt + conf.request_timeout_ms;
    this.attempt();
  }

  protected addForwardingHeaders(headers: HeaderMap): void {
    const { req, ctx } = this;
    // A stripped prefix is where the client sees this API; upstreams use it to build links.
    const stripped = this.route!.stripPath && this.matchedLength > 0 ? ctx.path.slice(0, this.matchedLength) : '';
    const socket = req.socket;
    addForwardingHeaders(headers, { address: socket.remoteAddress ?? '', localPort: socket.localPort, tls: 'encrypted' in socket, trusted: this.peerTrusted }, req.headers.host, stripped, this.id);
  }

  /** Picks the target for the next attempt: healthy, admitted by the guard, not tried yet. */
  protected pickTarget(now: number): UpstreamTarget | undefined {
    return pickTarget(this.service!, this.gw.health, this.ctx.upstream.guard, this.req, this.ctx.clientIp, this.tried, now);
  }

  /** No target to try: the guard's answer when its breakers refused healthy targets, else 503. */
  protected noTarget(now: number): void {
    const guard = this.ctx.upstream.guard;
    const health = this.gw.health;
    if (guard !== undefined && this.service!.targets.some((t) => t.weight > 0 && health.isHealthy(t.health, now))) return this.reply(guard.refusal(now));
    this.upstreamFailed('no-healthy-upstream', 'no-healthy-upstream');
  }

  private attempt(): void {
    if (this.done || this.res.headersSent) return;
    const service = this.service!;
    const conf = service.config;
    const now = Date.now();
    const guard = this.ctx.upstream.guard;
    const target = this.pickTarget(now);
    if (!target) return this.noTarget(now);
    const startedAt = performance.now();
    const remaining = this.deadline - startedAt;
    if (remaining <= 0) return this.problem('upstream-timeout');
    this.attempts++;
    const attempt = guard === undefined ? new Attempt(this, target, startedAt) : new Attempt(this, target, startedAt, guard, guard.acquire(target.origin, now));
    this.current = attempt;
    const up = this.ctx.upstream;
    const headers = up.headers;
    headers.host = conf.preserve_host ? this.req.headers.host : target.hostHeader;
    // undici's own header timer ticks about once a second; ours is exact and also covers time
    // queued for a free connection. undici's stays as a backstop.
    this.armTimer(Math.min(conf.read_timeout_ms, remaining));
    target.pool.dispatch({
      path: up.path + up.query,
      method: this.ctx.method as Dispatcher.HttpMethod,
      headers: headers as Record<string, string | string[]>,
      body: this.body ?? this.ctx.requestBody,
      headersTimeout: conf.read_timeout_ms + 2000,
      bodyTimeout: conf.read_timeout_ms,
    }, attempt);
  }

  private armTimer(ms: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => this.onTimer(), Math.max(1, ms));
  }

  protected clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** The current attempt's read timeout, or the route deadline, passed before response headers. */
  private onTimer(): void {
    this.timer = undefined;
    const attempt = this.current;
    if (this.done || this.res.headersSent || !attempt || attempt.abandoned) return;
    const error = new UpstreamTimeoutError();
    attempt.abandon(error);
    this.attemptFailed(attempt, classifyUpstreamError(error));
  }

  onUpstreamStart(attempt: Attempt, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (this.done || attempt !== this.current) return attempt.abandon(new ClientGoneError());
    this.clearTimer();
    const target = attempt.target;
    const service = this.service!;
    target.latency.observe((performance.now() - attempt.startedAt) / 1000);
    const passive = service.config.health_checks.passive;
    if (passive) {
      if (passive.unhealthy_statuses.includes(statusCode)) this.gw.health.recordFailure(target.health, passive, Date.now());
      else this.gw.health.recordSuccess(target.health);
    }
    const chains = this.route!.chains;
    const list = responseHeaderList(headers, this.id);
    if (chains['upstream-response'].length === 0 && chains['response-body'].length === 0 && chains.log.length === 0) {
      // No plugin looks at the response: the filtered list goes straight to the client.
      this.closeIfDraining();
      this.res.writeHead(statusCode, this.withAnswerFields(list));
      if (isEventStream(headers['content-type'])) this.res.flushHeaders();
      return;
    }
    this.ctx.response = { status: statusCode, headers: headerMapFromList(list), bodyTap: undefined };
    if (chains['upstream-response'].length > 0) {
      let outcome: PluginResponse | undefined;
      try {
        outcome = runPhase(chains['upstream-response'], this.ctx) as PluginResponse | undefined;
      } catch (err) {
        attempt.abandon(new ClientGoneError());
        return this.pluginFailed(err);
      }
      if (outcome !== undefined) {
        attempt.abandon(new ClientGoneError());
        return this.reply(outcome);
      }
      const tap = this.ctx.response.bodyTap;
      if (tap !== undefined) this.tap = ResponseTap.start(tap, this.ctx.method);
    }
    // An event stream has no end to wait for: body-rewriting plugins never hold it back.
    if (chains['response-body'].length > 0 && this.ctx.method !== 'HEAD' && !isEventStream(this.ctx.response.headers['content-type'])) {
      this.bodyChunks = [];
      return;
    }
    this.writeHead();
  }

  private writeHead(): void {
    const response = this.ctx.response!;
    this.closeIfDraining();
    this.res.writeHead(response.status, this.withAnswerFields(headerList(response.headers)));
    if (isEventStream(response.headers['content-type'])) this.res.flushHeaders();
  }

  /**
   * Adds the fields the gateway puts on every answer (a deprecated version's lifecycle fields,
   * plugins' answer fields such as RateLimit) as the response is written: they are not part of the
   * upstream's response, which upstream-response plugins (and the cache) see without them.
   */
  private withAnswerFields(list: string[]): string[] {
    const lifecycle = this.route!.lifecycle;
    if (lifecycle !== undefined) list.push(...lifecycle.list);
    const answer = this.ctx.answerHeaders;
    if (answer !== undefined) for (const name in answer) list.push(name, answer[name]!);
    return list;
  }

  onUpstreamData(attempt: Attempt, chunk: Buffer): void {
    if (this.done) return attempt.abandon(new ClientGoneError());
    const buffered = this.bodyChunks;
    if (buffered !== undefined) {
      buffered.push(chunk);
      this.bodyBytes += chunk.length;
      // Too big to rewrite: send what we have unmodified and stream the rest.
      if (this.bodyBytes > this.route!.chains.responseBodyLimit) this.flushBuffered(undefined);
      return;
    }
    this.bytesOut += chunk.length;
    this.tap?.add(chunk);
    if (!this.res.write(chunk)) {
      attempt.pause();
      this.res.once('drain', () => attempt.resume());
    }
  }

  onUpstreamEnd(): void {
    if (this.done) return;
    if (this.bodyChunks !== undefined) {
      const body = Buffer.concat(this.bodyChunks);
      let out: Buffer | undefined;
      try {
        out = runBodyPhase(this.route!.chains['response-body'], this.ctx, body);
      } catch (err) {
        return this.pluginFailed(err);
      }
      return this.flushBuffered(out ?? body, out !== undefined);
    }
    this.tap?.end();
    this.res.end();
  }

  /**
   * Writes a buffered response: the whole body at the end (`complete`, `changed` when a plugin
   * rewrote it), or, when it grew too big to buffer, what we have so far (`complete` undefined).
   */
  private flushBuffered(complete: Buffer | undefined, changed = false): void {
    const chunks = this.bodyChunks!;
    this.bodyChunks = undefined;
    const headers = this.ctx.response!.headers;
    if (complete !== undefined) {
      const replacement = complete;
      headers['content-length'] = String(replacement.length);
      removeHeader(headers, 'transfer-encoding');
      if (changed) {
        removeHeader(headers, 'etag'); // the representation changed
        removeHeader(headers, 'content-md5');
      }
      this.writeHead();
      this.bytesOut += replacement.length;
      this.tap?.end(replacement);
      this.res.end(replacement);
      return;
    }
    this.writeHead();
    for (const c of chunks) {
      this.bytesOut += c.length;
      this.tap?.add(c);
      this.res.write(c);
    }
  }

  onUpstreamError(attempt: Attempt, err: Error): void {
    if (this.done || attempt !== this.current) return;
    const failure = classifyUpstreamError(err);
    if (failure.kind === 'client-aborted') return;
    if (this.res.headersSent) {
      // Never fake a complete response: the client sees the connection drop.
      this.failureKind = failure.kind;
      this.gw.logger.warn({ request_id: this.id, service: this.service!.config.name, target: attempt.target.label, kind: failure.kind }, 'upstream failed mid-response');
      this.tap?.abandon();
      this.res.destroy();
      return;
    }
    this.attemptFailed(attempt, failure);
  }

  /** An attempt failed before response headers: count it, then retry or answer. */
  private attemptFailed(attempt: Attempt, failure: UpstreamFailure): void {
    this.clearTimer();
    this.failureKind = failure.kind;
    const service = this.service!;
    const target = attempt.target;
    if (failure.targetFault) {
      upstreamErrors.labels(service.config.name, target.label, failure.kind).inc();
      this.gw.health.recordFailure(target.health, service.config.health_checks.passive, Date.now());
    }
    const retry = mayRetry(failure, this.ctx.method, {
      responseStarted: this.ctx.response !== undefined,
      attempts: this.attempts,
      retries: service.config.retries,
      deadlinePassed: performance.now() >= this.deadline,
      bodyConsumed: this.body !== null && (this.body.destroyed || this.body.readableDidRead),
    });
    if (retry) {
      (this.tried ??= []).push(target);
      upstreamRetries.labels(service.config.name).inc();
      const backoff = backoffMs(this.attempts);
      const remaining = this.deadline - performance.now();
      if (backoff < remaining) {
        setTimeout(() => this.attempt(), backoff).unref();
        return;
      }
    }
    this.gw.logger.warn({ request_id: this.id, service: service.config.name, target: target.label, kind: failure.kind, attempts: this.attempts }, 'upstream request failed');
    const deadlinePassed = performance.now() >= this.deadline - 1;
    this.upstreamFailed(deadlinePassed ? 'upstream-timeout' : failure.problem, failure.kind);
  }

  /** The upstream could not answer: a plugin's `upstream-error` hook may answer instead. */
  protected upstreamFailed(code: ErrorCode, kind: string): void {
    const hooks = this.route!.chains['upstream-error'];
    let outcome: PluginResponse | undefined;
    if (hooks.length > 0) {
      try {
        outcome = runUpstreamErrorHooks(hooks, this.ctx, { kind, problem: code });
      } catch (err) {
        return this.pluginFailed(err);
      }
    }
    if (outcome !== undefined) this.reply(outcome);
    else this.problem(code);
  }

  // ---- answers and bookkeeping ---------------------------------------------------------

  private reply(r: PluginResponse): void {
    if (this.done || this.res.headersSent) return;
    if ('problem' in r && this.soapVersion() !== undefined) return this.problem(r.problem, r.detail, false, r.headers);
    this.closeIfDraining();
    this.bytesOut = sendPluginResponse(this.res, r, { requestId: this.id, instance: this.instance(), close: this.bodyUnread(), headers: this.answerFields() });
  }

  protected problem(code: ErrorCode, detail?: string, close = false, extraHeaders?: Record<string, string>): void {
    if (this.done || this.res.headersSent) return;
    this.closeIfDraining();
    const opts = { requestId: this.id, instance: this.instance(), close: close || this.bodyUnread(), headers: this.answerFields() };
    const soap = this.soapVersion();
    // SOAP clients of a soap service get their errors as SOAP faults (docs/soap.md#faults).
    this.bytesOut = soap === undefined ? sendProblem(this.res, code, opts, detail, extraHeaders) : sendSoapFault(this.res, soap, code, opts, detail, extraHeaders);
  }

  /** The SOAP version of a SOAP client of a soap service (its errors are faults), else undefined. */
  private soapVersion(): ReturnType<typeof soapClientVersion> {
    return this.route === undefined ? undefined : soapClientVersion(this.route.service.protocol, this.req.headers);
  }

  /** Fields the gateway adds to its own and plugins' answers: version lifecycle, then plugins'. */
  protected answerFields(): Readonly<Record<string, string>> | undefined {
    const lifecycle = this.route?.lifecycle?.headers;
    const answer = this.ctx?.answerHeaders;
    if (answer === undefined) return lifecycle;
    return lifecycle === undefined ? answer : { ...lifecycle, ...answer };
  }

  /** The problem's `instance`: the normalised path, or (refused before that) the raw path, capped. */
  private instance(): string {
    return this.ctx ? this.ctx.path : rawPathOf(this.req.url);
  }

  private bodyUnread(): boolean {
    return this.hasBody && !this.req.readableEnded;
  }

  private pluginFailed(err: unknown): void {
    const plugin = err instanceof PluginFailure ? err.plugin : undefined;
    const cause = err instanceof PluginFailure ? err.cause : err;
    this.gw.logger.error({ request_id: this.id, route: this.route?.name, plugin, err: cause }, 'plugin failed');
    this.problem('internal-error');
  }

  private onClientClose(): void {
    if (this.done) return;
    this.done = true;
    this.clearTimer();
    this.gw.inFlight--;
    const res = this.res;
    if (!res.writableFinished) this.current?.abandon(new ClientGoneError());
    this.clientGone();
    // Breakers count the request once, by its last attempt (after any retries).
    this.ctx?.upstream.guard?.requestEnded(this.current?.outcome ?? OUTCOME_NONE, Date.now());
    this.tap?.abandon();
    if (this.body && !this.req.readableEnded) this.body.destroy();
    this.logPhase(res.writableFinished);
  }

  private logPhase(completed: boolean): void {
    logExchange(this.gw, this.runtime, {
      requestId: this.id,
      req: this.req,
      ctx: this.ctx,
      route: this.route,
      status: completed ? this.res.statusCode : 499,
      seconds: (performance.now() - this.startedAt) / 1000,
      bytesIn: this.body?.received || this.ctx?.requestBody?.length || 0,
      bytesOut: this.bytesOut,
      target: this.current?.target.label,
      attempts: this.attempts,
      failure: this.failureKind,
    });
  }
}
