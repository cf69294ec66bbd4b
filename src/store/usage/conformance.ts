// Store conformance: usage metering (schema 6). Minute rows add up across flushes and nodes; roll-ups
// are idempotent; retention prunes each table by its own age; the queries pick the right table and
// merge histograms. Each test uses its own consumer names (the database is shared by the suite).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../ports.ts';
import { isShareable, unique, type SuiteContext } from '../conformance/support.ts';
import { emptyHistogram, type UsageRow } from './types.ts';
import { bucketOf } from './histogram.ts';
import { topConsumers, usageCsv, usageSeries, usageTotals } from './query.ts';

const HOUR = 3_600_000, DAY = 24 * HOUR;

export function row(minute: string | number, consumer: string, over: Partial<UsageRow> & { latencies?: number[] } = {}): UsageRow {
  const latencies = over.latencies ?? [10];
  const latency = emptyHistogram();
  for (const l of latencies) latency[bucketOf(l)]!++;
  const status = over.status ?? 200;
  const calls = latencies.length;
  return {
    minute: typeof minute === 'number' ? minute : Date.parse(minute), consumer, credential: 'cred-1', product: 'shipping', plan: 'pro', service: 'carrier', route: 'labels', status,
    calls, errors_4xx: status >= 400 && status < 500 ? calls : 0, errors_5xx: status >= 500 ? calls : 0, bytes_in: 100 * calls, bytes_out: 1000 * calls,
    latency_ms_sum: latencies.reduce((a, b) => a + b, 0), latency, ...over,
  };
}

async function rollAll(s: Store): Promise<void> {
  for (const level of ['hour', 'day'] as const) {
    for (;;) {
      const dirty = await s.read().usage.dirty(level, 100);
      if (dirty.length === 0) break;
      for (const b of dirty) await s.write((tx) => tx.usage.rollUp(level, b));
    }
  }
}

export function usageTests(ctx: SuiteContext): void {
  const { store } = ctx;

  test('usage: minute rows add up across flushes and concurrent nodes; counts beyond 2^31 fit', async () => {
    const s = store();
    const consumer = unique('usage-add');
    const minute = '2030-05-01T10:07:00.000Z';
    await s.write((tx) => tx.usage.addMinutes([row(minute, consumer), row(minute, consumer, { status: 503, latencies: [3000] })]));
    await s.write((tx) => tx.usage.addMinutes([row(minute, consumer, { latencies: [1, 400] })]));
    const other = isShareable(ctx.url()) ? await ctx.openAnother() : undefined;
    try {
      // Two nodes flushing the same key at once: both counts are kept.
      await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 || other === undefined ? s : other).write((tx) => tx.usage.addMinutes([row(minute, consumer)]))));
    } finally {
      if (other) await ctx.closeAnother(other);
    }
    await s.write((tx) => tx.usage.addMinutes([row(minute, consumer, { calls: 3_000_000_000, bytes_out: 5_000_000_000 })]));
    const range = { from: '2030-05-01T10:00:00.000Z', to: '2030-05-01T11:00:00.000Z', filter: { consumers: [consumer] }, nowMs: Date.parse('2030-05-01T12:00:00.000Z') };
    const points = await usageSeries(s.read().usage, { ...range, granularity: 'minute' });
    assert.equal(points.length, 1);
    assert.equal(points[0]!.start, minute);
    assert.equal(points[0]!.calls, 1 + 1 + 2 + 6 + 3_000_000_000);
    assert.equal(points[0]!.errors_5xx, 1);
    const ok = await usageSeries(s.read().usage, { ...range, granularity: 'minute', filter: { consumers: [consumer], statusClass: '2xx' } });
    assert.equal(ok[0]!.calls, 1 + 2 + 6 + 3_000_000_000);
  });

  test('usage: hourly and daily roll-ups sum the finer table, and re-running them changes nothing', async () => {
    const s = store();
    const consumer = unique('usage-roll');
    const rows = [
      row('2030-06-02T09:00:00.000Z', consumer, { latencies: [5, 5, 5, 5] }),
      row('2030-06-02T09:59:00.000Z', consumer, { latencies: [600], status: 404 }),
      row('2030-06-02T10:30:00.000Z', consumer, { latencies: [50, 60] }),
      row('2030-06-03T00:00:00.000Z', consumer, { latencies: [20] }),
    ];
    await s.write((tx) => tx.usage.addMinutes(rows));
    await rollAll(s);
    const usage = s.read().usage;
    const now = Date.parse('2030-06-10T00:00:00.000Z');
    const hourly = await usageSeries(usage, { from: '2030-06-02T00:00:00.000Z', to: '2030-06-04T00:00:00.000Z', granularity: 'hour', filter: { consumers: [consumer] }, nowMs: now });
    assert.deepEqual(hourly.map((p) => [p.start, p.calls, p.errors_4xx]), [['2030-06-02T09:00:00.000Z', 5, 1], ['2030-06-02T10:00:00.000Z', 2, 0], ['2030-06-03T00:00:00.000Z', 1, 0]]);
    // Four calls of 5 ms and one of 600: the median (3rd call) is in the (2, 5] bucket, interpolated
    // 3/4 of the way; p99 is in the (500, 750] bucket.
    assert.equal(hourly[0]!.latency_p50_ms, 4.25);
    assert.equal(hourly[0]!.latency_p99_ms, 750);
    const daily = async () => usageSeries(s.read().usage, { from: '2030-06-01T00:00:00.000Z', to: '2030-07-01T00:00:00.000Z', granularity: 'day', filter: { consumers: [consumer] }, nowMs: now });
    const first = await daily();
    assert.deepEqual(first.map((p) => [p.start, p.calls, p.bytes_out]), [['2030-06-02T00:00:00.000Z', 7, 7000], ['2030-06-03T00:00:00.000Z', 1, 1000]]);
    // Idempotent: rolling up the same buckets again (as a retry after a crash would) gives the same rows.
    for (const h of ['2030-06-02T09:00:00.000Z', '2030-06-02T10:00:00.000Z']) await s.write((tx) => tx.usage.rollUp('hour', h));
    await s.write((tx) => tx.usage.rollUp('day', '2030-06-02T00:00:00.000Z'));
    await rollAll(s);
    assert.deepEqual(await daily(), first);
    const monthly = await usageSeries(s.read().usage, { from: '2030-06-01T00:00:00.000Z', to: '2030-07-01T00:00:00.000Z', granularity: 'month', filter: { consumers: [consumer] }, nowMs: now });
    assert.deepEqual(monthly.map((p) => [p.start, p.calls]), [['2030-06-01T00:00:00.000Z', 8]]);
    // A late minute (a node's flush after the roll-up) marks the hour dirty again.
    await s.write((tx) => tx.usage.addMinutes([row('2030-06-02T09:30:00.000Z', consumer)]));
    await rollAll(s);
    assert.equal((await daily())[0]!.calls, 8);
  });

  test('usage: minutes a node adds while their hour is being rolled up are never lost', async () => {
    const s = store();
    const consumer = unique('usage-race');
    const minute = '2030-06-05T10:07:00.000Z';
    // The hour is dirty already (an earlier flush): the flush below finds the mark there.
    await s.write((tx) => tx.usage.addMinutes([row(minute, consumer)]));
    const other = isShareable(ctx.url()) ? await ctx.openAnother() : undefined;
    try {
      let added!: () => void;
      let commit!: () => void;
      const minutesAdded = new Promise<void>((resolve) => { added = resolve; });
      const committing = new Promise<void>((resolve) => { commit = resolve; });
      // A node's flush, held open after its minutes and its mark are written…
      const flush = s.write(async (tx) => {
        await tx.usage.addMinutes([row(minute, consumer, { latencies: [1, 2] })]);
        added();
        await committing;
      });
      await minutesAdded;
      // …while the worker rolls the hour up from another connection. It must either wait for the
      // flush or leave the hour dirty: clearing the mark and summing without the flush's minutes
      // would lose them for good. A roll-up that does not wait is done well within this bound.
      const rollup = (other ?? s).write((tx) => tx.usage.rollUp('hour', minute));
      await Promise.race([rollup, new Promise((resolve) => setTimeout(resolve, 500))]);
      commit();
      await Promise.all([flush, rollup]);
    } finally {
      if (other) await ctx.closeAnother(other);
    }
    await rollAll(s);
    const hourly = await usageSeries(s.read().usage, { from: '2030-06-05T10:00:00.000Z', to: '2030-06-05T11:00:00.000Z', granularity: 'hour', filter: { consumers: [consumer] }, nowMs: Date.parse('2030-06-10T00:00:00.000Z') });
    assert.deepEqual(hourly.map((p) => [p.start, p.calls]), [['2030-06-05T10:00:00.000Z', 3]]);
  });

  test('usage: retention prunes each table by its own age', async () => {
    const s = store();
    const consumer = unique('usage-prune');
    const base = Date.parse('2001-01-10T00:00:00.000Z');
    await s.write((tx) => tx.usage.addMinutes([row(base, consumer), row(base + 5 * DAY, consumer)]));
    await rollAll(s);
    const retention = { minuteMs: 2 * DAY, hourMs: 4 * DAY, dayMs: 30 * DAY };
    // Now is 6 days after base: the first minute row (6 d old) and its hour go; the day row stays.
    const removed = await s.write((tx) => tx.usage.prune(base + 6 * DAY, retention));
    assert.ok(removed.minute >= 1 && removed.hour >= 1, JSON.stringify(removed));
    const q = (granularity: 'minute' | 'day') => usageSeries(s.read().usage, { from: '2001-01-01T00:00:00.000Z', to: '2001-02-01T00:00:00.000Z', granularity, filter: { consumers: [consumer] }, nowMs: base + 6 * DAY, retention });
    assert.deepEqual((await q('minute')).map((p) => p.start), ['2001-01-15T00:00:00.000Z'], 'minute rows: only the recent one');
    assert.deepEqual((await q('day')).map((p) => [p.start, p.calls]), [['2001-01-10T00:00:00.000Z', 1], ['2001-01-15T00:00:00.000Z', 1]], 'daily rows kept');
  });

  test('usage: billing totals per consumer × product × plan, top consumers, CSV', async () => {
    const s = store();
    const a = unique('usage-bill-a'), b = unique('usage-bill-b');
    await s.write((tx) => tx.usage.addMinutes([
      row('2030-08-03T10:00:00.000Z', a, { latencies: [1, 1, 1] }),
      row('2030-08-20T23:59:00.000Z', a, { plan: 'free', latencies: [1] }),
      row('2030-08-20T23:59:00.000Z', b, { latencies: [2, 2, 2, 2, 2] }),
      row('2030-09-01T00:00:00.000Z', a, { latencies: [1] }),
    ]));
    await rollAll(s);
    const period = { from: '2030-08-01T00:00:00.000Z', to: '2030-09-01T00:00:00.000Z', filter: { consumers: [a, b] }, nowMs: Date.parse('2030-09-02T00:00:00.000Z') };
    const totals = await usageTotals(s.read().usage, period);
    assert.deepEqual(totals.map((x) => [x.consumer, x.product, x.plan, x.calls]), [[a, 'shipping', 'free', 1], [a, 'shipping', 'pro', 3], [b, 'shipping', 'pro', 5]]);
    const top = await topConsumers(s.read().usage, { ...period, limit: 1 });
    assert.deepEqual(top.map((x) => [x.consumer, x.calls]), [[b, 5]]);
    assert.deepEqual(await usageTotals(s.read().usage, { ...period, filter: { consumers: [] } }), []);
    const csv = usageCsv(await usageSeries(s.read().usage, { ...period, granularity: 'month' }));
    assert.match(csv, /^start,calls,errors_4xx,errors_5xx,bytes_in,bytes_out,latency_avg_ms,latency_p50_ms,latency_p95_ms,latency_p99_ms\r\n2030-08-01T00:00:00.000Z,9,0,0,900,9000,/);
    assert.equal(csv.split('\r\n').length, 3);
  });

  test('usage: hourly queries read the hourly table (fresh after the roll-up), minute queries the minute rows', async () => {
    const s = store();
    const consumer = unique('usage-table');
    await s.write((tx) => tx.usage.addMinutes([row('2030-10-01T10:15:00.000Z', consumer)]));
    const q = { from: '2030-10-01T00:00:00.000Z', to: '2030-10-02T00:00:00.000Z', filter: { consumers: [consumer] }, nowMs: Date.parse('2030-10-05T00:00:00.000Z') };
    assert.deepEqual((await usageSeries(s.read().usage, { ...q, granularity: 'minute' })).map((p) => p.calls), [1]);
    assert.deepEqual(await usageSeries(s.read().usage, { ...q, granularity: 'hour' }), [], 'not rolled up yet');
    await rollAll(s);
    assert.deepEqual((await usageSeries(s.read().usage, { ...q, granularity: 'hour' })).map((p) => p.calls), [1]);
  });
}
