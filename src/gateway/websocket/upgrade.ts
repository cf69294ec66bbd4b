// WebSocket handshakes arriving on the proxy listener. The handshake request is an ordinary
// exchange (edge checks, routing, rewrite and access plugins: keys, JWT, ACL, rate limits count
// connection attempts) answered through a ServerResponse on the raw socket; only at the upstream
// call does it turn into a WebSocket connection (see handshake-exchange.ts).
import { randomUUID } from 'node:crypto';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { sendProblem } from '../respond.ts';
import type { GatewayState } from '../state.ts';
import { HandshakeExchange } from './handshake-exchange.ts';

const KEY = /^[+/0-9A-Za-z]{22}==$/;

/** node:http's shouldUpgradeCallback: only WebSocket handshakes leave the HTTP request path. */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return req.method === 'GET' && upgrade !== undefined && upgrade.toLowerCase().split(',').some((t) => t.trim() === 'websocket');
}

/** The proxy listener's 'upgrade' handler. */
export function handleUpgrade(gw: GatewayState, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const res = new ServerResponse(req);
  // Every HTTP answer on this socket (a refusal) is its last.
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.on('finish', () => socket.end());
  socket.on('error', () => socket.destroy());
  // A malformed handshake is refused before any plugin or upstream sees it.
  const key = req.headers['sec-websocket-key'];
  const version = req.headers['sec-websocket-version'];
  if (key === undefined || !KEY.test(key) || version !== '13') {
    const detail = version !== undefined && version !== '13' ? 'Only WebSocket version 13 is supported.' : 'The WebSocket handshake is malformed.';
    sendProblem(res, 'bad-request', { requestId: randomUUID(), instance: undefined, close: true }, detail, version !== '13' ? { 'sec-websocket-version': '13' } : undefined);
    return;
  }
  new HandshakeExchange(gw, req, res, { socket, head }).start();
}
