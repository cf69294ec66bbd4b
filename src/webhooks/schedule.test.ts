import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JITTER, MAX_ATTEMPTS, RETRY_SCHEDULE_MS, retryDelay } from './schedule.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

test('the schedule is immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
  assert.deepEqual(RETRY_SCHEDULE_MS, [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H]);
  assert.equal(MAX_ATTEMPTS, 8);
  // random 0.5 = no jitter
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelay(n, 0.5)), RETRY_SCHEDULE_MS);
  assert.equal(retryDelay(8, 0.5), undefined, 'after the eighth attempt the delivery is dead-lettered');
  assert.equal(retryDelay(0, 0.5), undefined);
});

test('jitter stays within ±20 % and covers the range', () => {
  for (const [i, base] of RETRY_SCHEDULE_MS.entries()) {
    assert.equal(retryDelay(i + 1, 0), Math.round(base * (1 - JITTER)));
    assert.equal(retryDelay(i + 1, 0.999999), Math.round(base * (1 + JITTER * 0.999998)));
  }
  let lo = Infinity;
  let hi = 0;
  for (let k = 0; k < 1000; k++) {
    const d = retryDelay(2, Math.random())!;
    assert.ok(d >= 4 * M && d <= 6 * M, `${d}`);
    lo = Math.min(lo, d);
    hi = Math.max(hi, d);
  }
  assert.ok(hi - lo > M, 'the spread is used');
});

test('Retry-After lengthens the wait but never shortens it, and an absurd one is ignored', () => {
  assert.equal(retryDelay(1, 0.5, 60 * S), 60 * S);
  assert.equal(retryDelay(1, 0.5, 1 * S), 5 * S);
  assert.equal(retryDelay(3, 0.5, 10 * M), 30 * M);
  assert.equal(retryDelay(1, 0.5, 48 * H), 5 * S);
  assert.equal(retryDelay(7, 0.5, 20 * H), 20 * H);
});

test('walking a delivery through the schedule with a fake clock: eight attempts over about 27 h', () => {
  let clock = Date.UTC(2026, 0, 1);
  const start = clock;
  const attemptsAt: number[] = [clock];
  for (let made = 1; ; made++) {
    const wait = retryDelay(made, 0.5);
    if (wait === undefined) break;
    clock += wait;
    attemptsAt.push(clock);
  }
  assert.equal(attemptsAt.length, 8);
  assert.equal((attemptsAt.at(-1)! - start) / H, (5 * S + 5 * M + 30 * M + 2 * H + 5 * H + 10 * H + 10 * H) / H);
});
