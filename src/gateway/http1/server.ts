// The proxy listener with the fast lane (gateway.http_engine: fast): a node:net server whose
// connections start on the fast lane (connection.ts) and move to an inner node:http server, which
// never listens itself, at the first request the fast lane does not take. Both halves share the
// gateway's settings; drain and shutdown reach the connections of both.
import { Server as NetServer, type Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { GatewaySettings } from '../../core/config/schema.ts';
import { fastLaneHandoffs, fastLaneRequests } from '../../telemetry/metrics.ts';
import { FastConnection, type FastLaneHost } from './connection.ts';
import type { HeadLimits } from './parse-head.ts';
import type { FastRequest } from './request.ts';
import type { FastResponse } from './response.ts';

/** How often the header and keep-alive timeouts are checked (node:http's connectionsCheckingInterval). */
const SWEEP_MS = 1000;

export interface FastLaneOptions {
  /** node:http with the gateway's options and handlers (server.ts createProxyServer), not listening. */
  readonly http: HttpServer;
  serve(req: FastRequest, res: FastResponse): void;
  /** Is the gateway draining (shutdown)? */
  draining(): boolean;
  /** Answers a head not received in time (408 problem, Connection: close). */
  timedOut(socket: Socket): void;
}

export class FastLaneServer extends NetServer implements FastLaneHost {
  readonly #http: HttpServer;
  readonly #opts: FastLaneOptions;
  readonly #connections = new Set<FastConnection>();
  #sweeper: NodeJS.Timeout | undefined;
  limits: HeadLimits;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;

  constructor(settings: GatewaySettings, opts: FastLaneOptions) {
    super({ noDelay: true });
    this.#http = opts.http;
    this.#opts = opts;
    this.limits = limitsOf(settings);
    this.keepAliveTimeoutMs = settings.keep_alive_timeout_ms;
    this.headersTimeoutMs = settings.headers_timeout_ms;
    this.maxConnections = settings.max_connections;
    // node:http tracks its connections (header/request timeouts, closeIdleConnections) from the
    // moment it starts listening; this one never listens, so start that tracking now.
    this.#http.emit('listening');
    this.on('connection', (socket: Socket) => this.#connections.add(new FastConnection(this, socket)));
    this.on('listening', () => {
      this.#sweeper = setInterval(() => {
        const now = Date.now();
        for (const conn of this.#connections) conn.sweep(now);
      }, SWEEP_MS);
      this.#sweeper.unref();
    });
  }

  get draining(): boolean {
    return this.#opts.draining();
  }

  serve(req: FastRequest, res: FastResponse): void {
    fastLaneRequests.inc();
    this.#opts.serve(req, res);
  }

  handOff(socket: Socket, unread: Buffer | undefined): void {
    fastLaneHandoffs.inc();
    if (unread !== undefined) socket.unshift(unread);
    this.#http.emit('connection', socket);
    socket.resume();
  }

  timedOut(socket: Socket): void {
    this.#opts.timedOut(socket);
  }

  connectionEnded(conn: FastConnection): void {
    this.#connections.delete(conn);
  }

  applySettings(s: GatewaySettings): void {
    this.limits = limitsOf(s);
    this.keepAliveTimeoutMs = s.keep_alive_timeout_ms;
    this.headersTimeoutMs = s.headers_timeout_ms;
    this.maxConnections = s.max_connections;
  }

  closeIdleConnections(): void {
    for (const conn of this.#connections) if (conn.idle) conn.close();
    this.#http.closeIdleConnections();
  }

  closeAllConnections(): void {
    for (const conn of this.#connections) conn.close();
    this.#http.closeAllConnections();
  }

  override close(cb?: (err?: Error) => void): this {
    clearInterval(this.#sweeper);
    super.close(cb);
    // Stops node:http's connection checks (its timer); its connections are closed by the calls above.
    this.#http.close();
    return this;
  }
}

function limitsOf(s: GatewaySettings): HeadLimits {
  return { maxHeaderBytes: s.max_header_bytes, maxHeaders: s.max_headers };
}
