// Which counter decides, and what happens when it cannot. The local counter (this node) answers
// from memory or from the supervisor; the Redis counter is shared by every node. When Redis fails
// (down, or slower than its command timeout) the instance's `fail` policy decides: open counts on
// this node instead, closed refuses. After a failure Redis is left alone for a second, so a hung
// Redis costs one timeout per second rather than one per request; the client reconnects in the
// background and counting returns to Redis by itself. Each outage is logged once, at its start and
// end, and every failed count is a metric. Used by rate-limiting and by webhook-verify (its replay
// memory), each with its own outage state and log wording (`purpose`).
import type { PluginLogger } from '../../core/pipeline/context.ts';
import type { RateCounter, RateDecision, RateWindow } from '../../store/counters/ports.ts';
import { RedisRateCounter } from '../../store/counters/redis.ts';
import { redisConnection, type RedisSettings } from '../../store/redis/connection.ts';
import { counterBackendCalls, counterBackendErrors, counterBackendUp } from '../../telemetry/metrics.ts';

export type Counted =
  | { readonly via: 'counter'; readonly decision: RateDecision }
  | { readonly via: 'fallback'; readonly decision: RateDecision }
  | { readonly via: 'refused' };

/** A count that may be answered now or later. */
export type MaybeCounted = Counted | Promise<Counted>;

const PAUSE_AFTER_FAILURE_MS = 1000;

/** One per Redis connection: its outage state is shared by every instance that uses it. */
export class GuardedRedisCounter {
  private readonly redis: RedisRateCounter;
  /** What the counts are for, as log lines name it: "rate-limit", "webhook replay". */
  private readonly purpose: string;
  private skipUntil = 0;
  private down = false;
  /** Until Redis has been reached once, requests wait for it (briefly) rather than fall back. */
  private started = false;

  constructor(redis: RedisRateCounter, purpose = 'rate-limit') {
    this.redis = redis;
    this.purpose = purpose;
  }

  hit(key: string, windows: readonly RateWindow[], nowMs: number, fallback: RateCounter | undefined, log: PluginLogger, weight = 1): MaybeCounted {
    if (nowMs < this.skipUntil) return this.failed(key, windows, nowMs, fallback, log, 'unavailable', weight);
    if (!this.redis.available()) {
      if (this.started) return this.failed(key, windows, nowMs, fallback, log, 'unavailable', weight);
      return this.redis.firstConnection().then((ok) => {
        this.started ||= ok;
        return ok ? this.hit(key, windows, Date.now(), fallback, log, weight) : this.failed(key, windows, Date.now(), fallback, log, 'unavailable', weight);
      });
    }
    this.started = true;
    return this.redis.hitThen<Counted>(key, windows, weight,
      (decision): Counted => {
        if (this.down) {
          this.down = false;
          counterBackendUp.labels('redis').set(1);
          log.info({ backend: 'redis' }, `${this.purpose} counter recovered: counting on Redis again`);
        }
        return { via: 'counter', decision };
      },
      () => {
        this.skipUntil = Date.now() + PAUSE_AFTER_FAILURE_MS;
        return this.failed(key, windows, Date.now(), fallback, log, 'error', weight);
      },
    );
  }

  private failed(key: string, windows: readonly RateWindow[], nowMs: number, fallback: RateCounter | undefined, log: PluginLogger, reason: 'unavailable' | 'error', weight: number): MaybeCounted {
    counterBackendErrors.labels('redis', reason).inc();
    if (!this.down) {
      this.down = true;
      counterBackendUp.labels('redis').set(0);
      log.warn({ backend: 'redis', reason }, `${this.purpose} counter unavailable: ${fallback ? 'counting per node' : 'refusing requests on fail-closed routes'} until Redis is back`);
    }
    if (fallback === undefined) return { via: 'refused' };
    return viaLocal(fallback, key, windows, nowMs, 'fallback', log, this.purpose, weight);
  }
}

/** Counts on the node-local counter; a failure there (supervisor unreachable) is a refusal or a pass per policy. */
export function viaLocal(counter: RateCounter, key: string, windows: readonly RateWindow[], nowMs: number, via: 'counter' | 'fallback', log: PluginLogger, purpose = 'rate-limit', weight = 1): MaybeCounted {
  const r = counter.hit(key, windows, nowMs, weight);
  if (!(r instanceof Promise)) return { via, decision: r };
  return r.then((decision): Counted => ({ via, decision }), (err: Error) => {
    counterBackendErrors.labels('supervisor', 'error').inc();
    log.warn({ backend: 'supervisor', err: err.message }, `${purpose} count failed`);
    return { via: 'refused' };
  });
}

const guarded = new Map<string, GuardedRedisCounter>();

/** One guarded counter per Redis connection and purpose (each purpose logs its own outages). */
export function redisCounter(settings: RedisSettings, purpose = 'rate-limit'): GuardedRedisCounter {
  const conn = redisConnection(settings);
  const id = `${settings.url}\n${settings.command_timeout_ms}\n${settings.key_prefix}\n${purpose}`;
  let g = guarded.get(id);
  if (g === undefined) {
    const calls = counterBackendCalls.labels('redis');
    guarded.set(id, (g = new GuardedRedisCounter(new RedisRateCounter(conn, () => calls.inc()), purpose)));
  }
  return g;
}
