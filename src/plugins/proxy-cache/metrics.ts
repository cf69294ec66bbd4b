// The cache's Prometheus series, on prom-client's default registry (the data-plane registry the
// gateway exposes and aggregates across workers), named like the rest: portcullis_ prefix, service
// labels only, never a URL or key. Hot-path counts are plain numbers, read into the counters at
// scrape time, so a hit costs an array increment.
import client from 'prom-client';

export const OUTCOMES = ['hit', 'miss', 'stale_while_revalidate', 'stale_if_error', 'revalidated', 'collapsed', 'bypass', 'uncacheable'] as const;
export type Outcome = (typeof OUTCOMES)[number];
const OUTCOME_INDEX = Object.fromEntries(OUTCOMES.map((o, i) => [o, i])) as Record<Outcome, number>;

interface ServiceCounts { readonly service: string; readonly outcomes: number[]; storedBytes: number; stores: number }
const services = new Map<string, ServiceCounts>();
const backendErrors = new Map<string, number>();
let evictions = 0;
const memoryBytesSources = new Set<WeakRef<{ readonly bytes: number }>>();

function countsOf(service: string): ServiceCounts {
  let c = services.get(service);
  if (c === undefined) services.set(service, (c = { service, outcomes: OUTCOMES.map(() => 0), storedBytes: 0, stores: 0 }));
  return c;
}

export function countOutcome(service: string | undefined, outcome: Outcome): void {
  countsOf(service ?? '').outcomes[OUTCOME_INDEX[outcome]]!++;
}

export function countStored(service: string | undefined, bytes: number): void {
  const c = countsOf(service ?? '');
  c.stores++;
  c.storedBytes += bytes;
}

export function countEvictions(n: number): void {
  evictions += n;
}

export function countBackendError(backend: string, operation: string): void {
  const k = `${backend}\u0000${operation}`;
  backendErrors.set(k, (backendErrors.get(k) ?? 0) + 1);
}

export function trackMemoryBytes(store: { readonly bytes: number }): void {
  memoryBytesSources.add(new WeakRef(store));
}

const get = (name: string) => client.register.getSingleMetric(name);

export const cacheRequests = (get('portcullis_cache_requests_total') as client.Counter<'service' | 'outcome'> | undefined) ?? new client.Counter({
  name: 'portcullis_cache_requests_total',
  help: 'Requests seen by proxy-cache, by service and outcome (hit, miss, stale_while_revalidate, stale_if_error, revalidated, collapsed, bypass, uncacheable).',
  labelNames: ['service', 'outcome'] as const,
  collect() {
    this.reset();
    for (const c of services.values()) OUTCOMES.forEach((o, i) => { if (c.outcomes[i]! > 0) this.inc({ service: c.service, outcome: o }, c.outcomes[i]!); });
  },
});

export const cacheStored = (get('portcullis_cache_stored_total') as client.Counter<'service'> | undefined) ?? new client.Counter({
  name: 'portcullis_cache_stored_total',
  help: 'Responses stored by proxy-cache, by service.',
  labelNames: ['service'] as const,
  collect() {
    this.reset();
    for (const c of services.values()) if (c.stores > 0) this.inc({ service: c.service }, c.stores);
  },
});

export const cacheStoredBytes = (get('portcullis_cache_stored_bytes_total') as client.Counter<'service'> | undefined) ?? new client.Counter({
  name: 'portcullis_cache_stored_bytes_total',
  help: 'Body bytes stored by proxy-cache, by service.',
  labelNames: ['service'] as const,
  collect() {
    this.reset();
    for (const c of services.values()) if (c.storedBytes > 0) this.inc({ service: c.service }, c.storedBytes);
  },
});

export const cacheMemoryBytes = (get('portcullis_cache_memory_bytes') as client.Gauge | undefined) ?? new client.Gauge({
  name: 'portcullis_cache_memory_bytes',
  help: 'Bytes held by proxy-cache memory backends (summed over worker processes).',
  aggregator: 'sum',
  collect() {
    let total = 0;
    for (const ref of memoryBytesSources) {
      const s = ref.deref();
      if (s === undefined) memoryBytesSources.delete(ref);
      else total += s.bytes;
    }
    this.set(total);
  },
});

export const cacheEvictions = (get('portcullis_cache_evictions_total') as client.Counter | undefined) ?? new client.Counter({
  name: 'portcullis_cache_evictions_total',
  help: 'Entries evicted from proxy-cache memory backends to stay within their byte budget.',
  collect() {
    this.reset();
    if (evictions > 0) this.inc(evictions);
  },
});

export const cacheBackendErrors = (get('portcullis_cache_backend_errors_total') as client.Counter<'backend' | 'operation'> | undefined) ?? new client.Counter({
  name: 'portcullis_cache_backend_errors_total',
  help: 'Failed cache backend operations (treated as misses or dropped writes), by backend and operation.',
  labelNames: ['backend', 'operation'] as const,
  collect() {
    this.reset();
    for (const [k, n] of backendErrors) {
      const [backend, operation] = k.split('\u0000') as [string, string];
      this.inc({ backend, operation }, n);
    }
  },
});
