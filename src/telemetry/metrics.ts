// Prometheus metrics of the data plane. Label sets per route are resolved once and cached, so a
// request costs two array look-ups and two increments.
import client from 'prom-client';

/** Per-process data-plane metrics (aggregated across workers by the supervisor). */
export const registry = client.register;
/** Metrics only the supervisor owns (one per node: health verdicts, reloads). */
export const controlRegistry = new client.Registry();

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const requestsTotal = new client.Counter({
  name: 'portcullis_http_requests_total',
  help: 'Requests answered by the gateway, by service, route and status class.',
  labelNames: ['service', 'route', 'status_class'] as const,
});

export const requestDuration = new client.Histogram({
  name: 'portcullis_http_request_duration_seconds',
  help: 'Time from request arrival to the last response byte, by service, route and status class.',
  labelNames: ['service', 'route', 'status_class'] as const,
  buckets: LATENCY_BUCKETS,
});

export const upstreamDuration = new client.Histogram({
  name: 'portcullis_upstream_response_seconds',
  help: 'Time from dispatch to upstream response headers, by service and target.',
  labelNames: ['service', 'target'] as const,
  buckets: LATENCY_BUCKETS,
});

export const upstreamErrors = new client.Counter({
  name: 'portcullis_upstream_errors_total',
  help: 'Failed upstream attempts, by service, target and kind.',
  labelNames: ['service', 'target', 'kind'] as const,
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

/** Metric children of one (service, route), one per status class. */
export interface RouteMetrics {
  readonly count: client.Counter.Internal[];
  readonly duration: client.Histogram.Internal<'service' | 'route' | 'status_class'>[];
}

const routeMetricsCache = new Map<string, RouteMetrics>();

export function routeMetrics(service: string, route: string): RouteMetrics {
  const key = `${service}\u0000${route}`;
  let m = routeMetricsCache.get(key);
  if (!m) {
    m = {
      count: STATUS_CLASSES.map((c) => requestsTotal.labels(service, route, c)),
      duration: STATUS_CLASSES.map((c) => requestDuration.labels(service, route, c)),
    };
    routeMetricsCache.set(key, m);
  }
  return m;
}

export function statusClassIndex(status: number): number {
  const i = Math.floor(status / 100) - 1;
  return i < 0 ? 0 : i > 4 ? 4 : i;
}

const upstreamCache = new Map<string, client.Histogram.Internal<'service' | 'target'>>();
export function upstreamTimer(service: string, target: string): client.Histogram.Internal<'service' | 'target'> {
  const key = `${service}\u0000${target}`;
  let h = upstreamCache.get(key);
  if (!h) { h = upstreamDuration.labels(service, target); upstreamCache.set(key, h); }
  return h;
}
