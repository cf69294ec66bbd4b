// The worker's usage job on a real SQLite store: dirty hours and days are rolled up, retention
// prunes, and a dirty bucket whose source rows are past retention is not recomputed (which would
// erase the roll-up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../store/open.ts';
import { usageSeries } from '../../store/usage/query.ts';
import { UsageAggregate } from './aggregate.ts';
import { rollUpUsage } from './rollup.ts';

const HOUR = 3_600_000, DAY = 24 * HOUR;
const retention = { minuteMs: 2 * DAY, hourMs: 10 * DAY, dayMs: 100 * DAY };

function rows(atMs: number, n: number) {
  const agg = new UsageAggregate(100);
  for (let i = 0; i < n; i++) agg.record({ atMs, consumer: 'acme', credential: '', product: 'p', plan: 'pro', service: 's', route: 'r', status: 200, latencyMs: 5, bytesIn: 0, bytesOut: 1 });
  return agg.take().rows;
}

test('a round rolls up what was marked, then prunes; a bucket past its source\'s retention is left alone', async (t) => {
  const store = await openStore('sqlite::memory:');
  t.after(() => store.close());
  const t0 = Date.parse('2030-04-01T10:30:00.000Z');
  await store.write((tx) => tx.usage.addMinutes(rows(t0, 3)));
  const first = await rollUpUsage(store, retention, t0 + HOUR);
  assert.deepEqual({ hours: first.hours, days: first.days }, { hours: 1, days: 1 });
  const daily = () => usageSeries(store.read().usage, { from: '2030-04-01T00:00:00.000Z', to: '2030-04-02T00:00:00.000Z', granularity: 'day', filter: { consumers: ['acme'] }, nowMs: t0, retention });
  assert.deepEqual((await daily()).map((p) => p.calls), [3]);
  // Nothing marked: a second round recomputes nothing.
  const again = await rollUpUsage(store, retention, t0 + HOUR);
  assert.deepEqual({ hours: again.hours, days: again.days }, { hours: 0, days: 0 });

  // Three days later the minute rows are past retention (2 days) and pruned…
  const later = await rollUpUsage(store, retention, t0 + 3 * DAY);
  assert.equal(later.pruned.minute, 1);
  // …then a late write marks that hour again (a node's flush after an outage): its minutes are
  // gone, so the hour is not recomputed from what is left — the rolled-up 3 plus nothing would be 0.
  await store.write((tx) => tx.usage.addMinutes(rows(t0, 1)));
  await store.write((tx) => tx.usage.prune(t0 + 3 * DAY, retention)); // the late row is itself old
  await rollUpUsage(store, retention, t0 + 3 * DAY);
  assert.deepEqual((await daily()).map((p) => p.calls), [3], 'the daily row survives');
  assert.deepEqual(await store.read().usage.dirty('hour', 10), [], 'the mark is cleared');
});
