// The dashboards' arithmetic (web/src/console/analytics/series.ts): the bucket grid with the
// API's points in place and zeros elsewhere, month buckets of unequal length, totals and rates,
// and round axis ticks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillBuckets, formatMs, formatPercent, niceTicks, percent, totalsOf, type Point } from '../../web/src/console/analytics/series.ts';

const point = (start: string, calls: number, extra: Partial<Point> = {}): Point => ({ start, calls, errors_4xx: 0, errors_5xx: 0, bytes_in: 0, bytes_out: 0, ...extra });

test('fillBuckets: every bucket of the range, the measured ones in place, zeros (without latency) elsewhere', () => {
  const filled = fillBuckets('minute', '2026-11-24T06:00:00.000Z', '2026-11-24T06:05:00.000Z', [point('2026-11-24T06:02:00.000Z', 7, { latency_p50_ms: 3 })]);
  assert.deepEqual(filled.map((p) => [p.start.slice(11, 16), p.calls, p.latency_p50_ms]), [
    ['06:00', 0, undefined], ['06:01', 0, undefined], ['06:02', 7, 3], ['06:03', 0, undefined], ['06:04', 0, undefined],
  ]);
});

test('fillBuckets: months are calendar months (UTC); the cap keeps the newest buckets', () => {
  const months = fillBuckets('month', '2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z', []);
  assert.deepEqual(months.map((p) => p.start.slice(0, 10)), ['2026-01-01', '2026-02-01', '2026-03-01']);
  const capped = fillBuckets('hour', '2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z', [], 3);
  assert.deepEqual(capped.map((p) => p.start.slice(11, 13)), ['21', '22', '23']);
});

test('totalsOf: sums, a call-weighted average latency and the highest p99; rates need calls', () => {
  const t = totalsOf([
    point('2026-11-24T06:00:00.000Z', 3, { errors_4xx: 1, latency_avg_ms: 10, latency_p99_ms: 40, bytes_out: 100 }),
    point('2026-11-24T06:01:00.000Z', 1, { errors_5xx: 1, latency_avg_ms: 50, latency_p99_ms: 90 }),
    point('2026-11-24T06:02:00.000Z', 0),
  ]);
  assert.deepEqual(t, { calls: 4, errors4xx: 1, errors5xx: 1, bytesIn: 0, bytesOut: 100, latencyAvgMs: 20, peakP99Ms: 90 });
  assert.equal(formatPercent(percent(t.errors4xx, t.calls)), '25%');
  assert.equal(percent(1, 0), undefined);
  assert.equal(formatPercent(undefined), '—');
  assert.equal(totalsOf([]).latencyAvgMs, undefined);
});

test('niceTicks: round steps, at most four intervals, the top at or above the peak', () => {
  assert.deepEqual(niceTicks(12), [0, 5, 10, 15]);
  assert.deepEqual(niceTicks(25), [0, 10, 20, 30]);
  assert.deepEqual(niceTicks(0.7), [0, 0.2, 0.4, 0.6, 0.8]);
  assert.deepEqual(niceTicks(100), [0, 50, 100]);
  assert.deepEqual(niceTicks(0), [0, 1]);
  for (const peak of [1, 3, 7, 42, 999, 12_345]) {
    const ticks = niceTicks(peak);
    assert.ok(ticks.length <= 5 && ticks.at(-1)! >= peak, `${peak}: ${ticks.join(',')}`);
  }
  assert.equal(formatMs(0), '0 ms');
  assert.equal(formatMs(1500), '1.5 s');
});
