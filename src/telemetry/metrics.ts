// Prometheus metrics of the data plane. Label sets per route are resolved once and cached, so a
// request costs two array look-ups and two increments.
import client from 'prom-client';
import { FastCounter, FastHistogram, type CounterSeries, type HistogramSeries } from './fast-series.ts';
import { pluginEventCounts } from '../core/pipeline/plugin-events.ts';

/** Per-process data-plane metrics (aggregated across workers by the supervisor). */
export const registry = client.register;
/** Metrics only the supervisor owns (one per node: health verdicts, reloads). */
export const controlRegistry = new client.Registry();

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

// Per-request metrics: hot-path series (see fast-series.ts).
export const requestsTotal = new FastCounter('portcullis_http_requests_total', 'Requests answered by the gateway, by service, route and status class.', registry);
export const requestDuration = new FastHistogram('portcullis_http_request_duration_seconds', 'Time from request arrival to the last response byte, by service, route and status class.', LATENCY_BUCKETS, registry);
export const upstreamDuration = new FastHistogram('portcullis_upstream_response_seconds', 'Time from dispatch to upstream response headers, by service and target.', LATENCY_BUCKETS, registry);

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
  collect() {
    this.reset();
    for (const c of pluginEventCounts()) this.inc(c.labels, c.value);
  },
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

export function statusClassIndex(status: number): number {
  const i = Math.floor(status / 100) - 1;
  return i < 0 ? 0 : i > 4 ? 4 : i;
}

export function upstreamTimer(service: string, target: string): HistogramSeries {
  return upstreamDuration.with({ service, target });
}
