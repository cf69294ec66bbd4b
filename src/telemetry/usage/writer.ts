// The node's usage writer (in the supervisor, which holds the store): gathers the gateway
// processes' aggregates and adds them to the store's minute rows every `flushMs`, in one
// transaction of batched upserts. The proxy never waits on it.
//
// - A failed write gives its rows back (merged with what arrived meanwhile) for the next round; the
//   rows held are capped (PORTCULLIS_USAGE_MAX_ROWS), beyond which calls are dropped and counted,
//   so a long store outage costs bounded memory and never affects serving.
// - Graceful stop: the gateway drains first (workers hand over their last aggregate as they exit),
//   then stop() writes what is left. A crash (kill -9) loses at most what was gathered since the
//   last write: one hand-off plus one flush interval.
// - Without a store (DB-less mode) nothing is kept: the aggregates are discarded at each round.
import client from 'prom-client';
import { controlRegistry } from '../metrics.ts';
import type { Store } from '../../store/ports.ts';
import { UsageAggregate, compareRows, type UsageRow } from './aggregate.ts';

export interface UsageWriterLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface UsageWriterOptions {
  readonly store: Store | undefined;
  readonly logger: UsageWriterLogger;
  readonly flushMs: number;
  readonly maxRows: number;
  /** Rows recorded in this process (a gateway running in the supervisor), taken at every round. */
  readonly local?: () => UsageRow[];
}

const droppedCalls = new client.Counter({
  name: 'portcullis_usage_writer_dropped_calls_total',
  help: 'Calls usage metering dropped in the supervisor because the store stayed unreachable until PORTCULLIS_USAGE_MAX_ROWS rows were waiting.',
  registers: [controlRegistry],
});
const pendingRows = new client.Gauge({
  name: 'portcullis_usage_pending_rows',
  help: 'Usage rows waiting in the supervisor to be written to the store.',
  registers: [controlRegistry],
});
const writeFailures = new client.Counter({
  name: 'portcullis_usage_write_failures_total',
  help: 'Usage writes to the store that failed (their rows wait for the next round).',
  registers: [controlRegistry],
});

export class UsageWriter {
  private readonly opts: UsageWriterOptions;
  private pending: UsageAggregate;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private storeError: string | undefined;
  private stopped = false;

  constructor(opts: UsageWriterOptions) {
    this.opts = opts;
    this.pending = new UsageAggregate(opts.maxRows);
  }

  /** Rows from a gateway worker. */
  add(rows: readonly UsageRow[]): void {
    const dropped = this.pending.merge(rows);
    if (dropped > 0) droppedCalls.inc(dropped);
    pendingRows.set(this.pending.size);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushMs);
    this.timer.unref();
  }

  /** One round (never two at once): take what is held and add it to the store. */
  flush(): Promise<void> {
    this.writing ??= this.flushOnce().finally(() => { this.writing = undefined; });
    return this.writing;
  }

  /** Stops the timer and writes what is left (graceful shutdown, after the gateway drained). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.writing;
    await this.flush();
    if (this.opts.store !== undefined && this.pending.size > 0) this.opts.logger.warn({ rows: this.pending.size }, 'usage could not be saved before stopping');
  }

  private async flushOnce(): Promise<void> {
    if (this.opts.local) this.add(this.opts.local());
    const { rows } = this.pending.take();
    pendingRows.set(0);
    const store = this.opts.store;
    if (rows.length === 0 || store === undefined) return;
    // Sorted: every node locks rows in the same order, so concurrent writes cannot deadlock.
    rows.sort(compareRows);
    try {
      await store.write((tx) => tx.usage.addMinutes(rows));
      if (this.storeError !== undefined) {
        this.opts.logger.info({}, 'usage is saved to the store again');
        this.storeError = undefined;
      }
    } catch (err) {
      writeFailures.inc();
      // Nothing was added (one transaction): the rows wait for the next round.
      this.add(rows);
      const message = (err as Error)?.message ?? String(err);
      if (this.storeError === undefined) this.opts.logger.warn({ error: message }, 'usage cannot be saved to the store; keeping it in memory until it is back');
      this.storeError = message;
    }
  }
}
