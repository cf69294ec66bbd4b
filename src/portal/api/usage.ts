// A team's usage in the portal: calls, errors and latency percentiles of its applications over time
// (per application and API, JSON or CSV), and each subscription's quota this period. Read from the
// usage tables like the admin analytics (docs/analytics.md), always restricted to the consumers of
// the team's applications: another team's traffic cannot be asked for, even by name.
import Type from 'typebox';
import { ApiProblem, Timestamp, Uuid } from '../../admin/api/types.ts';
import { servicesCalled } from '../../store/billing/usage.ts';
import { floorTo, nextBucket, usageCsv, usageSeries, type Granularity } from '../../store/usage/query.ts';
import { NAME_PATTERN, type Plan } from '../../core/entities/schemas.ts';
import { subscriptionsOf } from '../billing/invoicing.ts';
import { principalOf, requireMember, type PortalContext, type PortalOperation } from './context.ts';

const GRAINS = ['hour', 'day', 'month'] as const;
type Grain = (typeof GRAINS)[number];
const HOUR = 3_600_000, DAY = 24 * HOUR;
/** Default span per granularity: two days of hours, a month of days, a year of months. */
const DEFAULT_SPAN: Record<Grain, number> = { hour: 2 * DAY, day: 30 * DAY, month: 365 * DAY };
/** At most this many buckets per series. */
const MAX_POINTS = 1000;
const APPROX: Record<Grain, number> = { hour: HOUR, day: DAY, month: 28 * DAY };

const Latency = Type.Optional(Type.Number());
const PointSchema = Type.Object({
  start: Timestamp, calls: Type.Integer(), errors_4xx: Type.Integer(), errors_5xx: Type.Integer(), bytes_in: Type.Integer(), bytes_out: Type.Integer(),
  latency_avg_ms: Latency, latency_p50_ms: Latency, latency_p95_ms: Latency, latency_p99_ms: Latency,
}, { title: 'PortalUsagePoint' });
const SeriesSchema = Type.Object({
  granularity: Type.Union(GRAINS.map((g) => Type.Literal(g))),
  from: Timestamp, to: Timestamp,
  points: Type.Array(PointSchema, { description: 'One per bucket that had calls, oldest first.' }),
  services: Type.Array(Type.String(), { description: 'The APIs (services) the selected applications called in the range.' }),
}, { title: 'PortalUsageSeries' });
const QuotaSchema = Type.Object({
  app: Type.Object({ id: Uuid, name: Type.String() }),
  subscription: Uuid, product: Type.String(), plan: Type.String(),
  period: Type.Union([Type.Literal('day'), Type.Literal('month')]),
  limit: Type.Integer(), used: Type.Integer(), remaining: Type.Integer(),
  resets_at: Timestamp,
}, { title: 'PortalQuota' });

const SERVICE_NAME = new RegExp(NAME_PATTERN);
const isGrain = (g: string): g is Grain => (GRAINS as readonly string[]).includes(g);

function instant(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) throw new ApiProblem('validation-failed', `${name} must be an ISO date-time`, [{ pointer: `/query/${name}`, detail: `${name} must be an ISO date-time` }]);
  return ms;
}

export function usageOperations(ctx: PortalContext): PortalOperation[] {
  const { store } = ctx;
  const now = () => ctx.settings.now();
  return [
    {
      id: 'portal-usage', method: 'GET', path: '/portal/api/teams/{team}/usage', tag: 'Usage', role: 'user',
      summary: 'Calls, errors and latency of the team’s applications over time',
      description: 'One point per bucket with calls. `app` narrows to one application, `service` to one API. Hourly points come from the hourly roll-up, refreshed by the worker about once a minute. `format=csv` answers the points as CSV.',
      query: [
        { name: 'granularity', description: '`hour`, `day` (default) or `month` (UTC buckets).', schema: Type.Union(GRAINS.map((g) => Type.Literal(g))) },
        { name: 'from', description: 'Start (ISO date-time; snapped down to the bucket). Default: `to` minus 2 days (hour), 30 days (day) or a year (month).', schema: Type.String({ format: 'date-time' }) },
        { name: 'to', description: 'End (ISO date-time, exclusive; snapped up). Default: now.', schema: Type.String({ format: 'date-time' }) },
        { name: 'app', description: 'Only this application (its id).', schema: Type.String() },
        { name: 'service', description: 'Only calls to this API (service name).', schema: Type.String() },
        { name: 'format', description: '`json` (default) or `csv`.', schema: Type.Union([Type.Literal('json'), Type.Literal('csv')]) },
      ],
      responses: { 200: { description: 'The series (JSON, or CSV with `format=csv`).', schema: SeriesSchema } },
      problems: ['not-found'],
      async handler(input) {
        const team = input.params.team!;
        await requireMember(ctx, principalOf(input), team);
        const q = input.query;
        const g = q.granularity ?? 'day';
        if (!isGrain(g)) throw new ApiProblem('validation-failed', 'granularity must be hour, day or month', [{ pointer: '/query/granularity', detail: 'must be hour, day or month' }]);
        const format = q.format ?? 'json';
        if (format !== 'json' && format !== 'csv') throw new ApiProblem('validation-failed', 'format must be json or csv', [{ pointer: '/query/format', detail: 'must be json or csv' }]);
        if (q.service !== undefined && !SERVICE_NAME.test(q.service)) throw new ApiProblem('validation-failed', 'service must be a service name', [{ pointer: '/query/service', detail: 'must be a service name' }]);
        const toMs = instant('to', q.to) ?? now();
        const fromMs = instant('from', q.from) ?? toMs - DEFAULT_SPAN[g];
        if (!(fromMs < toMs)) throw new ApiProblem('validation-failed', 'from must be before to', [{ pointer: '/query/from', detail: 'must be before to' }]);
        const from = floorTo(g, fromMs), to = floorTo(g, toMs) === toMs ? toMs : nextBucket(g, toMs);
        if ((to - from) / APPROX[g] > MAX_POINTS) throw new ApiProblem('validation-failed', `more than ${MAX_POINTS} ${g} buckets: choose a coarser granularity or a shorter range`, [{ pointer: '/query/granularity', detail: 'too many buckets' }]);
        const apps = await store.read().portal.listApps(team);
        let consumers = apps.map((a) => a.consumer);
        if (q.app !== undefined) {
          const app = apps.find((a) => a.id === q.app);
          if (!app) throw new ApiProblem('not-found', 'no such application');
          consumers = [app.consumer];
        }
        const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), nowMs: now() };
        const points = await usageSeries(store.read().usage, { ...range, granularity: g as Granularity, filter: { consumers, ...(q.service ? { service: q.service } : {}) } });
        if (format === 'csv') {
          return { body: usageCsv(points), contentType: 'text/csv; charset=utf-8', headers: { 'content-disposition': `attachment; filename="usage-${g}.csv"` } };
        }
        const services = await servicesCalled(store.read().usage, { ...range, consumers });
        return { body: { granularity: g, ...range, points, services } };
      },
    },
    {
      id: 'portal-quotas', method: 'GET', path: '/portal/api/teams/{team}/quotas', tag: 'Usage', role: 'user',
      summary: 'Quota used this period, per subscription',
      description: 'Every active subscription of the team’s applications whose plan has a quota: the calls counted this period (day or month, UTC), the limit and when it resets. Counts reach the store within about a second.',
      responses: { 200: { description: 'Quotas.', schema: Type.Object({ data: Type.Array(QuotaSchema) }) } },
      problems: ['not-found'],
      async handler(input) {
        const team = input.params.team!;
        await requireMember(ctx, principalOf(input), team);
        const session = store.read();
        const apps = await session.portal.listApps(team);
        const byConsumer = new Map(apps.map((a) => [a.consumer, a]));
        const nowMs = now();
        const rows = (await session.currentQuotaUsage(new Date(nowMs).toISOString())).filter((r) => byConsumer.has(r.consumer));
        const subscriptions = (await subscriptionsOf(session, [...byConsumer.keys()])).filter((s) => s.data.status === 'active');
        const plans = new Map((await session.all('plan')).map((p) => [p.key, p.data as Plan]));
        const data = [];
        for (const s of subscriptions) {
          const plan = plans.get(String(s.data.plan));
          if (!plan?.quota) continue;
          const consumer = String(s.data.consumer);
          const row = rows.find((r) => r.consumer === consumer && r.product === s.data.product && r.plan === s.data.plan && r.period === plan.quota!.period);
          const used = row?.used ?? 0;
          const app = byConsumer.get(consumer)!;
          data.push({
            app: { id: app.id, name: app.name }, subscription: s.id, product: String(s.data.product), plan: String(s.data.plan), period: plan.quota.period,
            limit: plan.quota.limit, used, remaining: Math.max(0, plan.quota.limit - used),
            resets_at: row?.period_end ?? new Date(nextBucket(plan.quota.period, nowMs)).toISOString(),
          });
        }
        return { body: { data } };
      },
    },
  ];
}
