// circuit-breaker: stops sending traffic to an upstream (a target, or the whole service) that
// keeps failing, answers 503 at once while it is open, and probes it back into service.
import { definePlugin } from '../../core/pipeline/plugin.ts';
import { REFUSED } from './breaker.ts';
import { BreakerGuard, openAnswer, type CompiledBreakerConfig } from './guard.ts';
import { BREAKERS } from './registry.ts';
import { CircuitBreakerSchema } from './schema.ts';

export const circuitBreaker = definePlugin({
  name: 'circuit-breaker',
  version: '1.0.0',
  description: 'Opens a breaker per upstream target and per service when too many requests fail, answering 503 at once until probes succeed.',
  // Late in access: requests refused by authentication, limits or the cache never count.
  priority: 50,
  configSchema: CircuitBreakerSchema,
  // Breakers belong to the upstream: every route of a service shares them, so one service has
  // one breaker config (a global instance gives each service its own breakers with that config).
  scopes: ['global', 'service'],
  compile(c): CompiledBreakerConfig | string {
    if (c.max_cooldown_ms < c.cooldown_ms) return 'max_cooldown_ms must be at least cooldown_ms';
    const fb = c.fallback;
    const fallback = fb === undefined ? undefined : {
      status: fb.status,
      headers: Object.fromEntries([...Object.entries(fb.headers).map(([k, v]) => [k.toLowerCase(), v] as const), ...(fb.content_type !== undefined ? [['content-type', fb.content_type] as const] : [])]),
      body: fb.body,
    };
    return {
      // Breakers survive a reload only when the whole breaker config is the same.
      fingerprint: JSON.stringify(c),
      level: c.level,
      settings: Object.freeze({
        failureRatio: c.failure_ratio,
        minRequests: c.min_requests,
        windowMs: c.window_ms,
        cooldownMs: c.cooldown_ms,
        cooldownMultiplier: c.cooldown_multiplier,
        maxCooldownMs: c.max_cooldown_ms,
        halfOpenMaxProbes: c.half_open_max_probes,
        halfOpenSuccesses: c.half_open_successes,
      }),
      failureStatuses: new Set(c.failure_statuses),
      fallback,
    };
  },
  handlers: {
    access(ctx, conf) {
      const group = BREAKERS.group(ctx.serviceName!, conf.fingerprint, conf.settings, conf.level);
      const now = Date.now();
      const serviceBreaker = group.serviceBreaker;
      let permit = REFUSED;
      if (serviceBreaker !== undefined) {
        permit = serviceBreaker.acquire(now);
        if (permit === REFUSED) return openAnswer(conf, serviceBreaker.retryInMs(now));
      }
      ctx.upstream.guard = new BreakerGuard(group, conf, permit);
      return undefined;
    },
  },
});
