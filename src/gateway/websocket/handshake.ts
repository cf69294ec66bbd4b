// The client half of a WebSocket handshake, once the upstream has accepted: the 101 with the
// upstream's subprotocol (and the gateway's own fields), then the relay takes both connections.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { GatewayState } from '../state.ts';
import { Relay, type RelayInfo } from './relay.ts';
import { relaysOf } from './relays.ts';
import { ANSWER_FIELDS, CHOSEN_PROTOCOL, type HandshakeRequest, type RouteWebSocketRuntime } from './route-runtime.ts';

/** What the exchange needs to turn a handshake request into a proxied connection. */
export interface UpgradeRequest {
  readonly socket: Duplex;
  /** Bytes the client sent after the handshake request (the first frames, if it did not wait). */
  readonly head: Buffer;
}

/**
 * Completes the client's handshake once the upstream has accepted, with the upstream's
 * subprotocol, and starts relaying. `res` no longer owns the socket.
 */
export function completeHandshake(gw: GatewayState, rt: RouteWebSocketRuntime, req: IncomingMessage, res: ServerResponse, upgrade: UpgradeRequest, upstream: WebSocket, info: RelayInfo, answerFields: readonly string[]): void {
  const socket = upgrade.socket;
  res.detachSocket(socket as Socket);
  res.removeAllListeners('finish');
  const handshake = req as HandshakeRequest;
  handshake[CHOSEN_PROTOCOL] = upstream.protocol;
  handshake[ANSWER_FIELDS] = answerFields;
  // The client may leave before the 101 is written: the upstream must not stay open for it.
  const gone = () => upstream.terminate();
  socket.once('close', gone);
  rt.server.handleUpgrade(req, socket, upgrade.head, (client) => {
    socket.off('close', gone);
    const relays = relaysOf(gw);
    const relay = new Relay(client, upstream, { ...info, subprotocol: upstream.protocol }, {
      accessLog: gw.accessLog,
      logEnabled: () => gw.runtime.snapshot.settings.access_log,
      ended: (r) => relays.ended(r),
    });
    relays.add(relay);
    // The drain began while the upstream was still answering: this one closes with the rest.
    if (gw.draining) relay.shutdown();
  });
}
