import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LATENCY_BOUNDS_MS, LATENCY_BUCKETS, bucketOf, percentile } from './histogram.ts';
import { emptyHistogram } from './types.ts';

const histogramOf = (latencies: readonly number[]) => {
  const h = emptyHistogram();
  for (const l of latencies) h[bucketOf(l)]!++;
  return h;
};

test('bucketOf: bounds are inclusive upper bounds; above the last bound is the overflow bucket', () => {
  assert.equal(LATENCY_BUCKETS, LATENCY_BOUNDS_MS.length + 1);
  assert.equal(bucketOf(0), 0);
  assert.equal(bucketOf(1), 0);
  assert.equal(bucketOf(1.0001), 1);
  assert.equal(bucketOf(100), LATENCY_BOUNDS_MS.indexOf(100));
  assert.equal(bucketOf(10_000), LATENCY_BOUNDS_MS.length - 1);
  assert.equal(bucketOf(10_000.5), LATENCY_BOUNDS_MS.length);
  assert.equal(bucketOf(1e9), LATENCY_BOUNDS_MS.length);
});

test('percentile: none without calls; interpolated inside the bucket holding the rank', () => {
  assert.equal(percentile(emptyHistogram(), 0.5), undefined);
  // 100 calls of 60 ms: all in (50, 75]; the rank r of 100 sits at 50 + 25 * r/100.
  const h = histogramOf(Array.from({ length: 100 }, () => 60));
  assert.equal(percentile(h, 0.5), 62.5);
  assert.equal(percentile(h, 0.99), 74.75);
  assert.equal(percentile(h, 1), 75);
  // 90 fast calls and 10 slow ones: p50 is fast, p95 and p99 are slow.
  const mixed = histogramOf([...Array.from({ length: 90 }, () => 3), ...Array.from({ length: 10 }, () => 800)]);
  assert.ok(percentile(mixed, 0.5)! > 2 && percentile(mixed, 0.5)! <= 5);
  assert.ok(percentile(mixed, 0.95)! > 750 && percentile(mixed, 0.95)! <= 1000);
  // The overflow bucket reports its lower bound: nothing is known above it.
  assert.equal(percentile(histogramOf([60_000]), 0.99), 10_000);
});

test('percentiles of merged histograms equal those of all the calls together', () => {
  const a = [1, 4, 9, 30, 30, 120, 700], b = [2, 2, 60, 80, 3000, 12_000];
  const merged = histogramOf(a).map((n, i) => n + histogramOf(b)[i]!);
  for (const q of [0.5, 0.95, 0.99]) assert.equal(percentile(merged, q), percentile(histogramOf([...a, ...b]), q));
});
