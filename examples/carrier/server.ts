// The carrier sample API: the upstream Portcullis fronts in the quickstart (`npm start` spawns
// this file as its own process, see src/cli/demo.ts). Plain node:http on purpose: the example
// should show what the gateway sees from an ordinary service, with no framework in between.
//
//   npx node examples/carrier/server.ts [--port N]     (or PORT=N; default 9001, 127.0.0.1)
//       [--events-url URL]   publish shipment events there (or PORTCULLIS_EVENTS_URL), with the
//                            bearer token in PORTCULLIS_EVENTS_TOKEN; see events.ts
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { MAX_BODY_BYTES, readJsonBody } from './body.ts';
import { ShipmentEvents, type EventsOptions } from './events.ts';
import { handleGraphql } from './graphql.ts';
import { renderLabelPdf } from './label-pdf.ts';
import { CarrierProblem, sendJson, sendProblem } from './problem.ts';
import { quoteAll, quoteFor } from './rates.ts';
import { ShipmentStore, type Label, type StoreOptions } from './shipments.ts';
import { attachTrackingStream } from './tracking-stream.ts';
import { parseLabelRequest, parseRateRequest } from './validate.ts';
import { ShipNotices, getAsn, postAsn } from './asn.ts';

// Loaded once at startup: openapi.yaml is the one source, /openapi.json is its JSON rendering.
// A broken document fails the process at start rather than on the first request.
const OPENAPI: unknown = parseYaml(readFileSync(new URL('./openapi.yaml', import.meta.url), 'utf8'));

interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  /** The route pattern's capture, e.g. the label id. */
  param: string;
  store: ShipmentStore;
  /** Present when the carrier publishes webhook events. */
  events: ShipmentEvents | undefined;
  /** Ship notices received through the gateway's EDI route (asn.ts). */
  notices: ShipNotices;
}

type Handler = (ctx: Context) => void | Promise<void>;

interface Route {
  /** The OpenAPI path template, so tests can check the document covers every route. */
  path: string;
  pattern: RegExp;
  methods: Record<string, Handler>;
}

/**
 * Links in responses are relative to where the client sees this API. Behind a gateway that
 * strips a path prefix (Portcullis sends X-Forwarded-Prefix, e.g. "/carrier"), they get it back.
 */
function forwardedPrefix(req: IncomingMessage): string {
  const prefix = req.headers['x-forwarded-prefix'];
  return typeof prefix === 'string' && /^(\/[A-Za-z0-9._~-]+)+$/.test(prefix) ? prefix : '';
}

function withPrefix(label: Label, prefix: string): Label {
  return prefix === '' ? label : { ...label, label_url: prefix + label.label_url };
}

const notFound = (what: string) => new CarrierProblem('not-found', { detail: `No ${what} exists with this identifier.` });

const ROUTES: Route[] = [
  {
    path: '/rates',
    pattern: /^\/rates$/,
    methods: {
      POST: async ({ req, res }) => {
        const request = parseRateRequest(await readJsonBody(req));
        sendJson(res, 200, { quotes: quoteAll(request) });
      },
    },
  },
  {
    path: '/labels',
    pattern: /^\/labels$/,
    methods: {
      POST: async ({ req, res, store, events }) => {
        const request = parseLabelRequest(await readJsonBody(req));
        // The validator already refused services the route does not offer.
        const quote = quoteFor(request, request.service);
        if (!quote) throw new CarrierProblem('internal');
        const label = store.create(request, quote);
        const prefix = forwardedPrefix(req);
        sendJson(res, 201, withPrefix(label, prefix), { location: `${prefix}/labels/${label.label_id}` });
        events?.labelCreated(label, request);
      },
    },
  },
  // Before /labels/{label_id}, whose pattern would also match "lbl_….pdf".
  {
    path: '/labels/{label_id}.pdf',
    pattern: /^\/labels\/([^/]+)\.pdf$/,
    methods: {
      GET: ({ res, param, store }) => {
        const shipment = store.shipment(param);
        if (!shipment) throw notFound('label');
        const pdf = renderLabelPdf(shipment.label, shipment.request);
        res.writeHead(200, {
          'content-type': 'application/pdf',
          'content-length': String(pdf.length),
          'content-disposition': `inline; filename="${shipment.label.label_id}.pdf"`,
        });
        res.end(pdf);
      },
    },
  },
  {
    path: '/labels/{label_id}',
    pattern: /^\/labels\/([^/]+)$/,
    methods: {
      GET: ({ req, res, param, store }) => {
        const label = store.label(param);
        if (!label) throw notFound('label');
        sendJson(res, 200, withPrefix(label, forwardedPrefix(req)));
      },
    },
  },
  {
    path: '/tracking/{tracking_number}',
    pattern: /^\/tracking\/([^/]+)$/,
    methods: {
      GET: ({ res, param, store }) => {
        const tracking = store.tracking(param);
        if (!tracking) throw notFound('shipment');
        sendJson(res, 200, tracking);
      },
    },
  },
  // Ship notices: JSON the gateway's edi plugin makes from a shop's X12 856 (asn.ts).
  { path: '/asn', pattern: /^\/asn$/, methods: { POST: ({ req, res, notices }) => postAsn(req, res, notices) } },
  { path: '/asn/{notice_id}', pattern: /^\/asn\/([^/]+)$/, methods: { GET: ({ res, param, notices }) => getAsn(res, param, notices) } },
  { path: '/health', pattern: /^\/health$/, methods: { GET: ({ res }) => sendJson(res, 200, { status: 'ok' }) } },
  { path: '/openapi.json', pattern: /^\/openapi\.json$/, methods: { GET: ({ res }) => sendJson(res, 200, OPENAPI) } },
];

/** Every path template and its methods, as served (HEAD is implied wherever GET is). */
export const CARRIER_ROUTES: ReadonlyArray<{ path: string; methods: string[] }> = ROUTES.map((r) => ({ path: r.path, methods: Object.keys(r.methods) }));

async function dispatch(req: IncomingMessage, res: ServerResponse, store: ShipmentStore, events: ShipmentEvents | undefined, notices: ShipNotices): Promise<void> {
  // Only the path matters; the query string is ignored rather than parsed with URL, which would
  // also resolve "//host" and dot segments in ways the gateway in front does not.
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  try {
    let route: Route | undefined;
    let param = '';
    for (const r of ROUTES) {
      const m = r.pattern.exec(path);
      if (m) {
        route = r;
        param = m[1] ?? '';
        break;
      }
    }
    if (!route) throw new CarrierProblem('not-found', { detail: 'No resource exists at this path.' });
    const method = req.method ?? 'GET';
    // HEAD is GET without the body; node:http drops the body of a HEAD response itself.
    const handler = route.methods[method] ?? (method === 'HEAD' ? route.methods.GET : undefined);
    if (!handler) {
      const allow = Object.keys(route.methods);
      if (allow.includes('GET')) allow.push('HEAD');
      throw new CarrierProblem('method-not-allowed', {
        detail: `${method} is not allowed here; use ${allow.join(' or ')}.`,
        headers: { allow: allow.join(', ') },
      });
    }
    await handler({ req, res, param, store, events, notices });
  } catch (err) {
    // Client gone or response already started: there is no one left to tell.
    if (res.headersSent || res.destroyed) return;
    if (!(err instanceof CarrierProblem)) console.error('carrier: unexpected error', err);
    sendProblem(res, err instanceof CarrierProblem ? err : new CarrierProblem('internal'), path);
  }
}

export interface CarrierOptions extends StoreOptions {
  /** Publish shipment events to Portcullis; without it the carrier publishes nothing. */
  events?: EventsOptions;
}

export interface Carrier {
  server: http.Server;
  store: ShipmentStore;
  events: ShipmentEvents | undefined;
  notices: ShipNotices;
}

/** The carrier API server (not yet listening), its store and its event publisher. */
export function createCarrier(options: CarrierOptions = {}): Carrier {
  const store = new ShipmentStore(options);
  const events = options.events ? new ShipmentEvents(store, { ...options.events, ...(options.now ? { now: options.now } : {}) }) : undefined;
  const notices = new ShipNotices(options.now);
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    // The GraphQL tracking API (graphql.ts) at /graphql, beside the REST routes.
    if (handleGraphql(req, res, store)) return;
    // dispatch catches everything it can answer; this is the last line against a crash.
    dispatch(req, res, store, events, notices).catch(() => res.destroy());
  };
  const server = http.createServer(handle);
  // curl sends `Expect: 100-continue` for large bodies. node:http would say "continue" to
  // anything; refusing an oversized declared length here spares the client the upload.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!(Number(req.headers['content-length']) > MAX_BODY_BYTES)) res.writeContinue();
    handle(req, res);
  });
  server.on('close', () => events?.close());
  // Live tracking over WebSocket: GET /tracking/{tracking_number}/stream.
  attachTrackingStream(server, store);
  return { server, store, events, notices };
}

/** A carrier API server, not yet listening. Options exist for tests (clock, tracking step, events). */
export function createCarrierServer(options: CarrierOptions = {}): http.Server {
  return createCarrier(options).server;
}

const USAGE = 'usage: server.ts [--port N] [--events-url URL]';

function optionsFromArgs(): { port: number; eventsUrl: string | undefined } {
  let raw: string;
  let eventsUrl: string | undefined;
  try {
    const { values } = parseArgs({ options: { port: { type: 'string' }, 'events-url': { type: 'string' } }, strict: true });
    raw = values.port ?? process.env.PORT ?? '9001';
    eventsUrl = values['events-url'] ?? (process.env.PORTCULLIS_EVENTS_URL || undefined);
  } catch (err) {
    console.error(`carrier: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const port = Number(raw);
  if (!/^\d{1,5}$/.test(raw) || port > 65535) {
    console.error(`carrier: invalid port ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  if (eventsUrl !== undefined && !/^https?:$/.test(URL.parse(eventsUrl)?.protocol ?? '')) {
    console.error(`carrier: --events-url must be an http(s) URL, not ${JSON.stringify(eventsUrl)}`);
    process.exit(2);
  }
  return { port, eventsUrl };
}

function main(): void {
  const { port, eventsUrl } = optionsFromArgs();
  const token = process.env.PORTCULLIS_EVENTS_TOKEN || undefined;
  const { server } = createCarrier(eventsUrl === undefined ? {} : { events: { url: eventsUrl, ...(token ? { token } : {}) } });
  server.on('error', (err) => {
    console.error(`carrier: cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => {
    console.log(`carrier listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    if (eventsUrl !== undefined) console.log(`carrier publishing shipment events to ${eventsUrl}${token ? '' : ' (no PORTCULLIS_EVENTS_TOKEN: Portcullis will refuse them)'}`);
  });
  const shutdown = () => {
    // Stop accepting, let in-flight requests finish, then the empty event loop exits with 0.
    // Connections still open after 5 s are cut so a stuck client cannot hold the process.
    server.close();
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5000).unref();
  };
  // once: a second Ctrl+C gets node's default behaviour and exits immediately.
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (import.meta.main) main();
