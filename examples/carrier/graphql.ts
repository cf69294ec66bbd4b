// The carrier's GraphQL tracking API: a schema over the same shipment store as the REST API,
// served with graphql-js at /graphql (GET for queries, POST with a JSON body). Like the REST
// side, it is an ordinary service: Portcullis in front does the checking (docs/graphql.md).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildSchema, graphql, type ExecutionResult } from 'graphql';
import { readJsonBody } from './body.ts';
import type { ShipmentStore, Tracking } from './shipments.ts';

export const CARRIER_GRAPHQL_PATH = '/graphql';

/** The schema, also the document Portcullis checks operations against (portcullis.yaml inlines it). */
export const CARRIER_SDL = `"""Parcel tracking: the carrier's shipments and labels."""
type Query {
  "A shipment by tracking number. PC0000000001 always exists."
  shipment(trackingNumber: ID!): Shipment
  "Several shipments at once; unknown numbers are left out. first: at most this many (default 10)."
  shipments(trackingNumbers: [ID!]!, first: Int): [Shipment!]!
  "A label bought through POST /labels."
  label(id: ID!): Label
}

type Shipment {
  trackingNumber: ID!
  status: TrackingStatus!
  "Tracking events, oldest first; last: only the most recent ones."
  events(last: Int): [TrackingEvent!]!
}

type TrackingEvent {
  at: String!
  status: TrackingStatus!
  location: String!
}

type Label {
  id: ID!
  trackingNumber: ID!
  service: String!
  amount: Float!
  currency: String!
  labelUrl: String!
  createdAt: String!
  "The parcel this label ships."
  shipment: Shipment
}

enum TrackingStatus { label_created in_transit out_for_delivery delivered }
`;

const schema = buildSchema(CARRIER_SDL);
const MAX_SHIPMENTS = 50;

function shipmentOf(t: Tracking): Record<string, unknown> {
  return {
    trackingNumber: t.tracking_number,
    status: t.status,
    events: ({ last }: { last?: number }) => (last !== undefined && last >= 0 ? t.events.slice(Math.max(0, t.events.length - last)) : t.events),
  };
}

function rootOf(store: ShipmentStore): Record<string, unknown> {
  const shipment = (number: string) => {
    const t = store.tracking(number);
    return t === undefined ? null : shipmentOf(t);
  };
  return {
    shipment: ({ trackingNumber }: { trackingNumber: string }) => shipment(trackingNumber),
    shipments: ({ trackingNumbers, first }: { trackingNumbers: string[]; first?: number }) =>
      trackingNumbers.slice(0, Math.min(MAX_SHIPMENTS, first ?? 10)).map(shipment).filter((s) => s !== null),
    label: ({ id }: { id: string }) => {
      const l = store.label(id);
      if (l === undefined) return null;
      return {
        id: l.label_id, trackingNumber: l.tracking_number, service: l.service, amount: l.amount, currency: l.currency,
        labelUrl: l.label_url, createdAt: l.created_at, shipment: () => shipment(l.tracking_number),
      };
    },
  };
}

function send(res: ServerResponse, status: number, body: ExecutionResult | { errors: { message: string }[] }, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

interface Params { query?: unknown; variables?: unknown; operationName?: unknown }

async function paramsOf(req: IncomingMessage): Promise<Params> {
  if (req.method === 'POST') return (await readJsonBody(req)) as Params;
  const q = new URL(req.url ?? '/', 'http://carrier').searchParams;
  const variables = q.get('variables');
  return { query: q.get('query') ?? undefined, variables: variables ? JSON.parse(variables) as unknown : undefined, operationName: q.get('operationName') ?? undefined };
}

/** Answers a request for /graphql; returns false for any other path (the REST routes take it). */
export function handleGraphql(req: IncomingMessage, res: ServerResponse, store: ShipmentStore): boolean {
  const url = req.url ?? '/';
  const path = url.split('?', 1)[0];
  if (path !== CARRIER_GRAPHQL_PATH) return false;
  if (req.method !== 'GET' && req.method !== 'POST') {
    send(res, 405, { errors: [{ message: 'Use GET or POST.' }] }, { allow: 'GET, POST' });
    return true;
  }
  paramsOf(req).then(async (p) => {
    if (typeof p !== 'object' || p === null || typeof p.query !== 'string') return send(res, 400, { errors: [{ message: 'A query is required.' }] });
    const result = await graphql({
      schema, source: p.query, rootValue: rootOf(store),
      variableValues: typeof p.variables === 'object' && p.variables !== null ? p.variables as Record<string, unknown> : null,
      operationName: typeof p.operationName === 'string' ? p.operationName : null,
    });
    send(res, 200, result);
  }).catch(() => {
    if (!res.headersSent) send(res, 400, { errors: [{ message: 'The request body is not valid JSON.' }] });
  });
  return true;
}
