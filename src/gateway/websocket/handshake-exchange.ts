// A WebSocket handshake through the gateway: the same exchange as an HTTP request (edge checks,
// routing, the route's rewrite/access/upstream-request plugins, their refusals as problem+json),
// except that on a route that proxies WebSocket the Origin is checked after routing, the upstream
// is connected to first (its chosen subprotocol then goes to the client), and once it accepts
// the connection is relayed (relay.ts) instead of a response being streamed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { OUTCOME_FAILURE, OUTCOME_SUCCESS } from '../../core/pipeline/upstream-guard.ts';
import { metricsOfRoute, upstreamErrors, upstreamRetries } from '../../telemetry/metrics.ts';
import { Exchange } from '../exchange.ts';
import { stripHopByHop, VIA } from '../headers.ts';
import type { GatewayState } from '../state.ts';
import type { UpstreamTarget } from '../upstream/target.ts';
import { openUpstream, offeredProtocols, webSocketOrigin, type HandshakeResult } from './connect.ts';
import { completeHandshake, type UpgradeRequest } from './handshake.ts';
import { webSocketRuntimeOf, type RouteWebSocketRuntime } from './route-runtime.ts';

export class HandshakeExchange extends Exchange {
  private readonly upgrade: UpgradeRequest;
  /** Set once the handshake matched a route that proxies WebSocket. */
  private webSocket: RouteWebSocketRuntime | undefined;
  /** The subprotocols the client offered, passed to the upstream. */
  private protocols: readonly string[] = [];
  /** The upstream connection being opened (terminated if the client goes first). */
  private upstreamSocket: WebSocket | undefined;

  constructor(gw: GatewayState, req: IncomingMessage, res: ServerResponse, upgrade: UpgradeRequest) {
    super(gw, gw.runtime, req, res);
    this.upgrade = upgrade;
  }

  /** The socket left the HTTP parser: a body could not be read (RFC 6455 has none). */
  protected override bodyRefusal(): string | undefined {
    return 'A WebSocket handshake has no body.';
  }

  protected override clientGone(): void {
    this.upstreamSocket?.terminate();
  }

  /**
   * A handshake matched a route: on a route that proxies WebSocket, the Origin is checked before
   * any plugin runs; on any other route it continues as a plain HTTP request (on a connection
   * that closes after the answer, since the upgrade took the socket from the HTTP parser).
   */
  protected override admit(): boolean {
    const rt = webSocketRuntimeOf(this.route!);
    if (rt === undefined) return true;
    const origin = this.req.headers.origin;
    if (!rt.originAllowed(origin)) {
      this.problem('websocket-origin-forbidden');
      return false;
    }
    const protocols = offeredProtocols(this.req.headers['sec-websocket-protocol']);
    if (protocols === undefined) {
      this.problem('bad-request', 'Sec-WebSocket-Protocol must list distinct tokens.', true);
      return false;
    }
    this.webSocket = rt;
    this.protocols = protocols;
    return true;
  }

  protected override forward(): void {
    // A route that does not proxy WebSocket answers the handshake as a plain HTTP request.
    if (this.webSocket === undefined) return super.forward();
    if (this.gw.draining) return this.problem('shutting-down');
    const headers = this.ctx.upstream.headers;
    stripHopByHop(headers);
    this.addForwardingHeaders(headers);
    this.deadline = this.startedAt + this.service!.config.request_timeout_ms;
    this.webSocketAttempt();
  }

  /** Connects to one target; connection failures are retried on another within the deadline. */
  private webSocketAttempt(): void {
    if (this.done) return;
    const now = Date.now();
    const target = this.pickTarget(now);
    if (!target) return this.noTarget(now);
    const remaining = this.deadline - performance.now();
    if (remaining <= 0) return this.problem('upstream-timeout');
    this.attempts++;
    const conf = this.service!.config;
    const guard = this.ctx.upstream.guard;
    const permit = guard?.acquire(target.origin, now);
    const up = this.ctx.upstream;
    up.headers.host = conf.preserve_host ? this.req.headers.host : target.hostHeader;
    const startedAt = performance.now();
    this.upstreamSocket = openUpstream({
      url: webSocketOrigin(target.origin) + up.path + up.query,
      protocols: this.protocols,
      headers: up.headers,
      timeoutMs: Math.max(1, Math.min(conf.connect_timeout_ms + conf.read_timeout_ms, remaining)),
      maxPayload: this.webSocket!.settings.max_message_bytes,
    }, (result) => {
      if (permit !== undefined) guard!.release(target.origin, permit, result.ok ? OUTCOME_SUCCESS : OUTCOME_FAILURE, Date.now());
      this.webSocketAttempted(target, startedAt, result);
    });
  }

  private webSocketAttempted(target: UpstreamTarget, startedAt: number, result: HandshakeResult): void {
    const service = this.service!;
    if (this.done) {
      if (result.ok) result.socket.terminate();
      return;
    }
    const passive = service.config.health_checks.passive;
    if (result.ok) {
      target.latency.observe((performance.now() - startedAt) / 1000);
      if (passive) this.gw.health.recordSuccess(target.health);
      return this.handOverWebSocket(target, result.socket);
    }
    this.upstreamSocket = undefined;
    this.failureKind = result.kind;
    upstreamErrors.labels(service.config.name, target.label, result.kind).inc();
    this.gw.health.recordFailure(target.health, passive, Date.now());
    if (result.retryable && this.attempts <= service.config.retries && performance.now() < this.deadline) {
      (this.tried ??= []).push(target);
      upstreamRetries.labels(service.config.name).inc();
      return this.webSocketAttempt();
    }
    this.gw.logger.warn({ request_id: this.id, service: service.config.name, target: target.label, kind: result.kind, attempts: this.attempts }, 'upstream websocket handshake failed');
    this.upstreamFailed(result.problem, result.kind);
  }

  /** The upstream accepted: the exchange ends here and the connection is relayed from now on. */
  private handOverWebSocket(target: UpstreamTarget, upstream: WebSocket): void {
    this.done = true;
    this.clearTimer();
    this.gw.inFlight--;
    this.ctx.upstream.guard?.requestEnded(OUTCOME_SUCCESS, Date.now());
    const m = metricsOfRoute(this.route);
    m.count[0]!.inc();
    m.duration[0]!.observe((performance.now() - this.startedAt) / 1000);
    const fields = ['via', VIA, 'x-request-id', this.id];
    const answer = this.answerFields();
    if (answer !== undefined) for (const name in answer) fields.push(name, answer[name]!);
    completeHandshake(this.gw, this.webSocket!, this.req, this.res, this.upgrade!, upstream, {
      requestId: this.id,
      route: this.webSocket!,
      target: target.label,
      clientIp: this.ctx.clientIp,
      path: this.ctx.path,
      subprotocol: '',
      startedAt: this.startedAt,
    }, fields);
  }
}
