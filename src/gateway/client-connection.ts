// What the gateway keeps per client connection (keep-alive, pipelining) and per response kind:
// the number of requests started on a socket, whether a response will close it (drain), and
// event streams, whose headers must go out at once.
import type { IncomingMessage, ServerResponse } from 'node:http';

const STARTED = Symbol('portcullis.started');
const CLOSING = Symbol('portcullis.closing');
interface ClientSocket { [STARTED]?: number; [CLOSING]?: boolean }

/** Counts a request started on its connection; returns its number there (1, 2, … with pipelining). */
export function startOnConnection(req: IncomingMessage): number {
  const socket = req.socket as ClientSocket;
  return (socket[STARTED] = (socket[STARTED] ?? 0) + 1);
}

/** A response on this connection already closes it: requests pipelined behind it would be dropped. */
export function connectionClosing(req: IncomingMessage): boolean {
  return (req.socket as ClientSocket)[CLOSING] === true;
}

/**
 * During drain, the latest request on a connection is answered with Connection: close; one
 * pipelined ahead of another keeps the connection for the response behind it.
 */
export function closeIfLatest(req: IncomingMessage, res: ServerResponse, seqOnConnection: number): void {
  const socket = req.socket as ClientSocket;
  if (socket[STARTED] !== seqOnConnection) return;
  socket[CLOSING] = true;
  res.shouldKeepAlive = false;
}

/**
 * Server-sent events (text/event-stream): the client must see the headers at once (EventSource
 * reports the connection open on them, and the first event may be minutes away), and no plugin
 * may buffer the body, which only ends when the connection does.
 */
export function isEventStream(contentType: string | string[] | undefined): boolean {
  // A case-insensitive prefix test that allocates nothing (this runs on every response).
  return typeof contentType === 'string' && EVENT_STREAM.test(contentType);
}
const EVENT_STREAM = /^text\/event-stream/i;
