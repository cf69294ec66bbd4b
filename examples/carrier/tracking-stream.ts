// Live tracking over WebSocket: GET /tracking/{tracking_number}/stream (an Upgrade request) opens
// a stream of the shipment's tracking events as JSON text messages, the ones so far first, then
// each new one as the parcel moves. The carrier's http server hands its 'upgrade' requests here;
// behind Portcullis the route takes the same API key as the REST API (examples/carrier/portcullis.yaml).
//
//   {"type":"tracking","tracking_number":"PC0000000001","status":"in_transit",
//    "event":{"at":"…","status":"in_transit","location":"Sorting hub, DE"}}
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ShipmentStore, Tracking } from './shipments.ts';

const STREAM_PATH = /^\/tracking\/([A-Za-z0-9]{1,32})\/stream$/;
const NOT_FOUND = JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'No shipment has this tracking number.' });

export interface TrackingStreamOptions {
  /** How often a connection looks for a new tracking event (the store's clock decides). */
  checkMs?: number;
}

/** Serves tracking streams on `server`'s upgrade requests. */
export function attachTrackingStream(server: Server, store: ShipmentStore, opts: TrackingStreamOptions = {}): void {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4096 });
  const checkMs = opts.checkMs ?? Math.min(1000, store.stepMs);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const m = STREAM_PATH.exec(new URL(req.url ?? '/', 'http://carrier').pathname);
    const trackingNumber = m?.[1];
    if (trackingNumber === undefined || store.tracking(trackingNumber) === undefined) {
      socket.end(`HTTP/1.1 404 Not Found\r\ncontent-type: application/problem+json\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(NOT_FOUND)}\r\n\r\n${NOT_FOUND}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => stream(ws, store, trackingNumber, checkMs));
  });
  server.on('close', () => wss.close());
}

function stream(ws: WebSocket, store: ShipmentStore, trackingNumber: string, checkMs: number): void {
  let sent = 0;
  const push = () => {
    const tracking = store.tracking(trackingNumber);
    if (!tracking) return ws.close(1000, 'shipment forgotten');
    // The demo parcel starts over once delivered: its timeline gets shorter again.
    if (tracking.events.length < sent) sent = 0;
    for (; sent < tracking.events.length; sent++) ws.send(JSON.stringify(message(tracking, sent)));
  };
  push();
  const timer = setInterval(push, checkMs);
  ws.on('close', () => clearInterval(timer));
  ws.on('error', () => ws.terminate());
  // Clients only listen; anything they send is ignored.
}

function message(tracking: Tracking, i: number) {
  return { type: 'tracking', tracking_number: tracking.tracking_number, status: tracking.events[i]!.status, event: tracking.events[i] };
}
