// One proxied WebSocket connection after both handshakes: frames relayed as messages of the same
// type (text stays text, binary stays binary, payloads untouched), backpressure both ways, the
// route's limits, keep-alive pings, close codes passed on, and one access-log line at the end.
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import type { CounterSeries } from '../../telemetry/fast-series.ts';
import type { Logger } from '../../telemetry/logger.ts';
import { websocketCloses, websocketConnections } from '../../telemetry/metrics.ts';
import { CLOSE_GOING_AWAY, CLOSE_POLICY, relayedCloseCode, violationCloseCode } from './close-codes.ts';
import type { RouteWebSocketRuntime } from './route-runtime.ts';

/** Above this many bytes queued toward one peer, the other peer is no longer read. */
const HIGH_WATER_BYTES = 128 * 1024;
/** Send options, shared rather than made per message. */
const AS_BINARY = { binary: true } as const;
const AS_TEXT = { binary: false } as const;

type Side = 'client' | 'upstream';

export interface RelayInfo {
  readonly requestId: string;
  readonly route: RouteWebSocketRuntime;
  readonly target: string;
  readonly clientIp: string;
  readonly path: string;
  readonly subprotocol: string;
  /** performance.now() when the handshake request arrived. */
  readonly startedAt: number;
}

export interface RelayOwner {
  readonly accessLog: Logger;
  readonly logEnabled: () => boolean;
  ended(relay: Relay): void;
}

/** Per direction: what has gone through. */
class Flow {
  messages = 0;
  bytes = 0;
  readonly messageSeries: CounterSeries;
  readonly byteSeries: CounterSeries;
  constructor(messageSeries: CounterSeries, byteSeries: CounterSeries) {
    this.messageSeries = messageSeries;
    this.byteSeries = byteSeries;
  }
}

export class Relay {
  private readonly client: WebSocket;
  private readonly upstream: WebSocket;
  private readonly info: RelayInfo;
  private readonly owner: RelayOwner;
  private readonly openedAt = performance.now();
  private readonly up: Flow;
  private readonly down: Flow;
  private lastActivity = this.openedAt;
  /** Messages from the client in the current one-second window (max_messages_per_second). */
  private windowStart = this.openedAt;
  private windowCount = 0;
  private clientAlive = true;
  private upstreamAlive = true;
  private idleTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  /** Who closed first, and the code a misbehaving peer was closed with (to tell the other one). */
  private initiator: Side | 'gateway' | undefined;
  private violation: { side: Side; code: number; reason: string } | undefined;
  private clientClose: number | undefined;
  /** The code the gateway sent the client (relayed or its own), if it closed first toward it. */
  private sentToClient: number | undefined;
  private upstreamClose: number | undefined;
  private finished = false;
  /** Resolves when both sides have closed. */
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  constructor(client: WebSocket, upstream: WebSocket, info: RelayInfo, owner: RelayOwner) {
    this.client = client;
    this.upstream = upstream;
    this.info = info;
    this.owner = owner;
    this.ended = new Promise((resolve) => { this.resolveEnded = resolve; });
    const m = info.route.metrics;
    this.up = new Flow(m.messagesUp, m.bytesUp);
    this.down = new Flow(m.messagesDown, m.bytesDown);
    websocketConnections.labels(info.route.service, info.route.name).inc();
    client.on('message', (data, isBinary) => this.fromClient(data as Buffer, isBinary));
    upstream.on('message', (data, isBinary) => this.relay(data as Buffer, isBinary, upstream, client, this.down));
    client.on('close', (code, reason) => this.onClose('client', code, reason));
    upstream.on('close', (code, reason) => this.onClose('upstream', code, reason));
    client.on('error', (err) => this.onError('client', err));
    upstream.on('error', (err) => this.onError('upstream', err));
    client.on('pong', () => { this.clientAlive = true; });
    upstream.on('pong', () => { this.upstreamAlive = true; });
    const s = info.route.settings;
    this.idleTimer = setTimeout(() => this.checkIdle(), s.idle_timeout_ms).unref();
    if (s.ping_interval_ms > 0) this.pingTimer = setInterval(() => this.ping(), s.ping_interval_ms).unref();
  }

  private fromClient(data: Buffer, isBinary: boolean): void {
    const limit = this.info.route.settings.max_messages_per_second;
    if (limit > 0) {
      const now = performance.now();
      if (now - this.windowStart >= 1000) {
        this.windowStart = now;
        this.windowCount = 0;
      }
      if (++this.windowCount > limit) {
        if (this.client.readyState === 1) this.violated('client', CLOSE_POLICY, 'message rate limit exceeded');
        return;
      }
    }
    this.relay(data, isBinary, this.client, this.upstream, this.up);
  }

  private relay(data: Buffer, isBinary: boolean, from: WebSocket, to: WebSocket, flow: Flow): void {
    if (to.readyState !== 1) return; // the other side is closing: nothing more goes to it
    this.lastActivity = performance.now();
    flow.messages++;
    flow.bytes += data.length;
    flow.messageSeries.value++;
    flow.byteSeries.value += data.length;
    const opts = isBinary ? AS_BINARY : AS_TEXT;
    if (to.bufferedAmount + data.length <= HIGH_WATER_BYTES) {
      to.send(data, opts);
      return;
    }
    // The receiving peer reads slower than this one sends: stop reading this one (TCP pushes
    // back on it) until what is queued has been written out.
    from.pause();
    to.send(data, opts, () => from.resume());
  }

  /** A peer broke a route limit: close it with `code`, and tell the other peer why. */
  private violated(side: Side, code: number, reason: string): void {
    this.violation ??= { side, code, reason };
    this.initiator ??= 'gateway';
    this.closeBoth(code, reason);
  }

  private onError(side: Side, err: Error & { code?: string }): void {
    // The ws library already closes a peer whose frames break a rule (size, UTF-8, framing) with
    // the matching code; the other peer is told the same code once this one is closed.
    if (err.code?.startsWith('WS_ERR_')) {
      const code = violationCloseCode(err.code);
      this.violation ??= { side, code, reason: side === 'client' ? 'client message refused' : 'upstream message refused' };
      if (side === 'client') this.sentToClient ??= code;
      this.initiator ??= 'gateway';
    }
  }

  private onClose(side: Side, code: number, reason: Buffer): void {
    this.initiator ??= side;
    if (side === 'client') this.clientClose = code;
    else this.upstreamClose = code;
    const other = side === 'client' ? this.upstream : this.client;
    if (other.readyState === 0 || other.readyState === 1) {
      const v = this.violation;
      const relayed = v !== undefined && v.side === side ? v.code : relayedCloseCode(code, side === 'client' ? 'upstream' : 'client');
      if (side === 'upstream') this.sentToClient ??= relayed;
      other.close(relayed, v !== undefined && v.side === side ? v.reason : reason);
    }
    if (this.clientClose !== undefined && this.upstreamClose !== undefined) this.finish();
  }

  private checkIdle(): void {
    this.idleTimer = undefined;
    if (this.finished) return;
    const idle = this.info.route.settings.idle_timeout_ms;
    const quiet = performance.now() - this.lastActivity;
    if (quiet + 1 >= idle) {
      this.initiator ??= 'gateway';
      this.closeBoth(CLOSE_GOING_AWAY, 'idle timeout');
      return;
    }
    this.idleTimer = setTimeout(() => this.checkIdle(), idle - quiet).unref();
  }

  /** Keep-alive: a peer that did not answer the previous ping is gone (a half-open TCP connection). */
  private ping(): void {
    for (const side of ['client', 'upstream'] as const) {
      const ws = side === 'client' ? this.client : this.upstream;
      if (ws.readyState !== 1) continue;
      const alive = side === 'client' ? this.clientAlive : this.upstreamAlive;
      if (!alive) {
        this.initiator ??= 'gateway';
        ws.terminate(); // its close event (1006) tells the other side
        continue;
      }
      if (side === 'client') this.clientAlive = false;
      else this.upstreamAlive = false;
      ws.ping();
    }
  }

  /** Starts the close handshake with both peers (a peer already closing is left to finish). */
  closeBoth(code: number, reason: string): void {
    if (this.client.readyState === 1) {
      this.sentToClient ??= code;
      this.client.close(code, reason);
    }
    if (this.upstream.readyState === 1) this.upstream.close(code, reason);
  }

  /** Graceful shutdown of the gateway: 1001 to both peers. */
  shutdown(): void {
    this.initiator ??= 'gateway';
    this.closeBoth(CLOSE_GOING_AWAY, 'gateway shutting down');
  }

  /** The close handshake took too long (shutdown deadline): drop both connections. */
  terminate(): void {
    this.client.terminate();
    this.upstream.terminate();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    const info = this.info;
    const route = info.route;
    // The code of the client's side of the close: the one it sent if it closed first, else the
    // one the gateway sent it (a peer that broke a rule may never answer the close frame).
    const code = this.initiator === 'client' ? this.clientClose ?? 1006 : this.sentToClient ?? this.clientClose ?? 1006;
    websocketConnections.labels(route.service, route.name).dec();
    websocketCloses.labels(route.service, route.name, String(code), this.initiator ?? 'client').inc();
    if (this.owner.logEnabled()) {
      const now = performance.now();
      this.owner.accessLog.info({
        log: 'websocket',
        request_id: info.requestId,
        path: info.path,
        route: route.name,
        service: route.service,
        target: info.target,
        client_ip: info.clientIp,
        subprotocol: info.subprotocol || undefined,
        duration_ms: Math.round((now - info.startedAt) * 1000) / 1000,
        messages_in: this.up.messages,
        messages_out: this.down.messages,
        bytes_in: this.up.bytes,
        bytes_out: this.down.bytes,
        close_code: code,
        upstream_close_code: this.upstreamClose,
        closed_by: this.initiator,
      });
    }
    this.owner.ended(this);
    this.resolveEnded();
  }
}
