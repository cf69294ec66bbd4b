import type { Pool } from 'undici';
import type { HistogramSeries } from '../../telemetry/fast-series.ts';
import type { TargetHealth } from '../health/registry.ts';

/** One upstream target as the data plane uses it. */
export interface UpstreamTarget {
  readonly origin: string;
  /** host[:port] sent as Host unless the service preserves the client's. */
  readonly hostHeader: string;
  /** host:port, for metric labels and logs (never sent to clients). */
  readonly label: string;
  readonly weight: number;
  readonly pool: Pool;
  readonly poolKey: string;
  readonly health: TargetHealth;
  /** Requests in flight from this worker (least-connections). */
  inFlight: number;
  /** Upstream response-time series of this (service, target), resolved once. */
  readonly latency: HistogramSeries;
}

/** host:port of a target URL (the port always spelt out): its label in metrics and logs. */
export function targetLabel(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}
