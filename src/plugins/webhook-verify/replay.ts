// The replay memory: which verified deliveries were already received, kept in the rate counters
// (store/counters) as a limit of one per window. The sliding window counter with limit 1 refuses
// a key's second hit for at least one full window: a hit at time t0 lies in interval
// i = floor(t0 / W); through the rest of interval i it is the current count (1 + 1 > 1), and
// through all of interval i + 1 it is the previous count, weighted by the share of the window it
// still covers, 1 − elapsed > 0 (so 1 × (1 − elapsed) + 1 > 1 again). Only from interval i + 2,
// which starts at (i + 2)·W > t0 + W, is the key forgotten. So a key is remembered for at least W
// and at most 2W. (Redis keeps each interval's count for 2W + 1 s, past the end of interval i + 1.)
//
// The window W: a delivery signed at ts is accepted while the receiving node's clock reads
// ts − tolerance … ts + tolerance, a span of 2 × tolerance, so a copy can arrive at most that long
// after the original was accepted. Nodes' clocks differ a little, and the count may be taken
// slightly after the check (a round trip to the supervisor or Redis): MARGIN_SECONDS covers both.
// Hence W = 2 × tolerance + MARGIN_SECONDS, and every replay that passes the timestamp check finds
// its original in the memory. GitHub signs no timestamp: there the memory is the only defence,
// and it lasts the same W.
import type { PluginLogger } from '../../core/pipeline/context.ts';
import { localRateCounter } from '../../store/counters/local.ts';
import type { RateWindow } from '../../store/counters/ports.ts';
import { viaLocal, type GuardedRedisCounter, type MaybeCounted } from '../shared/counting.ts';

/** Clock differences between nodes and delays between check and count that W absorbs (NTP keeps nodes within milliseconds). */
export const MARGIN_SECONDS = 60;
/** How outages of the Redis memory are named in the logs. */
export const PURPOSE = 'webhook replay';

export function replayWindow(toleranceSeconds: number): readonly RateWindow[] {
  return Object.freeze([Object.freeze({ seconds: 2 * toleranceSeconds + MARGIN_SECONDS, limit: 1 })]);
}

export interface ReplayMemory {
  readonly windows: readonly RateWindow[];
  /** Keeps the memories of instances attached in different places apart. */
  readonly scope: string;
  /** The shared memory (backend: redis), undefined for the node-local one. */
  readonly redis: GuardedRedisCounter | undefined;
  readonly failOpen: boolean;
}

/**
 * Records a verified delivery. `via: counter|fallback` with `decision.allowed` false: already
 * received; `via: refused`: the memory could not answer (the instance's `fail` policy decides).
 */
export function remember(memory: ReplayMemory, id: string, nowMs: number, log: PluginLogger): MaybeCounted {
  const key = `wv|${memory.scope}|${id}`;
  if (memory.redis !== undefined) return memory.redis.hit(key, memory.windows, nowMs, memory.failOpen ? localRateCounter() : undefined, log);
  return viaLocal(localRateCounter(), key, memory.windows, nowMs, 'counter', log, PURPOSE);
}
