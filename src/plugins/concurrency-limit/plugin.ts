// concurrency-limit: caps the requests in flight on a route (or a whole service). Beyond the cap a
// request waits in a bounded FIFO queue; beyond the queue, or after the queue timeout, it gets 503.
import { definePlugin } from '../../core/pipeline/plugin.ts';
import type { PluginResponse, RequestContext } from '../../core/pipeline/context.ts';
import { slotSource, type Claim } from './slots.ts';
import { ConcurrencyLimitSchema } from './schema.ts';

/** Where a request keeps its ticket between `access` and `log`. */
const TICKET = 'concurrency-limit.ticket';

interface CompiledLimit {
  readonly fingerprint: string;
  readonly scope: 'route' | 'service';
  readonly settings: { readonly limit: number; readonly queue: number; readonly queueTimeoutMs: number };
  readonly refusal: PluginResponse;
}

export const concurrencyLimit = definePlugin({
  name: 'concurrency-limit',
  version: '1.0.0',
  description: 'Caps the requests in flight per route or per service, with a bounded waiting queue; beyond it, 503.',
  // After rate limiting (910) and quotas (908): a request refused there never takes a slot.
  priority: 905,
  configSchema: ConcurrencyLimitSchema,
  compile(c): CompiledLimit {
    return {
      fingerprint: `${c.limit}/${c.queue}/${c.queue_timeout_ms}`,
      scope: c.scope,
      settings: Object.freeze({ limit: c.limit, queue: c.queue, queueTimeoutMs: c.queue_timeout_ms }),
      refusal: Object.freeze({ problem: 'concurrency-limit-exceeded' as const, headers: Object.freeze({ 'retry-after': String(c.retry_after) }) }),
    };
  },
  handlers: {
    access(ctx, conf) {
      const key = conf.scope === 'route' ? `route|${ctx.routeName}` : `service|${ctx.serviceName}`;
      const claim = slotSource().claim(key, conf.fingerprint, conf.settings);
      if (claim === 'queue-full') return conf.refusal;
      (ctx.vars as Record<string, Claim>)[TICKET] = claim;
      if (claim.holding) return undefined;
      // Only a request that waits (queued, or asking the node's limiter in the supervisor) pays for a promise.
      return claim.wait().then((r) => (r === undefined ? undefined : conf.refusal));
    },
    // `log` runs once on every finish (response sent, client gone, upstream failure, a later
    // plugin answering): the one place the slot is given back, or the queue place left.
    log(ctx) {
      release(ctx);
    },
  },
});

function release(ctx: RequestContext): void {
  (ctx.vars[TICKET] as Claim | undefined)?.release();
}
