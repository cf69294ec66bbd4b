// What a WebSocket route needs at handshake time, built once per compiled route (so once per
// config snapshot) rather than per connection: the Origin check, the ws server that completes
// client handshakes with the route's message limit, and the route's metric series.
import type { IncomingMessage } from 'node:http';
import { WebSocketServer } from 'ws';
import type { RouteWebSocket } from '../../core/config/schema.ts';
import type { CompiledRoute } from '../../core/snapshot/compile.ts';
import type { CounterSeries } from '../../telemetry/fast-series.ts';
import { websocketBytes, websocketMessages } from '../../telemetry/metrics.ts';
import { compileOrigins, type OriginCheck } from './origin.ts';

/** The subprotocol the upstream chose, carried on the request to the client handshake. */
export const CHOSEN_PROTOCOL = Symbol('portcullis.websocket.protocol');
/** Fields the gateway adds to the client's 101 (request id, Via, plugins' answer fields), as a flat list. */
export const ANSWER_FIELDS = Symbol('portcullis.websocket.answer');
export interface HandshakeRequest extends IncomingMessage {
  [CHOSEN_PROTOCOL]?: string;
  [ANSWER_FIELDS]?: readonly string[];
}

/** The ws server's 'headers' event: the gateway's fields go on the 101 too. */
function addAnswerFields(headers: string[], req: IncomingMessage): void {
  const fields = (req as HandshakeRequest)[ANSWER_FIELDS];
  if (fields === undefined) return;
  for (let i = 0; i < fields.length; i += 2) headers.push(`${fields[i]}: ${fields[i + 1]}`);
}

export interface RouteWebSocketRuntime {
  readonly name: string;
  readonly service: string;
  readonly settings: RouteWebSocket;
  readonly originAllowed: OriginCheck;
  /** Completes client handshakes (noServer: the gateway's listener hands it the sockets). */
  readonly server: WebSocketServer;
  readonly metrics: {
    readonly messagesUp: CounterSeries;
    readonly bytesUp: CounterSeries;
    readonly messagesDown: CounterSeries;
    readonly bytesDown: CounterSeries;
  };
}

const byRoute = new WeakMap<CompiledRoute, RouteWebSocketRuntime | null>();

/** The route's WebSocket runtime, or undefined when the route does not proxy WebSocket. */
export function webSocketRuntimeOf(route: CompiledRoute): RouteWebSocketRuntime | undefined {
  let rt = byRoute.get(route);
  if (rt === undefined) {
    rt = build(route);
    byRoute.set(route, rt);
  }
  return rt ?? undefined;
}

function build(route: CompiledRoute): RouteWebSocketRuntime | null {
  const settings = route.config.websocket;
  if (settings === undefined || !settings.enabled) return null;
  const service = route.service.name;
  const labels = (direction: string) => ({ service, route: route.name, direction });
  const server = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    // Frames are relayed as they are: compression would make the gateway inflate and deflate
    // every message (CPU, and memory per connection), and would hide message sizes from the limit.
    perMessageDeflate: false,
    maxPayload: settings.max_message_bytes,
    // The client gets the subprotocol the upstream picked, or none.
    handleProtocols: (_offered, req) => (req as HandshakeRequest)[CHOSEN_PROTOCOL] || false,
  });
  server.on('headers', addAnswerFields);
  return {
    name: route.name,
    service,
    settings,
    originAllowed: compileOrigins(settings.origins),
    server,
    metrics: {
      messagesUp: websocketMessages.with(labels('client_to_upstream')),
      bytesUp: websocketBytes.with(labels('client_to_upstream')),
      messagesDown: websocketMessages.with(labels('upstream_to_client')),
      bytesDown: websocketBytes.with(labels('upstream_to_client')),
    },
  };
}
