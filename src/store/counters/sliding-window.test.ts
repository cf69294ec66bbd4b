// The sliding window counter with an injected clock: boundary smoothing, Retry-After, and the
// promise a plan makes ("L per window") under constant hammering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, rollForward, type WindowCounts } from './sliding-window.ts';
import { MemoryRateCounter } from './memory.ts';

const MINUTE = { seconds: 60, limit: 10 };

test('the previous interval fades out linearly; Retry-After is when one more request fits', () => {
  // 10 requests in interval 0, none yet in interval 1.
  const counts = { interval: 0, previous: 0, current: 10 };
  rollForward(counts, 1);
  assert.deepEqual(counts, { interval: 1, previous: 10, current: 0 });
  const atStart = judge(MINUTE, counts, 60_000);
  assert.equal(atStart.allowed, false, 'a fixed window would allow a second burst of 10 here');
  assert.equal(atStart.retryMs, 6000, 'after 10 % of the interval, 10 × 0.9 + 1 ≤ 10');
  assert.equal(judge(MINUTE, counts, 66_000).allowed, true);
  assert.equal(judge(MINUTE, counts, 66_000).remaining, 0);
  assert.equal(judge(MINUTE, counts, 90_000).remaining, 4, '10 × 0.5 + 0 + 1 ≤ 10 leaves 4 more');
});

test('the current interval full: wait for its end and then for its share to shrink', () => {
  const full = { interval: 0, previous: 0, current: 10 };
  const v = judge(MINUTE, full, 30_000);
  assert.equal(v.allowed, false);
  assert.equal(v.retryMs, 30_000 + 6000);
  assert.equal(v.resetSeconds, 30);
});

test('counts older than one interval are dropped', () => {
  const rolled = (counts: WindowCounts, interval: number) => { rollForward(counts, interval); return counts; };
  assert.deepEqual(rolled({ interval: 3, previous: 5, current: 7 }, 5), { interval: 5, previous: 0, current: 0 });
  assert.deepEqual(rolled({ interval: 5, previous: 5, current: 7 }, 5), { interval: 5, previous: 5, current: 7 });
});

test('hammered without pause: never more than the limit in any calendar interval, and close to it in each', () => {
  const counter = new MemoryRateCounter();
  const perInterval = new Map<number, number>();
  const windows = [{ seconds: 60, limit: 100 }];
  for (let t = 0; t < 5 * 60_000; t += 7) {
    if (counter.hit('k', windows, t).allowed) {
      const i = Math.floor(t / 60_000);
      perInterval.set(i, (perInterval.get(i) ?? 0) + 1);
    }
  }
  const counts = [...perInterval.values()];
  assert.equal(counts[0], 100, 'the first interval: exactly the limit');
  for (const c of counts) assert.ok(c <= 100 && c >= 99, `interval count ${c}`);
});

test('a sliding 60 s window placed anywhere sees at most the limit when the load is even', () => {
  const counter = new MemoryRateCounter();
  const allowedAt: number[] = [];
  const windows = [{ seconds: 60, limit: 100 }];
  for (let t = 0; t < 4 * 60_000; t += 13) if (counter.hit('k', windows, t).allowed) allowedAt.push(t);
  let worst = 0;
  for (let i = 0, j = 0; i < allowedAt.length; i++) {
    while (allowedAt[j]! <= allowedAt[i]! - 60_000) j++;
    worst = Math.max(worst, i - j + 1);
  }
  assert.ok(worst <= 101, `worst sliding minute ${worst}`);
});

test('the memory counter forgets the oldest keys past its cap', () => {
  const counter = new MemoryRateCounter({ maxKeys: 10 });
  for (let i = 0; i < 25; i++) counter.hit(`k${i}`, [{ seconds: 60, limit: 1 }], 0);
  assert.ok(counter.size <= 10, `size ${counter.size}`);
  assert.equal(counter.hit('k24', [{ seconds: 60, limit: 1 }], 1).allowed, false, 'recent keys are kept');
});
