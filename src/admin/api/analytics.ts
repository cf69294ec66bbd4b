// Admin analytics (role viewer): traffic, errors and latency percentiles over time, top consumers,
// and consumers near their quota. Read from the store's usage tables, so an admin process apart
// from the gateways sees every node: minute rows lag the gateway by up to one hand-off plus one
// flush (≈ 3 s by default); hourly, daily and monthly series also wait for the worker's roll-up
// (once a minute by default). See docs/analytics.md.
import Type, { type Static } from 'typebox';
import { ConfigError } from '../../core/config/errors.ts';
import { validate } from '../../core/config/validate.ts';
import { NAME_PATTERN } from '../../core/entities/schemas.ts';
import type { Store } from '../../store/ports.ts';
import { GRANULARITIES, STATUS_CLASSES, floorTo, nextBucket, topConsumers, usageCsv, usageSeries, type Granularity, type UsageFilter } from '../../store/usage/query.ts';
import { presentUsage } from './quotas.ts';
import { Timestamp, type Operation, type QueryParam } from './types.ts';

const DAY_MS = 24 * 3_600_000;
/** A series has at most this many buckets: ask for a coarser granularity or a shorter range. */
const MAX_POINTS = 10_000;

const Name = Type.String({ pattern: NAME_PATTERN });
const RangeQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  consumer: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(,[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,99}$' })),
  service: Type.Optional(Name),
  route: Type.Optional(Name),
  product: Type.Optional(Name),
  plan: Type.Optional(Name),
  status_class: Type.Optional(Type.Union(STATUS_CLASSES.map((c) => Type.Literal(c)))),
}, { additionalProperties: true });
type RangeInput = Static<typeof RangeQuery>;

const RANGE_PARAMS: readonly QueryParam[] = [
  { name: 'from', description: 'Start (ISO date-time, inclusive; snapped down to the granularity). Default: `to` minus 24 hours.', schema: Type.String({ format: 'date-time' }) },
  { name: 'to', description: 'End (ISO date-time, exclusive; snapped up to the granularity). Default: now.', schema: Type.String({ format: 'date-time' }) },
  { name: 'consumer', description: 'Only these consumers (applications): one name or several separated by commas (up to 100).', schema: Type.String() },
  { name: 'service', description: 'Only calls to this service.', schema: Type.String() },
  { name: 'route', description: 'Only calls on this route.', schema: Type.String() },
  { name: 'product', description: 'Only calls under a subscription to this product.', schema: Type.String() },
  { name: 'plan', description: 'Only calls under this plan.', schema: Type.String() },
  { name: 'status_class', description: 'Only answers of this class (e.g. `5xx` for server errors).', schema: Type.Union(STATUS_CLASSES.map((c) => Type.Literal(c))) },
];

const Latency = (q: string) => Type.Optional(Type.Number({ description: `${q} latency in ms, from the merged histogram (interpolated within its bucket); absent without calls.` }));
const Figures = {
  calls: Type.Integer(),
  errors_4xx: Type.Integer(),
  errors_5xx: Type.Integer(),
  bytes_in: Type.Integer({ description: 'Request body bytes received.' }),
  bytes_out: Type.Integer({ description: 'Response body bytes sent.' }),
  latency_avg_ms: Type.Optional(Type.Number()),
  latency_p50_ms: Latency('Median'),
  latency_p95_ms: Latency('95th percentile'),
  latency_p99_ms: Latency('99th percentile'),
};
const PointSchema = Type.Object({ start: Timestamp, ...Figures }, { title: 'UsagePoint' });
const SeriesSchema = Type.Object({
  granularity: Type.Union(GRANULARITIES.map((g) => Type.Literal(g))),
  from: Timestamp,
  to: Timestamp,
  points: Type.Array(PointSchema, { description: 'One per bucket with calls, oldest first.' }),
}, { title: 'UsageSeries' });
const TopSchema = Type.Object({
  from: Timestamp,
  to: Timestamp,
  data: Type.Array(Type.Object({ consumer: Type.String(), ...Figures }, { title: 'ConsumerUsage' })),
}, { title: 'TopConsumers' });
const NearLimitSchema = Type.Object({
  threshold: Type.Integer(),
  data: Type.Array(Type.Object({
    subject: Type.String(), consumer: Type.String(), plan: Type.Union([Type.String(), Type.Null()]), product: Type.Union([Type.String(), Type.Null()]),
    period: Type.String(), period_start: Timestamp, limit: Type.Integer(), used: Type.Integer(), remaining: Type.Integer(), resets_at: Timestamp, updated_at: Timestamp,
    percent_used: Type.Number(),
  }, { title: 'QuotaNearLimit' })),
}, { title: 'QuotasNearLimit' });

function checked<T>(schema: Parameters<typeof validate>[0], query: Record<string, string>): T {
  const result = validate<T>(schema, query, '/query');
  if (!result.ok) throw new ConfigError(result.issues);
  return result.value;
}

function invalid(pointer: string, detail: string): ConfigError {
  return new ConfigError([{ pointer, path: pointer, message: detail }]);
}

function rangeOf(q: RangeInput, defaultSpanMs: number): { from: string; to: string; filter: UsageFilter } {
  const toMs = q.to !== undefined ? Date.parse(q.to) : Date.now();
  const fromMs = q.from !== undefined ? Date.parse(q.from) : toMs - defaultSpanMs;
  if (!(fromMs < toMs)) throw invalid('/query/from', 'from must be before to');
  const filter: UsageFilter = {
    ...(q.consumer !== undefined ? { consumers: q.consumer.split(',') } : {}),
    ...(q.service !== undefined ? { service: q.service } : {}),
    ...(q.route !== undefined ? { route: q.route } : {}),
    ...(q.product !== undefined ? { product: q.product } : {}),
    ...(q.plan !== undefined ? { plan: q.plan } : {}),
    ...(q.status_class !== undefined ? { statusClass: q.status_class } : {}),
  };
  return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), filter };
}

/** Buckets of `g` between two instants (for the point cap). */
function bucketCount(g: Granularity, fromMs: number, toMs: number): number {
  const approx: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: DAY_MS, month: 28 * DAY_MS };
  return Math.ceil((nextBucket(g, toMs) - floorTo(g, fromMs)) / approx[g]);
}

export function analyticsOperations(store: Store): Operation[] {
  return [
    {
      id: 'analytics-traffic', method: 'GET', path: '/admin/analytics/traffic', tag: 'Analytics', role: 'viewer',
      summary: 'Calls, errors, bytes and latency percentiles over time',
      description: 'A time series for the filter, one point per bucket that had calls. Errors: `errors_4xx`/`errors_5xx`, or filter with `status_class`. '
        + 'Minute points read the per-minute table (kept 48 h by default); hour, day and month points the hourly or daily roll-ups, which the worker role refreshes once a minute. '
        + '`format=csv` answers the same points as CSV.',
      query: [...RANGE_PARAMS,
        { name: 'granularity', description: 'Bucket size (default `hour`).', schema: Type.Union(GRANULARITIES.map((g) => Type.Literal(g))) },
        { name: 'format', description: '`json` (default) or `csv`.', schema: Type.Union([Type.Literal('json'), Type.Literal('csv')]) }],
      responses: { 200: { description: 'The series (JSON, or CSV with `format=csv`).', schema: SeriesSchema } },
      async handler(input) {
        const q = checked<RangeInput & { granularity: Granularity; format: 'json' | 'csv' }>(Type.Object({
          ...RangeQuery.properties,
          granularity: Type.Union(GRANULARITIES.map((g) => Type.Literal(g)), { default: 'hour' }),
          format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }),
        }, { additionalProperties: true }), input.query);
        const range = rangeOf(q, DAY_MS);
        if (bucketCount(q.granularity, Date.parse(range.from), Date.parse(range.to)) > MAX_POINTS) {
          throw invalid('/query/granularity', `more than ${MAX_POINTS} ${q.granularity} buckets: choose a coarser granularity or a shorter range`);
        }
        const points = await usageSeries(store.read().usage, { ...range, granularity: q.granularity });
        if (q.format === 'csv') {
          return { body: usageCsv(points), contentType: 'text/csv; charset=utf-8', headers: { 'content-disposition': 'attachment; filename="usage.csv"' } };
        }
        const from = new Date(floorTo(q.granularity, Date.parse(range.from))).toISOString();
        const toMs = Date.parse(range.to);
        const to = new Date(floorTo(q.granularity, toMs) === toMs ? toMs : nextBucket(q.granularity, toMs)).toISOString();
        return { body: { granularity: q.granularity, from, to, points } };
      },
    },
    {
      id: 'analytics-top-consumers', method: 'GET', path: '/admin/analytics/top-consumers', tag: 'Analytics', role: 'viewer',
      summary: 'The consumers with the most calls',
      description: 'Consumers ordered by calls in the range (ties by name), each with its errors, bytes and latency percentiles. Calls without a consumer are left out.',
      query: [...RANGE_PARAMS, { name: 'limit', description: 'How many (1–100, default 10).', schema: Type.Integer({ minimum: 1, maximum: 100 }) }],
      responses: { 200: { description: 'The top consumers.', schema: TopSchema } },
      async handler(input) {
        const q = checked<RangeInput & { limit: string }>(Type.Object({ ...RangeQuery.properties, limit: Type.String({ pattern: '^(100|[1-9][0-9]?)$', default: '10' }) }, { additionalProperties: true }), input.query);
        const range = rangeOf(q, DAY_MS);
        const data = await topConsumers(store.read().usage, { ...range, limit: Number(q.limit) });
        return { body: { from: range.from, to: range.to, data } };
      },
    },
    {
      id: 'analytics-quota-near-limit', method: 'GET', path: '/admin/analytics/quota-near-limit', tag: 'Analytics', role: 'viewer',
      summary: 'Consumers near or over their quota this period',
      description: 'Allowances of the current periods (plan quotas and configured ones) that have used at least `threshold` percent of their limit, fullest first. Usage reaches the store within about a second of being counted.',
      query: [{ name: 'threshold', description: 'Percent of the limit (1–100, default 80).', schema: Type.Integer({ minimum: 1, maximum: 100 }) }],
      responses: { 200: { description: 'The allowances at or above the threshold.', schema: NearLimitSchema } },
      async handler(input) {
        const q = checked<{ threshold: string }>(Type.Object({ threshold: Type.String({ pattern: '^(100|[1-9][0-9]?)$', default: '80' }) }, { additionalProperties: true }), input.query);
        const threshold = Number(q.threshold);
        const rows = await store.read().currentQuotaUsage(new Date().toISOString());
        const data = rows.filter((r) => r.used * 100 >= threshold * r.limit)
          .sort((a, b) => b.used / b.limit - a.used / a.limit || (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0))
          .map((r) => ({ ...presentUsage(r), percent_used: Math.round((r.used * 10_000) / r.limit) / 100 }));
        return { body: { threshold, data } };
      },
    },
  ];
}
