// Taking control numbers from reserved blocks: prefetch at half, the wait when a burst uses up
// both blocks, the bounded wait (503), per-syntax limits and scopes. The source is the real
// in-memory sequence behind a gate the test opens, standing in for the supervisor's round trip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryControlNumbers, type ControlNumberBlock, type ControlNumberSource } from '../../store/counters/control-numbers.ts';
import { ControlNumberBlocks, ControlNumbersUnavailable, scopeOf, withControlNumber, withControlNumbers, wrapped } from './control-numbers.ts';

const START = Date.UTC(2026, 0, 1);
const FLOOR = Math.floor((START - Date.UTC(2024, 0, 1)) / 1000);

/** Reservations wait until the test releases them (or fail, when told to). */
class GatedSource implements ControlNumberSource {
  readonly inner = new MemoryControlNumbers(() => START);
  readonly asked: { scope: string; count: number }[] = [];
  #waiting: (() => void)[] = [];
  failWith: Error | undefined;
  open = false;
  reserve(scope: string, count: number): Promise<ControlNumberBlock> {
    this.asked.push({ scope, count });
    const go = () => (this.failWith ? Promise.reject(this.failWith) : this.inner.reserve(scope, count));
    if (this.open) return go();
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(go);
  }
  release(): void {
    const w = this.#waiting;
    this.#waiting = [];
    for (const r of w) r();
  }
}

const settle = () => new Promise((r) => setImmediate(r));

test('the first number of a scope waits for a block; the rest come from it at once, with the next block asked for at half', async () => {
  const src = new GatedSource();
  const blocks = new ControlNumberBlocks(() => src, { blockSize: 10 });
  const first = blocks.take('s');
  assert.ok(first instanceof Promise, 'no block yet');
  const second = blocks.take('s');
  assert.equal(src.asked.length, 1, 'one reservation for both waiters');
  src.release();
  assert.deepEqual(await Promise.all([first, second]), [FLOOR + 1, FLOOR + 2]);
  const sync: number[] = [];
  for (let i = 0; i < 3; i++) sync.push(blocks.take('s') as number);
  assert.deepEqual(sync, [FLOOR + 3, FLOOR + 4, FLOOR + 5]);
  assert.equal(src.asked.length, 2, 'half of the block used: the next one is asked for');
  assert.equal(typeof blocks.take('s'), 'number', 'still served from the block in hand while the next is on its way');
  src.release();
  await settle();
  for (let i = 0; i < 4; i++) blocks.take('s'); // the rest of the first block
  const fromSpare = blocks.take('s');
  assert.equal(fromSpare, FLOOR + 11, 'the prefetched block follows without a wait');
  assert.equal(src.asked.length, 2, 'a full spare block in hand: nothing asked yet');
  assert.deepEqual(src.asked.map((a) => a.count), [10, 10]);
});

test('a burst that uses up both blocks waits for the next one; every number is distinct', async () => {
  const src = new GatedSource();
  src.open = true;
  const blocks = new ControlNumberBlocks(() => src, { blockSize: 4 });
  const all = await Promise.all(Array.from({ length: 25 }, () => blocks.take('burst')));
  assert.equal(new Set(all).size, 25);
  assert.deepEqual([...all].sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => FLOOR + 1 + i), 'no gaps when nothing else reserves');
});

test('the wait is bounded: no block in time, or a failing source, rejects (503 for the request)', async () => {
  const src = new GatedSource();
  const blocks = new ControlNumberBlocks(() => src, { blockSize: 4, waitMs: 50 });
  await assert.rejects(Promise.resolve(blocks.take('slow')), ControlNumbersUnavailable);
  src.release(); // the late block is kept for the requests after it
  await settle();
  assert.equal(blocks.take('slow'), FLOOR + 1);

  const failing = new GatedSource();
  failing.open = true;
  failing.failWith = new Error('store down');
  const b2 = new ControlNumberBlocks(() => failing, { blockSize: 4, waitMs: 5000 });
  await assert.rejects(Promise.resolve(b2.take('x')), /store down/);
  failing.failWith = undefined;
  assert.equal(await b2.take('x'), FLOOR + 1, 'the next request asks again');

  const answer = await withControlNumber('x12', { qualifier: 'ZZ', id: 'US' }, () => undefined, new ControlNumberBlocks(() => new GatedSource(), { waitMs: 20 }));
  assert.deepEqual(answer, { problem: 'edi-control-numbers-unavailable', headers: { 'retry-after': '1' } });
});

test('a source that answers nonsense is a failure, not a block', async () => {
  const bad: ControlNumberSource = { reserve: () => Promise.resolve({ first: 5, last: 2 }) };
  await assert.rejects(Promise.resolve(new ControlNumberBlocks(() => bad).take('s')), /invalid block/);
  const throws: ControlNumberSource = { reserve: () => { throw new Error('sync'); } };
  await assert.rejects(Promise.resolve(new ControlNumberBlocks(() => throws).take('s')), /sync/);
});

test('numbers stay within each syntax: X12 wraps from 999999999 to 1, EDIFACT has 14 digits', () => {
  assert.deepEqual([1, 999_999_999, 1_000_000_000, 1_000_000_001].map((n) => wrapped('x12', n)), [1, 999_999_999, 1, 2]);
  assert.equal(wrapped('edifact', 1_000_000_000), 1_000_000_000);
  assert.deepEqual([99_999_999_999_999, 100_000_000_000_000].map((n) => wrapped('edifact', n)), [99_999_999_999_999, 1]);
});

test('one sequence per syntax and sender identity; separators in ids cannot make two senders share one', () => {
  assert.equal(scopeOf('x12', { qualifier: 'ZZ', id: 'CARRIER ' }), 'x12:interchange:ZZ:CARRIER');
  assert.notEqual(scopeOf('x12', { qualifier: 'ZZ', id: 'A' }), scopeOf('edifact', { qualifier: 'ZZ', id: 'A' }));
  assert.notEqual(scopeOf('edifact', { qualifier: 'A:B', id: 'C' }), scopeOf('edifact', { qualifier: 'A', id: 'B:C' }));
  assert.notEqual(scopeOf('edifact', { qualifier: 'A%3AB', id: 'C' }), scopeOf('edifact', { qualifier: 'A:B', id: 'C' }));
});

test('memory sequences: exact per scope, never behind the clock, bounded requests', async () => {
  let now = START;
  const mem = new MemoryControlNumbers(() => now);
  assert.deepEqual(await mem.reserve('a', 10), { first: FLOOR + 1, last: FLOOR + 10 });
  assert.deepEqual(await mem.reserve('b', 1), { first: FLOOR + 1, last: FLOOR + 1 });
  now -= 3_600_000;
  assert.deepEqual(await mem.reserve('a', 5), { first: FLOOR + 11, last: FLOOR + 15 }, 'the clock going back changes nothing');
  now += 7_200_000;
  assert.deepEqual(await mem.reserve('a', 1), { first: FLOOR + 3601, last: FLOOR + 3601 });
  await assert.rejects(mem.reserve('a', 0), RangeError);
  await assert.rejects(mem.reserve('a', 1e6), RangeError);
  await assert.rejects(mem.reserve('x'.repeat(201), 1), RangeError);
});

test('several numbers at once (one per X12 group): in order, distinct, also across a block boundary', async () => {
  const src = new GatedSource();
  src.open = true;
  const blocks = new ControlNumberBlocks(() => src, { blockSize: 2 });
  const got = await withControlNumbers('x12', { qualifier: 'ZZ', id: 'US' }, 5, (ns) => ({ status: 200, body: ns }), blocks);
  assert.deepEqual(got, { status: 200, body: [1, 2, 3, 4, 5].map((i) => FLOOR + i) });
  const next = await withControlNumbers('x12', { qualifier: 'ZZ', id: 'US' }, 2, (ns) => ({ status: 200, body: ns }), blocks);
  assert.deepEqual(next, { status: 200, body: [FLOOR + 6, FLOOR + 7] });
});
