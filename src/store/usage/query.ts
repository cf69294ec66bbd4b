// Usage queries: time series, billing totals and top consumers over the usage tables. Each query
// reads the coarsest table that is fine enough for the granularity and still holds the start of
// the range (retention), and sums counters and latency histograms per bucket, so percentiles come
// from merged histograms. Ranges are snapped outwards to whole buckets of the granularity.
import { sql } from 'kysely';
import { percentile } from './histogram.ts';
import { COUNTER_COLUMNS, LATENCY_COLUMNS, type UsageTable } from './columns.ts';
import { DEFAULT_RETENTION, type UsageRetention, type UsageStore } from './store.ts';

export const GRANULARITIES = ['minute', 'hour', 'day', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

export interface UsageFilter {
  /** Only these consumers (a team's applications); absent: everyone. An empty list matches nothing. */
  readonly consumers?: readonly string[];
  readonly service?: string;
  readonly route?: string;
  readonly product?: string;
  readonly plan?: string;
  readonly statusClass?: StatusClass;
}

export interface UsageRange {
  /** ISO instants; `to` is exclusive. */
  readonly from: string;
  readonly to: string;
  readonly filter?: UsageFilter;
  /** For choosing the table (default: now). */
  readonly nowMs?: number;
  readonly retention?: UsageRetention;
}

/** Counters of a bucket or a group, with latency percentiles from its merged histogram. */
export interface UsageFigures {
  readonly calls: number;
  readonly errors_4xx: number;
  readonly errors_5xx: number;
  readonly bytes_in: number;
  readonly bytes_out: number;
  /** Undefined when there were no calls. */
  readonly latency_avg_ms: number | undefined;
  readonly latency_p50_ms: number | undefined;
  readonly latency_p95_ms: number | undefined;
  readonly latency_p99_ms: number | undefined;
}

export interface UsagePoint extends UsageFigures {
  /** Start of the bucket (ISO). */
  readonly start: string;
}

export interface UsageTotal extends UsageFigures {
  readonly consumer: string;
  readonly product: string;
  readonly plan: string;
}

export interface ConsumerUsage extends UsageFigures {
  readonly consumer: string;
}

const LEVEL: Record<UsageTable, number> = { usage_minute: 0, usage_hour: 1, usage_day: 2 };
const GRAIN_LEVEL: Record<Granularity, number> = { minute: 0, hour: 1, day: 2, month: 3 };

/** Start of the bucket holding `ms` at a granularity (UTC). */
export function floorTo(granularity: Granularity, ms: number): number {
  const d = new Date(ms);
  switch (granularity) {
    case 'minute': return ms - (((ms % 60_000) + 60_000) % 60_000);
    case 'hour': return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
    case 'day': return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    case 'month': return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
}

/** Start of the next bucket after the one holding `ms`. */
export function nextBucket(granularity: Granularity, ms: number): number {
  const start = floorTo(granularity, ms);
  const d = new Date(start);
  switch (granularity) {
    case 'minute': return start + 60_000;
    case 'hour': return start + 3_600_000;
    case 'day': return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
    case 'month': return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
}

const ceilTo = (g: Granularity, ms: number) => (floorTo(g, ms) === ms ? ms : nextBucket(g, ms));

/**
 * The table a query at `granularity` from `fromMs` reads: the coarsest one no coarser than the
 * granularity whose retention still covers the start (the coarsest one when none does: it keeps
 * the most).
 */
export function tableFor(granularity: Granularity, fromMs: number, nowMs: number, retention: UsageRetention = DEFAULT_RETENTION): UsageTable {
  const kept: [UsageTable, number][] = [['usage_day', retention.dayMs], ['usage_hour', retention.hourMs], ['usage_minute', retention.minuteMs]];
  const fine = kept.filter(([t]) => LEVEL[t] <= GRAIN_LEVEL[granularity]);
  return fine.find(([, ms]) => fromMs >= nowMs - ms)?.[0] ?? fine[0]![0];
}

/** The bucket expression of a granularity over a table's ISO `bucket_start`. */
function bucketExpr(granularity: Granularity) {
  switch (granularity) {
    case 'minute': return sql<string>`bucket_start`;
    case 'hour': return sql<string>`substr(bucket_start, 1, 13) || ':00:00.000Z'`;
    case 'day': return sql<string>`substr(bucket_start, 1, 10) || 'T00:00:00.000Z'`;
    case 'month': return sql<string>`substr(bucket_start, 1, 7) || '-01T00:00:00.000Z'`;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the usage tables are untyped (store.ts)
type Qb = any;

function filtered(qb: Qb, filter: UsageFilter | undefined, fromIso: string, toIso: string): Qb {
  qb = qb.where('bucket_start', '>=', fromIso).where('bucket_start', '<', toIso);
  if (filter === undefined) return qb;
  if (filter.consumers !== undefined) qb = filter.consumers.length === 0 ? qb.where(sql<boolean>`1 = 0`) : qb.where('consumer', 'in', filter.consumers);
  if (filter.service !== undefined) qb = qb.where('service', '=', filter.service);
  if (filter.route !== undefined) qb = qb.where('route', '=', filter.route);
  if (filter.product !== undefined) qb = qb.where('product', '=', filter.product);
  if (filter.plan !== undefined) qb = qb.where('plan', '=', filter.plan);
  if (filter.statusClass !== undefined) {
    const low = Number(filter.statusClass[0]) * 100;
    qb = qb.where('status', '>=', low).where('status', '<', low + 100);
  }
  return qb;
}

const sums = COUNTER_COLUMNS.map((c) => sql`sum(${sql.ref(c)})`.as(c));

function figures(row: Record<string, unknown>): UsageFigures {
  const n = (c: string) => Number(row[c] ?? 0);
  const calls = n('calls');
  const histogram = LATENCY_COLUMNS.map(n);
  return {
    calls, errors_4xx: n('errors_4xx'), errors_5xx: n('errors_5xx'), bytes_in: n('bytes_in'), bytes_out: n('bytes_out'),
    latency_avg_ms: calls > 0 ? round(n('latency_ms_sum') / calls) : undefined,
    latency_p50_ms: round(percentile(histogram, 0.5)), latency_p95_ms: round(percentile(histogram, 0.95)), latency_p99_ms: round(percentile(histogram, 0.99)),
  };
}

const round = (v: number | undefined) => (v === undefined ? undefined : Math.round(v * 1000) / 1000);

function snapped(g: Granularity, range: UsageRange): { from: string; to: string; table: UsageTable } {
  const fromMs = floorTo(g, Date.parse(range.from));
  const toMs = ceilTo(g, Date.parse(range.to));
  return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), table: tableFor(g, fromMs, range.nowMs ?? Date.now(), range.retention) };
}

/** The coarsest granularity both ends of a range are aligned to (day, hour or minute). */
function alignedGrain(range: UsageRange): Granularity {
  const fromMs = Date.parse(range.from), toMs = Date.parse(range.to);
  const aligned = (g: Granularity) => floorTo(g, fromMs) === fromMs && floorTo(g, toMs) === toMs;
  return aligned('day') ? 'day' : aligned('hour') ? 'hour' : 'minute';
}

/** Calls, errors, bytes and latency percentiles per bucket; buckets without calls are left out. */
export async function usageSeries(usage: UsageStore, range: UsageRange & { granularity: Granularity }): Promise<UsagePoint[]> {
  const g = range.granularity;
  const { from, to, table } = snapped(g, range);
  const bucket = bucketExpr(g);
  const rows = await filtered(usage.db.selectFrom(table), range.filter, from, to)
    .select([bucket.as('start'), ...sums]).groupBy(bucket).orderBy(bucket).execute() as Record<string, unknown>[];
  return rows.map((r) => ({ start: String(r.start), ...figures(r) }));
}

/**
 * Totals per consumer × product × plan over a period (billing: what each subscription used).
 * Reads the coarsest table the range is aligned to and whose retention holds its start.
 */
export async function usageTotals(usage: UsageStore, range: UsageRange): Promise<UsageTotal[]> {
  const { from, to, table } = snapped(alignedGrain(range), range);
  const rows = await filtered(usage.db.selectFrom(table), range.filter, from, to)
    .select(['consumer', 'product', 'plan', ...sums]).groupBy(['consumer', 'product', 'plan']).orderBy('consumer').orderBy('product').orderBy('plan').execute() as Record<string, unknown>[];
  return rows.map((r) => ({ consumer: String(r.consumer), product: String(r.product), plan: String(r.plan), ...figures(r) }));
}

/** The consumers with the most calls in the range (ties by name), with their figures. */
export async function topConsumers(usage: UsageStore, range: UsageRange & { limit: number }): Promise<ConsumerUsage[]> {
  const { from, to, table } = snapped(alignedGrain(range), range);
  const rows = await filtered(usage.db.selectFrom(table), range.filter, from, to).where('consumer', '<>', '')
    .select(['consumer', ...sums]).groupBy('consumer').orderBy(sql`sum(calls)`, 'desc').orderBy('consumer').limit(range.limit).execute() as Record<string, unknown>[];
  return rows.map((r) => ({ consumer: String(r.consumer), ...figures(r) }));
}

const CSV_COLUMNS = ['start', 'calls', 'errors_4xx', 'errors_5xx', 'bytes_in', 'bytes_out', 'latency_avg_ms', 'latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms'] as const;

/** A series as CSV (RFC 4180, CRLF line ends): one header line, one line per bucket. */
export function usageCsv(points: readonly UsagePoint[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  // Every field is an ISO date or a number: nothing needs quoting.
  for (const p of points) lines.push(CSV_COLUMNS.map((c) => (p[c] === undefined ? '' : String(p[c]))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
