import { test } from 'node:test';
import assert from 'node:assert/strict';
import client from 'prom-client';
import { FastCounter, FastHistogram } from './fast-series.ts';

test('fast series render as Prometheus counters and cumulative histograms', async () => {
  const registry = new client.Registry();
  const h = new FastHistogram('t_seconds', 'Test latency.', [0.1, 1], registry);
  const c = new FastCounter('t_total', 'Test count.', registry);
  const s = h.with({ route: 'r' });
  for (const v of [0.05, 0.1, 0.5, 2]) s.observe(v);
  assert.equal(h.with({ route: 'r' }), s, 'the same label set gives the same series');
  c.with({ route: 'r' }).inc();
  c.with({ route: 'r' }).inc();
  const text = await registry.metrics();
  assert.match(text, /# TYPE t_seconds histogram/);
  assert.match(text, /t_seconds_bucket\{route="r",le="0.1"\} 2\n/);
  assert.match(text, /t_seconds_bucket\{route="r",le="1"\} 3\n/);
  assert.match(text, /t_seconds_bucket\{route="r",le="\+Inf"\} 4\n/);
  assert.match(text, /t_seconds_sum\{route="r"\} 2.65\n/);
  assert.match(text, /t_seconds_count\{route="r"\} 4\n/);
  assert.match(text, /# TYPE t_total counter\nt_total\{route="r"\} 2\n/);
});

test('worker series aggregate by summing, as prom-client cluster metrics do', async () => {
  const a = new client.Registry();
  const b = new client.Registry();
  for (const r of [a, b]) new FastCounter('agg_total', 'x', r).with({ k: 'v' }).inc();
  const merged = client.AggregatorRegistry.aggregate([await a.getMetricsAsJSON(), await b.getMetricsAsJSON()]);
  assert.match(await merged.metrics(), /agg_total\{k="v"\} 2/);
});
