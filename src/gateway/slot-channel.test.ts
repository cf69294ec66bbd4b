// The node-wide concurrency caps: workers' SupervisorSlots talking to one NodeSlots over a
// transport that delivers like IPC (later, in order), with the real limiters underneath.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LimiterRegistry } from '../plugins/concurrency-limit/registry.ts';
import type { Claim } from '../plugins/concurrency-limit/slots.ts';
import type { WaitResult } from '../plugins/concurrency-limit/limiter.ts';
import { NodeSlots, SupervisorSlots, type SlotMessage } from './slot-channel.ts';

const turn = () => new Promise((r) => setImmediate(r));
/** A few turns of the event loop: claims out, answers back. */
const settle = async () => { for (let i = 0; i < 6; i++) await turn(); };

function node() {
  const registry = new LimiterRegistry();
  const supervisor = new NodeSlots(registry);
  let nextWorker = 0;
  const worker = (opts: { answerTimeoutMs?: number; reachable?: () => boolean; deaf?: boolean } = {}) => {
    const id = ++nextWorker;
    const slots: SupervisorSlots = new SupervisorSlots((m: SlotMessage) => {
      if (opts.reachable?.() === false) return false;
      setImmediate(() => { if (!opts.deaf) supervisor.handle(id, m, (a) => setImmediate(() => slots.receive(a))); });
      return true;
    }, opts);
    return { id, slots };
  };
  return { registry, supervisor, worker };
}

const SETTINGS = { limit: 2, queue: 1, queueTimeoutMs: 60_000 };
const counts = (s: SupervisorSlots) => Object.fromEntries(s.entries().map(([k, c]) => [k, [c.inFlight, c.queued]]));

/** Claims and records how its wait ends ('slot' once it holds one). */
function claim(s: SupervisorSlots, settings = SETTINGS): { claim: Claim; result: () => WaitResult | 'slot' | 'pending' } {
  const c = s.claim('route|r', 'fp', settings) as Claim;
  let result: WaitResult | 'slot' | 'pending' = 'pending';
  void c.wait().then((r) => { result = r ?? 'slot'; });
  return { claim: c, result: () => result };
}

test('one cap for the node: two workers share limit 2 and queue 1, a freed slot goes to the other worker', async () => {
  const { supervisor, worker } = node();
  const a = worker();
  const b = worker();
  const a1 = claim(a.slots);
  const a2 = claim(a.slots);
  await settle();
  assert.deepEqual([a1.result(), a2.result()], ['slot', 'slot']);
  assert.ok(a1.claim.holding);
  const b1 = claim(b.slots);
  await settle();
  assert.equal(b1.result(), 'pending', 'queued in the node\'s queue');
  const b2 = claim(b.slots);
  await settle();
  assert.equal(b2.result(), 'queue-full');
  assert.deepEqual(counts(a.slots), { 'route|r': [2, 0] });
  assert.deepEqual(counts(b.slots), { 'route|r': [0, 1] }, 'the worker reports its queued claim: summed over workers, the node\'s figures');
  assert.deepEqual(Object.fromEntries(b.slots.rejectionTotals()), { 'route|r': { 'queue-full': 1, 'queue-timeout': 0, unanswered: 0 } });
  a1.claim.release();
  a1.claim.release(); // idempotent
  await settle();
  assert.equal(b1.result(), 'slot', 'the slot a freed went to b\'s waiter');
  assert.deepEqual([counts(a.slots)['route|r'], counts(b.slots)['route|r']], [[1, 0], [1, 0]]);
  assert.deepEqual([supervisor.heldBy(a.id), supervisor.heldBy(b.id)], [1, 1]);
  a2.claim.release();
  b1.claim.release();
  await settle();
  assert.deepEqual([supervisor.heldBy(a.id), supervisor.heldBy(b.id)], [0, 0]);
  a.slots.dropIdle();
  assert.deepEqual(a.slots.entries(), []);
});

test('a worker that dies gives its slots back to the node; its queued claims leave the queue', async () => {
  const { supervisor, worker } = node();
  const a = worker();
  const b = worker();
  claim(a.slots);
  claim(a.slots);
  await settle();
  const b1 = claim(b.slots);
  await settle();
  assert.equal(b1.result(), 'pending');
  supervisor.workerGone(a.id);
  await settle();
  assert.equal(b1.result(), 'slot');
  const b2 = claim(b.slots);
  await settle();
  assert.equal(b2.result(), 'slot', 'both of a\'s slots came back');
  // b dies while c waits: c gets one of b's slots, and b's waiter is gone from the queue.
  const c = worker();
  const c1 = claim(c.slots);
  const c2 = claim(c.slots);
  await settle();
  assert.deepEqual([c1.result(), c2.result()], ['pending', 'queue-full']);
  supervisor.workerGone(b.id);
  await settle();
  assert.equal(c1.result(), 'slot');
  assert.equal(supervisor.heldBy(c.id), 1);
});

test('a client that leaves before its answer: whatever the supervisor gave it is freed', async () => {
  const { supervisor, worker } = node();
  const a = worker();
  const gone = claim(a.slots);
  gone.claim.release(); // same turn: the claim and its release travel together
  await settle();
  assert.equal(gone.result(), 'cancelled');
  assert.equal(supervisor.heldBy(a.id), 0);
  const held = [claim(a.slots), claim(a.slots)];
  await settle();
  const queued = claim(a.slots);
  await settle();
  queued.claim.release(); // left the queue
  await settle();
  held[0]!.claim.release();
  await settle();
  assert.equal(queued.result(), 'cancelled');
  assert.equal(supervisor.heldBy(a.id), 1, 'the freed slot did not go to the claim that left');
  assert.deepEqual(counts(a.slots), { 'route|r': [1, 0] });
});

test('queue timeout in the node\'s queue; no answer from the supervisor is a refusal, not a hang', async () => {
  const { worker } = node();
  const a = worker();
  const short = { limit: 1, queue: 1, queueTimeoutMs: 30 };
  claim(a.slots, short);
  await settle();
  const waiter = claim(a.slots, short);
  await new Promise((r) => setTimeout(r, 80));
  await settle();
  assert.equal(waiter.result(), 'queue-timeout');
  assert.equal(Object.fromEntries(a.slots.rejectionTotals())['route|r']!['queue-timeout'], 1);

  let reachable = false;
  const cut = worker({ reachable: () => reachable });
  const refused = claim(cut.slots);
  await settle();
  assert.equal(refused.result(), 'unanswered', 'the message could not be sent');
  reachable = true;
  const deaf = worker({ deaf: true, answerTimeoutMs: 30 });
  const silent = claim(deaf.slots);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(silent.result(), 'unanswered');
  assert.equal(Object.fromEntries(deaf.slots.rejectionTotals())['route|r']!.unanswered, 1);
  assert.deepEqual(counts(deaf.slots), { 'route|r': [0, 0] });
});

test('a reload while a claim waits for its first answer keeps that key\'s counts', async () => {
  const { worker } = node();
  const a = worker();
  const c = claim(a.slots);
  a.slots.dropIdle(); // asking: nothing counted yet, but the key is in use
  await settle();
  assert.equal(c.result(), 'slot');
  assert.deepEqual(counts(a.slots), { 'route|r': [1, 0] }, 'the slot it got is in the metrics');
  c.claim.release();
  a.slots.dropIdle();
  assert.deepEqual(a.slots.entries(), []);
});
