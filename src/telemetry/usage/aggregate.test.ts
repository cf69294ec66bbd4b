import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageAggregate, compareRows, isUsageRow, type CallRecord } from './aggregate.ts';
import { bucketOf } from '../../store/usage/histogram.ts';

const T0 = Date.parse('2030-01-01T10:00:00.000Z');
const call = (over: Partial<CallRecord> = {}): CallRecord => ({
  atMs: T0 + 5_000, consumer: 'acme', credential: 'c1', product: 'shipping', plan: 'pro', service: 'carrier', route: 'labels', status: 200, latencyMs: 12, bytesIn: 10, bytesOut: 100, ...over,
});

test('calls of one minute and one set of dimensions add up in one row, with errors by class and a histogram', () => {
  const agg = new UsageAggregate(100);
  agg.record(call());
  agg.record(call({ atMs: T0 + 59_999, latencyMs: 300, bytesIn: 0, bytesOut: 7 }));
  agg.record(call({ status: 404 }));
  agg.record(call({ status: 404, atMs: T0 + 60_000 }));
  agg.record(call({ status: 502, consumer: '' }));
  const { rows, droppedCalls } = agg.take();
  assert.equal(droppedCalls, 0);
  assert.equal(rows.length, 4);
  const ok = rows.find((r) => r.status === 200 && r.minute === T0)!;
  assert.equal(ok.calls, 2);
  assert.equal(ok.errors_4xx + ok.errors_5xx, 0);
  assert.equal(ok.bytes_in, 10);
  assert.equal(ok.bytes_out, 107);
  assert.equal(ok.latency_ms_sum, 312);
  assert.equal(ok.latency[bucketOf(12)], 1);
  assert.equal(ok.latency[bucketOf(300)], 1);
  assert.equal(rows.find((r) => r.status === 404 && r.minute === T0)!.errors_4xx, 1);
  assert.equal(rows.find((r) => r.status === 404 && r.minute === T0 + 60_000)!.calls, 1, 'the next minute is another row');
  assert.equal(rows.find((r) => r.status === 502)!.errors_5xx, 1);
  assert.ok(rows.every(isUsageRow));
  assert.equal(agg.size, 0, 'take() empties it');
});

test('the row cap: calls needing a new row are dropped and counted; existing rows keep counting', () => {
  const agg = new UsageAggregate(2);
  assert.ok(agg.record(call({ route: 'a' })));
  assert.ok(agg.record(call({ route: 'b' })));
  assert.equal(agg.record(call({ route: 'c' })), false);
  assert.ok(agg.record(call({ route: 'a' })));
  const { rows, droppedCalls } = agg.take();
  assert.equal(droppedCalls, 1);
  assert.deepEqual(rows.map((r) => [r.route, r.calls]), [['a', 2], ['b', 1]]);
});

test('merge adds rows key by key (histograms too), and reports the calls it could not keep', () => {
  const a = new UsageAggregate(10), b = new UsageAggregate(10);
  a.record(call({ latencyMs: 1 }));
  b.record(call({ latencyMs: 2000 }));
  b.record(call({ route: 'other' }));
  const into = new UsageAggregate(2);
  assert.equal(into.merge(a.take().rows), 0);
  const fromB = b.take().rows;
  assert.equal(into.merge(fromB), 0);
  assert.equal(into.merge([{ ...fromB[0]!, route: 'third', calls: 5 }]), 5, 'a third row does not fit');
  const rows = into.take().rows.sort(compareRows);
  const labels = rows.find((r) => r.route === 'labels')!;
  assert.equal(labels.calls, 2);
  assert.equal(labels.latency[bucketOf(1)], 1);
  assert.equal(labels.latency[bucketOf(2000)], 1);
  // The merged rows are copies: adding to them later leaves the source rows alone.
  assert.equal(fromB.find((r) => r.route === 'labels')!.calls, 1);
});

test('isUsageRow refuses what is not a row', () => {
  assert.equal(isUsageRow(null), false);
  assert.equal(isUsageRow({ minute: 'x' }), false);
  assert.equal(isUsageRow({ minute: 1, consumer: '', service: '', route: '', status: 200, calls: 1 }), false);
});
