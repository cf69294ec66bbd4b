// The worker role's usage job: rolls minute rows up into hours and hours into days (the buckets
// nodes marked dirty when they added minutes), then prunes each table past its retention. Each
// bucket is recomputed whole in its own transaction, so a crash or a second worker mid-way is
// harmless: re-running a roll-up gives the same rows.
import type { Store } from '../../store/ports.ts';
import type { UsageRetention } from '../../store/usage/store.ts';
import { startPeriodic, type PeriodicJob } from '../../core/jobs/periodic.ts';

/** Buckets rolled up per read of the dirty list. */
const BATCH = 100;

export interface RollupResult { readonly hours: number; readonly days: number; readonly pruned: { minute: number; hour: number; day: number } }

/** One round of roll-ups and retention at `nowMs`. */
export async function rollUpUsage(store: Store, retention: UsageRetention, nowMs: number): Promise<RollupResult> {
  const counts = { hour: 0, day: 0 };
  const keptFrom = { hour: new Date(nowMs - retention.minuteMs).toISOString(), day: new Date(nowMs - retention.hourMs).toISOString() };
  for (const level of ['hour', 'day'] as const) {
    for (;;) {
      const dirty = await store.read().usage.dirty(level, BATCH);
      for (const bucket of dirty) {
        await store.write(async (tx) => {
          // Its source rows are gone (past retention): recomputing would erase what was rolled up.
          if (bucket < keptFrom[level]) await tx.usage.clearDirty(level, bucket);
          else await tx.usage.rollUp(level, bucket);
        });
        counts[level]++;
      }
      if (dirty.length < BATCH) break;
    }
  }
  const pruned = await store.write((tx) => tx.usage.prune(nowMs, retention));
  return { hours: counts.hour, days: counts.day, pruned };
}

/** run(): one round now (tests; no last round is needed at shutdown: every round is complete). */
export type UsageJob = PeriodicJob<RollupResult>;

export function startUsageJob(opts: { store: Store; retention: UsageRetention; intervalMs: number; logger: { info(o: object, m?: string): void; warn(o: object, m?: string): void } }): UsageJob {
  const { store, logger } = opts;
  let failing = false;
  return startPeriodic(() => rollUpUsage(store, opts.retention, Date.now()), opts.intervalMs, {
    result(r) {
      if (failing) logger.info({}, 'usage roll-ups: working again');
      failing = false;
      const pruned = r.pruned.minute + r.pruned.hour + r.pruned.day;
      if (pruned > 0) logger.info({ pruned: r.pruned }, 'usage rows past retention pruned');
    },
    error(err) {
      if (!failing) logger.warn({ error: err.message }, 'usage roll-up failed; retrying');
      failing = true;
    },
  });
}
