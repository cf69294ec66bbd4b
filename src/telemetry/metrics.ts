// Prometheus metrics of the data plane. Label sets per route are resolved once and cached, so a
// request costs two array look-ups and two increments.
import client from 'prom-client';
import { FastCounter, FastHistogram, type CounterSeries, type HistogramSeries } from './fast-series.ts';

/** Per-process data-plane metrics (aggregated across workers by the supervisor). */
export const registry = client.register;
/** Metrics only the supervisor owns (one per node: health verdicts, reloads). */
export const controlRegistry = new client.Registry();

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

// Per-request metrics: hot-path series (see fast-series.ts).
export const requestsTotal = new FastCounter('portcullis_http_requests_total', 'Requests answered by the gateway, by service, route and status class.', registry);
export const requestDuration = new FastHistogram('portcullis_http_request_duration_seconds', 'Time from request arrival to the last response byte, by service, route and status class.', LATENCY_BUCKETS, registry);
export const upstreamDuration = new FastHistogram('portcullis_upstream_response_seconds', 'Time from dispatch to upstream response headers, by service and target.', LATENCY_BUCKETS, registry);

/** The fast lane (gateway.http_engine: fast): requests it served, and connections it handed to node:http. */
export const fastLaneRequests = new client.Counter({
  name: 'portcullis_http_fast_lane_requests_total',
  help: 'Requests parsed and answered on the fast lane (gateway.http_engine: fast) rather than by node:http.',
});
export const fastLaneHandoffs = new client.Counter({
  name: 'portcullis_http_fast_lane_handoffs_total',
  help: 'Client connections the fast lane handed to node:http, at their first request it does not take (a body, an upgrade, anything unusual).',
});

export const clientErrors = new client.Counter({
  name: 'portcullis_http_client_errors_total',
  help: 'Connections answered 4xx by the HTTP parser before a request existed (framing errors, oversized headers, timeouts), by error code.',
  labelNames: ['code'] as const,
});

export const upstreamErrors = new client.Counter({
  name: 'portcullis_upstream_errors_total',
  help: 'Failed upstream attempts, by service, target and kind.',
  labelNames: ['service', 'target', 'kind'] as const,
});

export const oauth2Requests = new client.Counter({
  name: 'portcullis_oauth2_requests_total',
  help: 'Requests to the built-in OAuth2 server, by endpoint and outcome (issued, active, inactive, revoked, or the OAuth2 error code).',
  labelNames: ['endpoint', 'outcome'] as const,
});

export const pluginEvents = new client.Counter({
  name: 'portcullis_plugin_events_total',
  help: 'Notable plugin outcomes, by plugin, event, service and route (e.g. request-validator response-invalid).',
  labelNames: ['plugin', 'event', 'service', 'route'] as const,
});

export const quotaRequests = new client.Counter({
  name: 'portcullis_quota_requests_total',
  help: 'Requests checked by the quota plugin, by service and outcome (allowed, exceeded, no_plan, failed).',
  labelNames: ['service', 'outcome'] as const,
});

export const upstreamRetries = new client.Counter({
  name: 'portcullis_upstream_retries_total',
  help: 'Retried upstream attempts, by service.',
  labelNames: ['service'] as const,
});

export const targetHealth = new client.Gauge({
  name: 'portcullis_upstream_target_healthy',
  help: '1 when the target is healthy, 0 when health checks took it out.',
  labelNames: ['service', 'target'] as const,
  registers: [controlRegistry],
});

export const configInfo = new client.Gauge({
  name: 'portcullis_config_info',
  help: 'The config version each process serves (value 1).',
  labelNames: ['version'] as const,
  aggregator: 'sum',
});

export const configRevision = new client.Gauge({
  name: 'portcullis_config_revision',
  help: 'Store revision of the config this node serves (compare across nodes to spot stale ones; 0 in file mode).',
  registers: [controlRegistry],
});

const STORE_UP = 'portcullis_config_store_up';
let storeUpSource: () => boolean | undefined = () => undefined;

export const configStoreUp = new client.Gauge({
  name: STORE_UP,
  help: '1 while the config store is reachable, 0 while the node serves its last snapshot without it (absent in file mode).',
  registers: [controlRegistry],
  collect() {
    this.set(storeUpSource() ? 1 : 0);
  },
});

/** Where portcullis_config_store_up reads from; undefined (file mode: no store) drops the series. */
export function setStoreUpSource(source: (() => boolean | undefined) | undefined): void {
  storeUpSource = source ?? (() => undefined);
  const registered = controlRegistry.getSingleMetric(STORE_UP) !== undefined;
  if (source && !registered) controlRegistry.registerMetric(configStoreUp);
  if (!source && registered) controlRegistry.removeSingleMetric(STORE_UP);
}

export const configReloads = new client.Counter({
  name: 'portcullis_config_reloads_total',
  help: 'Config reloads, by result.',
  labelNames: ['result'] as const,
  registers: [controlRegistry],
});

let inFlightSource: () => number = () => 0;
export const inFlightRequests = new client.Gauge({
  name: 'portcullis_http_requests_in_flight',
  help: 'Requests being processed.',
  aggregator: 'sum',
  // Read at scrape time, so the hot path pays nothing for it.
  collect() { this.set(inFlightSource()); },
});

/** Where the in-flight gauge reads its value (the gateway's own counter). */
export function trackInFlight(source: () => number): void {
  inFlightSource = source;
}

let defaultsStarted = false;
export function collectProcessMetrics(): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  client.collectDefaultMetrics({ prefix: 'portcullis_' });
}

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Metric series of one (service, route), one per status class. */
export interface RouteMetrics {
  readonly count: CounterSeries[];
  readonly duration: HistogramSeries[];
}

const routeMetricsCache = new Map<string, RouteMetrics>();

export function routeMetrics(service: string, route: string): RouteMetrics {
  const key = `${service}\u0000${route}`;
  let m = routeMetricsCache.get(key);
  if (!m) {
    m = {
      count: STATUS_CLASSES.map((c) => requestsTotal.with({ service, route, status_class: c })),
      duration: STATUS_CLASSES.map((c) => requestDuration.with({ service, route, status_class: c })),
    };
    routeMetricsCache.set(key, m);
  }
  return m;
}

/** Resolved once per compiled route (a new snapshot's routes resolve again, to the same series). */
const seriesOfRoute = new WeakMap<object, RouteMetrics>();
const UNMATCHED = routeMetrics('', '');

/** The series of a matched route, or those of requests that matched none. */
export function metricsOfRoute(route: { readonly name: string; readonly service: { readonly name: string } } | undefined): RouteMetrics {
  if (route === undefined) return UNMATCHED;
  let m = seriesOfRoute.get(route);
  if (m === undefined) { m = routeMetrics(route.service.name, route.name); seriesOfRoute.set(route, m); }
  return m;
}

export function statusClassIndex(status: number): number {
  const i = Math.floor(status / 100) - 1;
  return i < 0 ? 0 : i > 4 ? 4 : i;
}

export function upstreamTimer(service: string, target: string): HistogramSeries {
  return upstreamDuration.with({ service, target });
}

export const rateLimitDecisions = new FastCounter('portcullis_rate_limit_decisions_total', 'rate-limiting decisions, by plugin instance (where it is attached) and outcome: allowed, limited, fallback (the shared counter failed and the per-node count decided), refused (fail-closed), or unlimited (no limits apply to the caller).', registry);

export const counterBackendErrors = new client.Counter({
  name: 'portcullis_counter_backend_errors_total',
  help: 'Rate-limit and quota counts that failed, by backend (redis, supervisor) and reason (unavailable, error).',
  labelNames: ['backend', 'reason'] as const,
});

export const counterBackendCalls = new client.Counter({
  name: 'portcullis_counter_backend_calls_total',
  help: 'Calls to a counter backend, each carrying the counts of one event-loop turn, by backend: redis (script calls) or supervisor (IPC messages from a worker to the node-wide counter).',
  labelNames: ['backend'] as const,
});

export const counterLeased = new FastCounter('portcullis_counter_leased_total', 'Rate-limit and quota counts a worker decided by itself from a lease the supervisor lent it on a busy key or subject, without asking (several workers only).', registry);

export const counterBackendUp = new client.Gauge({
  name: 'portcullis_counter_backend_up',
  help: '1 while the shared counter backend answers, 0 during an outage (per process; the cluster view is the minimum).',
  labelNames: ['backend'] as const,
  aggregator: 'min',
});
// ---- resilience plugins (circuit-breaker, concurrency-limit) --------------------------------
// Their state lives in each gateway process; these series are read at scrape time from sources
// the gateway registers, so requests pay nothing for them.

export interface BreakerSample { readonly service: string; readonly target: string; readonly state: number }
let breakerSource: () => readonly BreakerSample[] = () => [];

export const breakerState = new client.Gauge({
  name: 'portcullis_circuit_breaker_state',
  help: 'Circuit breaker state by service and target (target "" is the service breaker): 0 closed, 1 half-open, 2 open. Across workers, the worst.',
  labelNames: ['service', 'target'] as const,
  // Each worker has its own breakers: a sum of states means nothing, the worst one does.
  aggregator: 'max',
  collect() {
    this.reset();
    for (const s of breakerSource()) this.labels(s.service, s.target).set(s.state);
  },
});

export const breakerTransitions = new client.Counter({
  name: 'portcullis_circuit_breaker_transitions_total',
  help: 'Circuit breaker state changes, by service, target ("" for the service breaker) and new state.',
  labelNames: ['service', 'target', 'state'] as const,
});

export function setBreakerSource(source: () => readonly BreakerSample[]): void {
  breakerSource = source;
}

export interface LimiterSample { readonly scope: string; readonly name: string; readonly inFlight: number; readonly queued: number; readonly rejected: Readonly<Record<string, number>> }
let limiterSource: () => readonly LimiterSample[] = () => [];

export const concurrencyInFlight = new client.Gauge({
  name: 'portcullis_concurrency_limit_in_flight',
  help: 'Requests holding a concurrency-limit slot, by scope (route or service) and name.',
  labelNames: ['scope', 'name'] as const,
  aggregator: 'sum',
  collect() {
    this.reset();
    for (const s of limiterSource()) this.labels(s.scope, s.name).set(s.inFlight);
  },
});

export const concurrencyQueued = new client.Gauge({
  name: 'portcullis_concurrency_limit_queued',
  help: 'Requests waiting for a concurrency-limit slot, by scope and name.',
  labelNames: ['scope', 'name'] as const,
  aggregator: 'sum',
  collect() {
    this.reset();
    for (const s of limiterSource()) this.labels(s.scope, s.name).set(s.queued);
  },
});

export const concurrencyRejections = new client.Counter({
  name: 'portcullis_concurrency_limit_rejections_total',
  help: 'Requests refused by concurrency-limit, by scope, name and reason (queue-full, queue-timeout).',
  labelNames: ['scope', 'name', 'reason'] as const,
  collect() {
    // The limiter registry keeps the totals per scope key; the series mirror them.
    this.reset();
    for (const s of limiterSource()) for (const [reason, n] of Object.entries(s.rejected)) if (n > 0) this.labels(s.scope, s.name, reason).inc(n);
  },
});

export function setLimiterSource(source: () => readonly LimiterSample[]): void {
  limiterSource = source;
}

// --- webhooks (the worker role; on the supervisor's registry) --------------------------------
export const webhookAttempts = new client.Counter({
  name: 'portcullis_webhook_attempts_total',
  help: 'Webhook delivery attempts, by outcome (succeeded: a 2xx answer; failed: anything else).',
  labelNames: ['outcome'] as const,
  registers: [controlRegistry],
});
export const webhookAttemptSeconds = new client.Histogram({
  name: 'portcullis_webhook_attempt_seconds',
  help: 'Time from sending a webhook to the end of the receiver\'s answer.',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
  registers: [controlRegistry],
});
export const webhookDeadLetters = new client.Counter({
  name: 'portcullis_webhook_dead_letters_total',
  help: 'Webhook deliveries that failed their last scheduled attempt (kept for resend and replay).',
  registers: [controlRegistry],
});
export const webhookEndpointsDisabled = new client.Counter({
  name: 'portcullis_webhook_endpoints_disabled_total',
  help: 'Webhook endpoints disabled for failing without a success for too long.',
  registers: [controlRegistry],
});
export const webhookInFlight = new client.Gauge({
  name: 'portcullis_webhook_in_flight',
  help: 'Webhook deliveries being sent by this node\'s worker.',
  registers: [controlRegistry],
});
export const webhookPublished = new client.Counter({
  name: 'portcullis_webhook_messages_published_total',
  help: 'Webhook messages published through this node (duplicates by idempotency key not counted), by source: api or platform.',
  labelNames: ['source'] as const,
  registers: [controlRegistry],
});

// WebSocket proxying (src/gateway/websocket/). Messages and bytes are hot-path series; opens and
// closes happen once per connection.
export const websocketConnections = new client.Gauge({
  name: 'portcullis_websocket_connections',
  help: 'Proxied WebSocket connections open now, by service and route.',
  labelNames: ['service', 'route'] as const,
  aggregator: 'sum',
});
export const websocketMessages = new FastCounter('portcullis_websocket_messages_total', 'WebSocket messages relayed, by service, route and direction (client_to_upstream, upstream_to_client).', registry);
export const websocketBytes = new FastCounter('portcullis_websocket_bytes_total', 'WebSocket message payload bytes relayed, by service, route and direction.', registry);
export const websocketCloses = new client.Counter({
  name: 'portcullis_websocket_closes_total',
  help: 'Proxied WebSocket connections closed, by service, route, the close code on the client side and who closed first (client, upstream or gateway).',
  labelNames: ['service', 'route', 'code', 'initiator'] as const,
});
export const soapRequests = new FastCounter('portcullis_soap_requests_total', 'SOAP requests by service, operation (one the service declares, or "" when unknown) and outcome: forwarded or the refusing problem code (soap-proxy); mediated, invalid-input, fault-client, fault-server or invalid-response (soap-mediation).', registry);
export const graphqlOperations = new client.Counter({
  name: 'portcullis_graphql_operations_total',
  help: 'GraphQL operations checked by the graphql plugin, by service, operation name (bounded: "(anonymous)", "(unknown)" before one is known, "(other)" past the cap of distinct names) and outcome (allowed, or the refusal code).',
  labelNames: ['service', 'operation', 'outcome'] as const,
});

export const graphqlOperationCost = new client.Histogram({
  name: 'portcullis_graphql_operation_cost',
  help: 'Estimated cost of allowed GraphQL operations, by service.',
  labelNames: ['service'] as const,
  buckets: [1, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000],
});

// --- EDI (the edi plugin) ----------------------------------------------------------------------
export const ediInterchanges = new client.Counter({
  name: 'portcullis_edi_interchanges_total',
  help: 'Interchanges handled by the edi plugin, by route, direction (inbound, outbound), format (x12, edifact, unknown) and outcome (forwarded, invalid, not_allowed, unsupported_media_type, unavailable: no control number for the acknowledgement or envelope).',
  labelNames: ['route', 'direction', 'format', 'outcome'] as const,
});
