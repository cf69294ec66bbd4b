// The portal's fixed-window throttle: counts per key, answers the seconds left, starts over when the
// window ends, and stays bounded in memory however many keys it sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Throttle } from './throttle.ts';

test('allows max attempts per window, then answers the seconds until it ends', () => {
  let now = 1_000_000;
  const t = new Throttle({ max: 2, windowMs: 60_000 }, () => now);
  assert.equal(t.hit('a'), undefined);
  assert.equal(t.hit('a'), undefined);
  assert.equal(t.hit('a'), 60);
  assert.equal(t.hit('b'), undefined, 'keys are independent');
  now += 30_500;
  assert.equal(t.hit('a'), 30);
  now += 30_000;
  assert.equal(t.hit('a'), undefined, 'a new window');
});

test('stays bounded: ended windows are swept, then the oldest keys dropped', () => {
  let now = 0;
  const t = new Throttle({ max: 1, windowMs: 1000 }, () => now, 3);
  for (const k of ['a', 'b', 'c']) t.hit(k);
  assert.equal(t.hit('a'), 1, 'a is still limited');
  t.hit('d'); // full: nothing ended, so the oldest (a) goes
  assert.equal(t.hit('a'), undefined, 'a was dropped and starts over');
  now = 5000;
  for (const k of ['x', 'y', 'z']) assert.equal(t.hit(k), undefined);
});
