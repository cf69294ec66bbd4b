import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { Limiter, type Ticket } from './limiter.ts';
import { concurrencyLimit } from './plugin.ts';
import { LIMITERS } from './registry.ts';

/** Timers under test control: fire() runs those due. */
function manualTimers() {
  let now = 0;
  const pending = new Set<{ at: number; fn: () => void }>();
  return {
    set: (fn: () => void, ms: number) => { const t = { at: now + ms, fn }; pending.add(t); return t; },
    clear: (t: unknown) => { pending.delete(t as { at: number; fn: () => void }); },
    advance(ms: number) { now += ms; for (const t of pending) if (t.at <= now) { pending.delete(t); t.fn(); } },
    get pending() { return pending.size; },
  };
}

const settle = () => new Promise((r) => setImmediate(r));

test('limit, then a FIFO queue, then queue-full', async () => {
  const timers = manualTimers();
  const l = new Limiter({ limit: 2, queue: 2, queueTimeoutMs: 1000 }, 'fp', timers);
  const a = l.acquire() as Ticket;
  const b = l.acquire() as Ticket;
  assert.ok(a.holding && b.holding);
  const c = l.acquire() as Ticket;
  const d = l.acquire() as Ticket;
  assert.ok(c.waiting && d.waiting);
  assert.equal(l.acquire(), 'queue-full');
  assert.deepEqual([l.inFlight, l.queued, l.rejected['queue-full']], [2, 2, 1]);
  const order: string[] = [];
  void l.wait(c).then((r) => order.push(`c:${r ?? 'slot'}`));
  void l.wait(d).then((r) => order.push(`d:${r ?? 'slot'}`));
  l.release(b);
  await settle();
  assert.deepEqual(order, ['c:slot'], 'the oldest waiter gets the slot');
  assert.ok(c.holding);
  assert.deepEqual([l.inFlight, l.queued], [2, 1]);
  l.release(a);
  await settle();
  assert.deepEqual(order, ['c:slot', 'd:slot']);
  l.release(c);
  l.release(d);
  assert.deepEqual([l.inFlight, l.queued, timers.pending], [0, 0, 0], 'timers of served waiters are cleared');
});

test('a waiter times out; a waiter that leaves frees its place; release is idempotent', async () => {
  const timers = manualTimers();
  const l = new Limiter({ limit: 1, queue: 2, queueTimeoutMs: 500 }, 'fp', timers);
  const a = l.acquire() as Ticket;
  const b = l.acquire() as Ticket;
  const c = l.acquire() as Ticket;
  const results: string[] = [];
  void l.wait(b).then((r) => results.push(`b:${r}`));
  void l.wait(c).then((r) => results.push(`c:${r}`));
  l.release(c); // c's client went away
  l.release(c);
  await settle();
  assert.deepEqual(results, ['c:cancelled']);
  assert.equal(l.queued, 1);
  timers.advance(500);
  await settle();
  assert.deepEqual(results, ['c:cancelled', 'b:queue-timeout']);
  assert.deepEqual([l.queued, l.rejected['queue-timeout']], [0, 1]);
  l.release(b); // the timed-out request finishing later changes nothing
  assert.equal(l.inFlight, 1);
  l.release(a);
  l.release(a);
  assert.equal(l.inFlight, 0, 'released exactly once');
  assert.ok((l.acquire() as Ticket).holding);
});

test('plugin: access takes a slot synchronously, queues with a promise, log releases on every path', async () => {
  const conf = compileConf(concurrencyLimit, { limit: 1, queue: 1, queue_timeout_ms: 60_000 });
  const ctx1 = fakeContext();
  assert.equal(concurrencyLimit.handlers.access!(ctx1, conf), undefined, 'a free slot: no promise');
  const ctx2 = fakeContext();
  const waiting = concurrencyLimit.handlers.access!(ctx2, conf);
  assert.ok(waiting instanceof Promise);
  assert.deepEqual(concurrencyLimit.handlers.access!(fakeContext(), conf), { problem: 'concurrency-limit-exceeded', headers: { 'retry-after': '1' } });
  concurrencyLimit.handlers.log!(ctx1, conf); // request 1 finished: request 2 gets the slot
  assert.equal(await waiting, undefined);
  concurrencyLimit.handlers.log!(ctx2, conf);
  concurrencyLimit.handlers.log!(ctx2, conf);
  const limiter = LIMITERS.entries().find(([k]) => k === 'route|r')?.[1];
  assert.deepEqual([limiter!.inFlight, limiter!.queued], [0, 0]);
  // a queued request whose client leaves: log takes it out of the queue
  const ctx3 = fakeContext();
  concurrencyLimit.handlers.access!(ctx3, conf);
  const ctx4 = fakeContext();
  const p4 = concurrencyLimit.handlers.access!(ctx4, conf) as Promise<unknown>;
  concurrencyLimit.handlers.log!(ctx4, conf);
  assert.deepEqual(await p4, { problem: 'concurrency-limit-exceeded', headers: { 'retry-after': '1' } }, 'the cancelled wait ends (its answer is never sent)');
  assert.deepEqual([limiter!.inFlight, limiter!.queued], [1, 0]);
  concurrencyLimit.handlers.log!(ctx3, conf);
  // a request refused by an earlier plugin never reached access: its log changes nothing
  concurrencyLimit.handlers.log!(fakeContext(), conf);
  assert.equal(limiter!.inFlight, 0);
  LIMITERS.dropIdle();
  assert.deepEqual(LIMITERS.entries(), []);
});

test('plugin: service scope shares one cap across routes; config changes start a new limiter', () => {
  const conf = compileConf(concurrencyLimit, { limit: 1, scope: 'service' });
  const onRoute = (route: string) => { const c = fakeContext(); (c as { routeName: string }).routeName = route; return c; };
  const first = onRoute('r1');
  assert.equal(concurrencyLimit.handlers.access!(first, conf), undefined);
  assert.deepEqual(concurrencyLimit.handlers.access!(onRoute('r2'), conf), { problem: 'concurrency-limit-exceeded', headers: { 'retry-after': '1' } }, 'queue 0: refused at once');
  const bigger = compileConf(concurrencyLimit, { limit: 2, scope: 'service' });
  assert.equal(concurrencyLimit.handlers.access!(onRoute('r2'), bigger), undefined);
  concurrencyLimit.handlers.log!(first, conf);
  LIMITERS.dropIdle();
});
