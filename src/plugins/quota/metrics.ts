// portcullis_quota_requests_total{service, outcome}: consumers are not a label (there may be any
// number of them); the admin API shows usage per consumer instead.
import type client from 'prom-client';
import { quotaRequests } from '../../telemetry/metrics.ts';

export type QuotaOutcome = 'allowed' | 'exceeded' | 'no_plan' | 'failed';

type Children = Record<QuotaOutcome, client.Counter.Internal>;
const byService = new Map<string, Children>();

/** Counts one outcome; each service's series are resolved once. */
export function countQuota(service: string, outcome: QuotaOutcome): void {
  let c = byService.get(service);
  if (c === undefined) {
    c = { allowed: quotaRequests.labels(service, 'allowed'), exceeded: quotaRequests.labels(service, 'exceeded'), no_plan: quotaRequests.labels(service, 'no_plan'), failed: quotaRequests.labels(service, 'failed') };
    byService.set(service, c);
  }
  c[outcome].inc();
}
