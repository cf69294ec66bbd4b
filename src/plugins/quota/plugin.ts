// quota: an allowance per calendar period (day or month, in a time zone) for each consumer, from
// the plan it subscribed to or from this plugin's config. Counted by the node's quota counter (the
// supervisor's ledger, persisted to the store in the background): the request never waits on a
// database. Runs after rate-limiting, so a request refused for its rate consumes no quota; a request
// this plugin refuses consumes nothing either.
import { definePlugin } from '../../core/pipeline/plugin.ts';
import { appendAnswerField, type PluginResponse, type RequestContext } from '../../core/pipeline/context.ts';
import { canonicalTimeZone, type CalendarPeriod } from '../../core/quota/periods.ts';
import { localQuotaCounter } from '../../store/counters/local.ts';
import type { QuotaAsk, QuotaDecision } from '../../store/counters/ports.ts';
import { requestWeight } from '../graphql/cost.ts';
import { policyItem, secondsUntil, stateItem } from './headers.ts';
import { countQuota } from './metrics.ts';
import { QuotaSchema } from './schema.ts';

interface Metered {
  readonly ask: QuotaAsk;
  /** The RateLimit-Policy item, built once per subject and snapshot. */
  readonly policy: string;
}

export interface QuotaConf {
  readonly source: 'plan' | 'config';
  readonly period: CalendarPeriod | undefined;
  readonly limit: number | undefined;
  readonly timeZone: string;
  readonly rejectNoPlan: boolean;
  readonly failClosed: boolean;
  readonly headers: boolean;
  /** Count the request's GraphQL cost instead of 1 (`cost: graphql`). */
  readonly byCost: boolean;
  /** Where the instance is attached: the explicit quota is counted per consumer and this place. */
  readonly scope: 'global' | 'service' | 'route';
  /** Subjects seen under this snapshot's config (a new snapshot starts a new cache). */
  readonly cache: Map<string, Metered>;
}

const MAX_CACHED = 100_000;
let lastFailureLog = 0;

/** The subject and its allowance for this request, or undefined when the caller is not metered. */
function meter(ctx: RequestContext, conf: QuotaConf): Metered | undefined {
  const consumer = ctx.consumer?.id;
  if (consumer === undefined) return undefined;
  const service = ctx.serviceName ?? '';
  if (conf.source === 'plan') {
    const entitlement = ctx.identities.entitlements.planFor(consumer, service);
    const quota = entitlement?.plan.quota;
    if (entitlement === undefined || quota === undefined) return undefined;
    // One allowance per subscription: every service of the product draws on it.
    const subject = `subscription:${consumer}/${entitlement.product}`;
    return cached(conf, subject, () => ({ subject, period: quota.period, timeZone: conf.timeZone, limit: quota.limit, consumer, plan: entitlement.plan.name, product: entitlement.product }));
  }
  const subject = conf.scope === 'global' ? `consumer:${consumer}` : conf.scope === 'service' ? `consumer:${consumer}@service:${service}` : `consumer:${consumer}@route:${ctx.routeName ?? ''}`;
  return cached(conf, subject, () => ({ subject, period: conf.period!, timeZone: conf.timeZone, limit: conf.limit!, consumer, plan: undefined }));
}

function cached(conf: QuotaConf, subject: string, make: () => QuotaAsk): Metered {
  let m = conf.cache.get(subject);
  if (m === undefined) {
    if (conf.cache.size >= MAX_CACHED) conf.cache.clear();
    const ask = make();
    m = { ask, policy: policyItem(ask.limit, ask.period) };
    conf.cache.set(subject, m);
  }
  return m;
}

function decide(ctx: RequestContext, conf: QuotaConf, metered: Metered, d: QuotaDecision): PluginResponse | undefined {
  const service = ctx.serviceName ?? '';
  const reset = secondsUntil(d.resetsAt, Date.now());
  // Whatever answers the request (the upstream, a cache hit, this 429) carries the caller's quota.
  if (conf.headers) {
    appendAnswerField(ctx, 'ratelimit-policy', metered.policy);
    appendAnswerField(ctx, 'ratelimit', stateItem(d.allowed ? Math.max(0, d.limit - d.used) : 0, reset));
  }
  if (d.allowed) {
    countQuota(service, 'allowed');
    return undefined;
  }
  countQuota(service, 'exceeded');
  const period = metered.ask.period === 'day' ? 'daily' : 'monthly';
  const detail = conf.byCost ? `What is left of the ${period} quota of ${d.limit} cost units does not cover this operation.` : `The ${period} quota of ${d.limit} requests is used up.`;
  return { problem: 'quota-exceeded', detail, headers: { 'retry-after': String(reset) } };
}

function failed(ctx: RequestContext, conf: QuotaConf, err: unknown): PluginResponse | undefined {
  countQuota(ctx.serviceName ?? '', 'failed');
  const now = Date.now();
  // One line per 10 s at most: a counter that cannot answer would otherwise log every request.
  if (now - lastFailureLog > 10_000) {
    lastFailureLog = now;
    ctx.log.warn({ request_id: ctx.id, error: (err as Error)?.message ?? String(err), fail: conf.failClosed ? 'closed' : 'open' }, 'quota could not be checked');
  }
  return conf.failClosed ? { problem: 'quota-unavailable' } : undefined;
}

export const quota = definePlugin<typeof QuotaSchema, QuotaConf>({
  name: 'quota',
  version: '1.0.0',
  description: 'Allowance per calendar day or month for each consumer (from its plan or configured), persisted across restarts; 429 with Retry-After once used up.',
  priority: 908,
  configSchema: QuotaSchema,
  compile(c, env) {
    const timeZone = canonicalTimeZone(c.time_zone);
    if (timeZone === undefined) return `time_zone "${c.time_zone}" is not an IANA time zone this runtime knows (e.g. "UTC", "Europe/Berlin")`;
    if (c.source === 'config' && (c.period === undefined || c.limit === undefined)) return 'source: config needs both period and limit';
    if (c.source === 'plan' && (c.period !== undefined || c.limit !== undefined)) return 'period and limit are only for source: config; with source: plan the plan\'s quota applies';
    return {
      source: c.source, period: c.period, limit: c.limit, timeZone,
      rejectNoPlan: c.no_plan === 'reject', failClosed: c.fail === 'closed', headers: c.headers, byCost: c.cost === 'graphql',
      scope: env.attachedTo?.scope ?? 'global', cache: new Map(),
    };
  },
  handlers: {
    access(ctx, conf) {
      const metered = meter(ctx, conf);
      if (metered === undefined) {
        countQuota(ctx.serviceName ?? '', 'no_plan');
        return conf.rejectNoPlan ? { problem: 'subscription-required' } : undefined;
      }
      const counter = localQuotaCounter();
      if (counter === undefined) return failed(ctx, conf, new Error('no quota counter on this node'));
      let answer: QuotaDecision | Promise<QuotaDecision>;
      try {
        answer = counter.consume(metered.ask, ctx.receivedAt, requestWeight(ctx, conf.byCost));
      } catch (err) {
        return failed(ctx, conf, err);
      }
      if (answer instanceof Promise) return answer.then((d) => decide(ctx, conf, metered, d), (err: unknown) => failed(ctx, conf, err));
      return decide(ctx, conf, metered, answer);
    },
  },
});
