// The proxy listener: node:http (its llhttp parser rejects the request-smuggling shapes), with
// the edge limits of RELIABILITY.md, and malformed requests answered 400 problem+json with
// Connection: close, never forwarded.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { FastLaneServer } from './http1/server.ts';
import type { Socket } from 'node:net';
import type { GatewaySettings } from '../core/config/schema.ts';
import { ERRORS, type ErrorCode } from '../core/errors/registry.ts';
import { PROBLEM_CONTENT_TYPE, problemJson } from '../core/errors/problem.ts';
import { clientErrors } from '../telemetry/metrics.ts';
import { handleRequest } from './exchange.ts';
import type { GatewayState } from './state.ts';
import { handleUpgrade, isWebSocketUpgrade } from './websocket/upgrade.ts';

function clientErrorCode(err: NodeJS.ErrnoException): ErrorCode {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW': return 'header-fields-too-large';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT': return 'request-timeout';
    case 'HPE_URI_TOO_LONG': return 'uri-too-long';
    default: return 'bad-request';
  }
}

/** Writes a problem straight to the socket (the parser failed, so there is no request object). */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  // Smuggling attempts and broken clients show up here; the parser's code says which.
  clientErrors.labels(err.code ?? 'unknown').inc();
  answerOnSocket(socket, clientErrorCode(err));
}

/** A problem written to the socket, which then closes (no request object to answer through). */
function answerOnSocket(socket: Socket, code: ErrorCode): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const def = ERRORS[code];
  const body = problemJson(code);
  socket.end(
    `HTTP/1.1 ${def.status} ${def.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.destroySoon();
}

export function createProxyServer(gw: GatewayState, settings: GatewaySettings): Server {
  const server = createServer({
    maxHeaderSize: settings.max_header_bytes,
    requestTimeout: settings.request_timeout_ms,
    headersTimeout: settings.headers_timeout_ms,
    keepAliveTimeout: settings.keep_alive_timeout_ms,
    connectionsCheckingInterval: 1000,
    // Host is checked by the exchange, so that a missing one gets a problem+json answer.
    requireHostHeader: false,
    // Duplicates are joined rather than silently dropped: forwarded faithfully, and two Host
    // fields become visible ("a, b") so the exchange can refuse them (RFC 9112 §3.2).
    joinDuplicateHeaders: true,
    insecureHTTPParser: false,
    noDelay: true,
    // Only WebSocket handshakes take the 'upgrade' path; any other Upgrade (h2c…) is served as a
    // plain HTTP/1.1 request, its Upgrade/Connection headers dropped as hop-by-hop.
    shouldUpgradeCallback: isWebSocketUpgrade,
  }, (req, res) => handleRequest(gw, req, res));
  // One more than allowed, so that "too many" is visible (node drops headers beyond the count).
  server.maxHeadersCount = settings.max_headers + 1;
  server.maxConnections = settings.max_connections;
  server.on('clientError', answerClientError);
  // WebSocket handshakes: routed and authorised like any request, then proxied (websocket/).
  server.on('upgrade', (req, socket, head) => handleUpgrade(gw, req, socket, head));
  return server;
}

/**
 * The proxy listener: node:http alone (gateway.http_engine "node"), or the fast lane in front of it
 * ("fast", http1/server.ts): simple bodyless requests are served on the fast lane, and a connection
 * moves to node:http at its first request that is not.
 */
export function createProxyListener(gw: GatewayState, settings: GatewaySettings): Server | FastLaneServer {
  const http = createProxyServer(gw, settings);
  if (settings.http_engine !== 'fast') return http;
  return new FastLaneServer(settings, {
    http,
    serve: (req, res) => handleRequest(gw, req as unknown as IncomingMessage, res as unknown as ServerResponse),
    draining: () => gw.draining,
    timedOut: (socket) => {
      clientErrors.labels('HPE_HEADERS_TIMEOUT').inc();
      answerOnSocket(socket, 'request-timeout');
    },
  });
}

export function applyServerSettings(server: Server | FastLaneServer, s: GatewaySettings): void {
  if (server instanceof FastLaneServer) {
    server.applySettings(s);
    return;
  }
  server.requestTimeout = s.request_timeout_ms;
  server.headersTimeout = s.headers_timeout_ms;
  server.keepAliveTimeout = s.keep_alive_timeout_ms;
  server.maxHeadersCount = s.max_headers + 1;
  server.maxConnections = s.max_connections;
}
