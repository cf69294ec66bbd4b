// rate-limiting: at most N requests per second, minute, hour and/or day, per consumer, credential,
// client IP, header value, route, service or plan. Counted with a sliding window counter
// (store/counters/sliding-window.ts says why) on this node or on Redis. The RateLimit fields go on
// every answer (ctx.answerHeaders), the upstream's or a plugin's. A refused request is not
// counted, so it never uses up the caller's allowance (nor, later in the chain, its quota).
import { createHash } from 'node:crypto';
import type { Plan } from '../../core/entities/schemas.ts';
import { appendAnswerField, type PluginResponse, type RequestContext } from '../../core/pipeline/context.ts';
import { definePlugin } from '../../core/pipeline/plugin.ts';
import { localRateCounter } from '../../store/counters/local.ts';
import type { RateDecision } from '../../store/counters/ports.ts';
import { rateLimitDecisions } from '../../telemetry/metrics.ts';
import type { CounterSeries } from '../../telemetry/fast-series.ts';
import { requestWeight } from '../graphql/cost.ts';
import { redisCounter, viaLocal, type Counted, type GuardedRedisCounter } from '../shared/counting.ts';
import { policyField, stateField, type NamedWindow } from './fields.ts';
import { RateLimitingSchema, WINDOW_SECONDS, type RateLimitingConfig, type WindowName } from './schema.ts';

interface Limits {
  readonly windows: readonly NamedWindow[];
  /** RateLimit-Policy value, computed once. */
  readonly policy: string;
}

interface Outcomes {
  readonly allowed: CounterSeries;
  readonly limited: CounterSeries;
  readonly fallback: CounterSeries;
  readonly refused: CounterSeries;
  readonly unlimited: CounterSeries;
}

export interface CompiledRateLimiting {
  readonly by: RateLimitingConfig['limit_by'];
  readonly header: string | undefined;
  readonly fromPlan: boolean;
  /** The configured limits (with source: plan, those of callers without a plan). */
  readonly limits: Limits | undefined;
  /** Keeps the counts of instances attached in different places apart. */
  readonly scope: string;
  readonly redis: GuardedRedisCounter | undefined;
  readonly failOpen: boolean;
  readonly showFields: boolean;
  /** Count the request's GraphQL cost instead of 1 (`cost: graphql`). */
  readonly byCost: boolean;
  readonly outcomes: Outcomes;
}

const planLimits = new WeakMap<Plan, Limits | undefined>();

function limitsOf(list: readonly { window: WindowName; limit: number }[]): Limits | undefined {
  if (list.length === 0) return undefined;
  const windows = list.map((l) => Object.freeze({ name: l.window, seconds: WINDOW_SECONDS[l.window], limit: l.limit }))
    .sort((a, b) => a.seconds - b.seconds);
  return Object.freeze({ windows, policy: policyField(windows) });
}

function limitsOfPlan(plan: Plan): Limits | undefined {
  if (!planLimits.has(plan)) planLimits.set(plan, limitsOf(plan.rate_limits));
  return planLimits.get(plan);
}

/** Whose count a request goes to. Values a client chooses (IPs, header values) are hashed when long. */
function subject(ctx: RequestContext, conf: CompiledRateLimiting): string {
  let value: string | undefined;
  switch (conf.by) {
    case 'consumer': value = ctx.consumer?.id; break;
    case 'credential': value = ctx.credentialId; break;
    case 'route': value = ctx.routeName; break;
    case 'service': value = ctx.serviceName; break;
    case 'plan': {
      const consumer = ctx.consumer?.id;
      const plan = consumer === undefined ? undefined : ctx.identities.entitlements.planFor(consumer, ctx.serviceName ?? '');
      value = plan === undefined ? undefined : plan.plan.name;
      break;
    }
    case 'header': {
      const h = ctx.headers[conf.header!];
      value = Array.isArray(h) ? h.join(',') : h;
      break;
    }
    case 'ip': break;
  }
  const by = value === undefined ? 'ip' : conf.by;
  const v = value ?? ctx.clientIp;
  return `${conf.scope}|${by}:${v.length > 64 ? createHash('sha256').update(v).digest('base64url') : v}`;
}

function limitsFor(ctx: RequestContext, conf: CompiledRateLimiting): Limits | 'no-plan' | undefined {
  if (!conf.fromPlan) return conf.limits;
  const consumer = ctx.consumer?.id;
  const entitled = consumer === undefined ? undefined : ctx.identities.entitlements.planFor(consumer, ctx.serviceName ?? '');
  if (entitled !== undefined) return limitsOfPlan(entitled.plan);
  return conf.limits ?? 'no-plan';
}

function decide(ctx: RequestContext, conf: CompiledRateLimiting, limits: Limits, counted: Counted): PluginResponse | undefined {
  if (counted.via === 'refused') {
    if (conf.failOpen) { conf.outcomes.fallback.inc(); return undefined; }
    conf.outcomes.refused.inc();
    return { problem: 'rate-limit-unavailable', headers: { 'retry-after': '1' } };
  }
  const d: RateDecision = counted.decision;
  // Whatever answers the request (the upstream, a cache hit, this 429) carries the caller's state.
  if (conf.showFields) {
    appendAnswerField(ctx, 'ratelimit-policy', limits.policy);
    appendAnswerField(ctx, 'ratelimit', stateField(limits.windows, d.windows));
  }
  if (d.allowed) {
    (counted.via === 'fallback' ? conf.outcomes.fallback : conf.outcomes.allowed).inc();
    return undefined;
  }
  conf.outcomes.limited.inc();
  return { problem: 'rate-limited', headers: { 'retry-after': String(d.retryAfter) } };
}

export const rateLimiting = definePlugin({
  name: 'rate-limiting',
  version: '1.0.0',
  description: 'Limits requests per second, minute, hour and day, per consumer, credential, IP, header, route, service or plan; on this node or on Redis.',
  priority: 910,
  configSchema: RateLimitingSchema,
  compile(c, env): CompiledRateLimiting | string {
    const seen = new Set<string>();
    for (const l of c.limits) {
      if (seen.has(l.window)) return `limits: the ${l.window} window is given twice`;
      seen.add(l.window);
    }
    if (c.source === 'config' && c.limits.length === 0) return 'limits: give at least one window (or source: plan)';
    if (c.limit_by === 'header' && c.header_name === undefined) return 'limit_by header needs header_name';
    if (c.backend === 'redis' && env.redis === undefined) return 'backend redis needs gateway.redis (the Redis every node shares)';
    const at = env.attachedTo;
    const scope = at === undefined || at.scope === 'global' ? 'global' : `${at.scope}:${at.name}`;
    const series = (outcome: string) => rateLimitDecisions.with({ instance: scope, outcome });
    return {
      by: c.limit_by,
      header: c.header_name?.toLowerCase(),
      fromPlan: c.source === 'plan',
      limits: limitsOf(c.limits),
      scope,
      redis: c.backend === 'redis' ? redisCounter(env.redis!) : undefined,
      failOpen: c.fail === 'open',
      showFields: !c.hide_headers,
      byCost: c.cost === 'graphql',
      outcomes: { allowed: series('allowed'), limited: series('limited'), fallback: series('fallback'), refused: series('refused'), unlimited: series('unlimited') },
    };
  },
  handlers: {
    access(ctx, conf) {
      const limits = limitsFor(ctx, conf);
      if (limits === undefined) { conf.outcomes.unlimited.inc(); return undefined; }
      if (limits === 'no-plan') return { problem: 'subscription-required' };
      const key = subject(ctx, conf);
      const now = Date.now();
      const weight = requestWeight(ctx, conf.byCost);
      const counted = conf.redis !== undefined
        ? conf.redis.hit(key, limits.windows, now, conf.failOpen ? localRateCounter() : undefined, ctx.log, weight)
        : viaLocal(localRateCounter(), key, limits.windows, now, 'counter', ctx.log, 'rate-limit', weight);
      if (counted instanceof Promise) return counted.then((c) => decide(ctx, conf, limits, c));
      return decide(ctx, conf, limits, counted);
    },
  },
});
