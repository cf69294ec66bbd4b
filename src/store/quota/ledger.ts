// The node's quota ledger (the supervisor's QuotaCounter): counts every worker's requests in memory,
// exactly, and keeps the store in step in the background, so the proxy never waits on a database.
//
// - Start: the current periods' usage is loaded before the gateway serves, so the first request of
//   a subject already counts on from what is persisted.
// - Every second the counts made here since the last flush are ADDED to the store's rows
//   (`used = used + delta`): nodes sharing a database each add theirs, and each flush returns the
//   total of all nodes, which becomes this node's base. Every few seconds all current rows are read
//   again, so subjects this node has not counted lately learn other nodes' counts too.
// - In the flush transaction, a subject that crossed 80% or 100% of its limit has its `notified`
//   threshold raised, conditional on the previous value, and the event is recorded with it: one
//   transaction in the whole cluster wins each threshold, so each event is published exactly once.
// - Bounds: a node can allow up to the other nodes' traffic of about two sync intervals beyond a
//   limit (what they counted but have not flushed, plus what this node has not read back yet). A
//   crash (kill -9) loses what was counted since the last flush (≤ 1 s). A graceful stop flushes.
// - Without a store (DB-less mode) the same ledger counts in memory only.
import { PeriodClock, type CalendarPeriod } from '../../core/quota/periods.ts';
import { QUOTA_THRESHOLDS as THRESHOLDS } from '../../core/quota/thresholds.ts';
import type { QuotaAsk, QuotaCounter, QuotaDecision } from '../counters/ports.ts';
import type { QuotaDelta, Store, StoreSession } from '../ports.ts';

export { QUOTA_EVENTS } from '../../core/quota/thresholds.ts';

/** Deltas per transaction: keeps each one short on a busy node. */
const FLUSH_CHUNK = 500;

export interface LedgerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface QuotaLedgerOptions {
  /** Where usage is persisted; absent: memory only (DB-less mode). */
  readonly store?: Store;
  readonly logger: LedgerLogger;
  /** How often counts are added to the store (default 1 s). */
  readonly flushMs?: number;
  /** How often all current usage is read back from the store (default 5 s). */
  readonly refreshMs?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly subject: string;
  readonly periodStart: number;
  readonly periodEnd: number;
  period: CalendarPeriod;
  limit: number;
  consumer: string;
  plan: string | null;
  product: string | null;
  /** The store's count (all nodes) as last seen: at the last flush or refresh. */
  base: number;
  /** Counted here since the last flush. */
  pending: number;
  /** Counted here, in the flush under way. */
  flushing: number;
}

/** The payload of a quota event (what webhooks will deliver). */
export interface QuotaEventPayload {
  readonly subject: string;
  readonly consumer: string;
  readonly plan: string | null;
  readonly product: string | null;
  readonly period: string;
  readonly period_start: string;
  readonly limit: number;
  readonly used: number;
  readonly threshold: number;
  readonly resets_at: string;
}

const keyOf = (subject: string, periodStart: number) => `${periodStart}\n${subject}`;

export class QuotaLedger implements QuotaCounter {
  private readonly store: Store | undefined;
  private readonly logger: LedgerLogger;
  private readonly flushMs: number;
  private readonly refreshMs: number;
  private readonly now: () => number;
  private readonly clock = new PeriodClock();
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private lastRefresh = 0;
  private storeError: string | undefined;
  private stopped = false;

  constructor(opts: QuotaLedgerOptions) {
    this.store = opts.store;
    this.logger = opts.logger;
    this.flushMs = opts.flushMs ?? 1000;
    this.refreshMs = opts.refreshMs ?? 5000;
    this.now = opts.now ?? Date.now;
  }

  get persistent(): boolean {
    return this.store !== undefined;
  }

  /** Subjects held in memory (current periods, and past ones not yet flushed). */
  get size(): number {
    return this.entries.size;
  }

  consume(ask: QuotaAsk, nowMs: number, weight = 1): QuotaDecision {
    const bounds = this.clock.bounds(ask.period, ask.timeZone, nowMs);
    const key = keyOf(ask.subject, bounds.start);
    let e = this.entries.get(key);
    if (e === undefined) {
      e = { subject: ask.subject, periodStart: bounds.start, periodEnd: bounds.end, period: ask.period, limit: ask.limit, consumer: ask.consumer, plan: ask.plan ?? null, product: ask.product ?? null, base: 0, pending: 0, flushing: 0 };
      this.entries.set(key, e);
    } else if (e.limit !== ask.limit || e.plan !== (ask.plan ?? null)) {
      // A plan changed mid-period: the new limit applies to what was used so far.
      e.limit = ask.limit;
      e.plan = ask.plan ?? null;
      e.product = ask.product ?? null;
    }
    const used = e.base + e.pending + e.flushing;
    if (used + weight > ask.limit) return { allowed: false, used, limit: ask.limit, resetsAt: bounds.end };
    e.pending += weight;
    return { allowed: true, used: used + weight, limit: ask.limit, resetsAt: bounds.end };
  }

  refund(ask: QuotaAsk, atMs: number, units: number): void {
    const e = this.entries.get(keyOf(ask.subject, this.clock.bounds(ask.period, ask.timeZone, atMs).start));
    // Pending may go below zero when the units were flushed already: the next flush takes them off.
    if (e !== undefined && units > 0) e.pending -= units;
  }

  /** Loads the current periods' usage (before the gateway serves), then syncs in the background. */
  async start(): Promise<void> {
    if (this.store !== undefined) {
      try {
        await this.refresh(this.store);
      } catch (err) {
        this.storeFailed(err);
      }
    }
    this.timer = setInterval(() => void this.sync(), this.flushMs);
    this.timer.unref();
  }

  /** One round: flush what was counted, read back every subject now and then, forget old periods. */
  sync(): Promise<void> {
    this.syncing ??= this.syncOnce().finally(() => { this.syncing = undefined; });
    return this.syncing;
  }

  /** Stops the timer and flushes what is left (graceful shutdown). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.syncing;
    await this.sync();
    const left = [...this.entries.values()].reduce((n, e) => n + e.pending, 0);
    if (this.store !== undefined && left > 0) this.logger.warn({ requests: left }, 'quota counts could not be saved before stopping');
  }

  private async syncOnce(): Promise<void> {
    const now = this.now();
    const store = this.store;
    if (store !== undefined) {
      try {
        await this.flush(store);
        if (now - this.lastRefresh >= this.refreshMs) await this.refresh(store);
        if (this.storeError !== undefined) {
          this.logger.info({}, 'quota usage is saved to the store again');
          this.storeError = undefined;
        }
      } catch (err) {
        this.storeFailed(err);
      }
    }
    for (const [key, e] of this.entries) {
      if (e.periodEnd <= now && e.pending === 0 && e.flushing === 0) this.entries.delete(key);
    }
  }

  private storeFailed(err: unknown): void {
    const message = (err as Error)?.message ?? String(err);
    // Once per outage: the counts wait in memory and are added when the store is back.
    if (this.storeError === undefined) this.logger.warn({ error: message }, 'quota usage cannot be saved to the store; counting in memory until it is back');
    this.storeError = message;
  }

  private async flush(store: Store): Promise<void> {
    // Sorted: every node locks rows in the same order, so concurrent flushes cannot deadlock.
    const batch = [...this.entries.values()].filter((e) => e.pending !== 0).sort((a, b) => a.periodStart - b.periodStart || (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
    for (let i = 0; i < batch.length; i += FLUSH_CHUNK) {
      const chunk = batch.slice(i, i + FLUSH_CHUNK);
      for (const e of chunk) { e.flushing = e.pending; e.pending = 0; }
      let totals: number[];
      try {
        totals = await store.write(async (tx) => {
          const out: number[] = [];
          for (const e of chunk) out.push(await this.add(tx, e));
          return out;
        });
      } catch (err) {
        // Nothing was added: the counts go back to pending for the next round.
        for (const e of chunk) { e.pending += e.flushing; e.flushing = 0; }
        throw err;
      }
      chunk.forEach((e, j) => { e.base = totals[j]!; e.flushing = 0; });
    }
  }

  /** Adds one subject's delta; publishes the thresholds it crossed. Returns the new total. */
  private async add(tx: StoreSession, e: Entry): Promise<number> {
    const periodStart = new Date(e.periodStart).toISOString();
    const delta: QuotaDelta = {
      subject: e.subject, period_start: periodStart, period_end: new Date(e.periodEnd).toISOString(), period: e.period,
      limit: e.limit, consumer: e.consumer, plan: e.plan, product: e.product, delta: e.flushing,
    };
    const totals = await tx.addQuotaUsage(delta);
    for (const [threshold, type] of THRESHOLDS) {
      if (totals.notified >= threshold || totals.used * 100 < threshold * totals.limit) continue;
      if (!await tx.markQuotaNotified(e.subject, periodStart, threshold)) continue;
      const payload: QuotaEventPayload = {
        subject: e.subject, consumer: e.consumer, plan: e.plan, product: e.product, period: e.period, period_start: periodStart,
        limit: totals.limit, used: totals.used, threshold, resets_at: delta.period_end,
      };
      await tx.insertEvent({ type, subject: e.subject, idempotency_key: `${type}:${e.subject}:${periodStart}`, payload: JSON.stringify(payload) });
    }
    return totals.used;
  }

  /** Reads every current row: bases of known subjects, and subjects other nodes started. */
  private async refresh(store: Store): Promise<void> {
    const now = this.now();
    const rows = await store.read().currentQuotaUsage(new Date(now).toISOString());
    this.lastRefresh = now;
    for (const row of rows) {
      const start = Date.parse(row.period_start);
      const key = keyOf(row.subject, start);
      const e = this.entries.get(key);
      if (e === undefined) {
        this.entries.set(key, {
          subject: row.subject, periodStart: start, periodEnd: Date.parse(row.period_end), period: row.period === 'day' ? 'day' : 'month',
          limit: row.limit, consumer: row.consumer, plan: row.plan, product: row.product, base: row.used, pending: 0, flushing: 0,
        });
      } else if (e.flushing === 0) {
        // The row holds every flush of this node (flushes and refreshes never overlap) and of others.
        e.base = row.used;
      }
    }
  }
}
