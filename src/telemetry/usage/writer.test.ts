// The usage writer against a real SQLite store, with a switch in front of it that makes writes fail
// (the store going away): rows wait, capped, and reach the store once it is back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../store/open.ts';
import type { Store } from '../../store/ports.ts';
import { usageSeries } from '../../store/usage/query.ts';
import { UsageAggregate, type CallRecord } from './aggregate.ts';
import { UsageWriter } from './writer.ts';
import { controlRegistry } from '../metrics.ts';

const dropped = async () => (await controlRegistry.getSingleMetric('portcullis_usage_writer_dropped_calls_total')!.get()).values[0]?.value ?? 0;

const T0 = Date.parse('2030-03-01T10:00:00.000Z');
const quiet = { info: () => undefined, warn: () => undefined };

function rowsOf(records: Partial<CallRecord>[]) {
  const agg = new UsageAggregate(1000);
  for (const c of records) agg.record({ atMs: T0, consumer: 'acme', credential: '', product: '', plan: '', service: 's', route: 'r', status: 200, latencyMs: 5, bytesIn: 0, bytesOut: 1, ...c });
  return agg.take().rows;
}

/** The real store, whose writes fail while `down` is set. */
function switchable(real: Store): Store & { down: boolean } {
  const s = { ...real, down: false };
  s.write = (fn, opts) => (s.down ? Promise.reject(new Error('connection refused')) : real.write(fn, opts));
  return s;
}

async function calls(store: Store, consumer = 'acme'): Promise<number> {
  const points = await usageSeries(store.read().usage, { from: '2030-03-01T00:00:00.000Z', to: '2030-03-02T00:00:00.000Z', granularity: 'minute', filter: { consumers: [consumer] }, nowMs: T0 });
  return points.reduce((n, p) => n + p.calls, 0);
}

test('rows from workers and from this process are added to the store at each round; stop() writes the rest', async (t) => {
  const store = await openStore('sqlite::memory:');
  t.after(() => store.close());
  let local = rowsOf([{}, {}]);
  const writer = new UsageWriter({ store, logger: quiet, flushMs: 60_000, maxRows: 100, local: () => { const r = local; local = []; return r; } });
  writer.add(rowsOf([{}, { status: 500 }]));
  await writer.flush();
  assert.equal(await calls(store), 4);
  writer.add(rowsOf([{}]));
  await writer.stop();
  assert.equal(await calls(store), 5);
});

test('a store outage: rows wait (merged, capped, the excess counted), then reach the store when it is back', async (t) => {
  const real = await openStore('sqlite::memory:');
  t.after(() => real.close());
  const store = switchable(real);
  const writer = new UsageWriter({ store, logger: quiet, flushMs: 60_000, maxRows: 2 });
  store.down = true;
  const droppedBefore = await dropped();
  writer.add(rowsOf([{ route: 'a' }, { route: 'a' }]));
  await writer.flush();
  writer.add(rowsOf([{ route: 'a' }, { route: 'b' }]));
  await writer.flush();
  // A third row does not fit under the cap of 2 while the store is down: its call is dropped.
  writer.add(rowsOf([{ route: 'c' }]));
  await writer.flush();
  assert.equal(await calls(real), 0);
  assert.equal(await dropped() - droppedBefore, 1, 'the dropped call is counted');
  store.down = false;
  await writer.flush();
  assert.equal(await calls(real), 4, 'route a: 3 calls, route b: 1; route c was dropped');
  await writer.stop();
});
