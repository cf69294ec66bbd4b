// One suite every rate counter passes (memory, Redis, the supervisor channel). It only uses
// windows far longer than a test run, so that the outcome never depends on timing; the
// sliding-window arithmetic itself is unit-tested with an injected clock (sliding-window.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RateCounter, RateDecision } from './ports.ts';

const HOUR = 3600;
const DAY = 86400;

export function defineRateCounterConformance(name: string, make: () => Promise<{ counter: RateCounter; cleanup(): Promise<void> }> | { counter: RateCounter; cleanup(): Promise<void> }): void {
  const key = () => `conf-${randomBytes(6).toString('hex')}`;
  const hit = async (c: RateCounter, k: string, windows: { seconds: number; limit: number }[]): Promise<RateDecision> => c.hit(k, windows, Date.now());

  test(`${name}: allows exactly the limit, then refuses with Retry-After`, async () => {
    const { counter, cleanup } = await make();
    try {
      const k = key();
      const w = [{ seconds: DAY, limit: 5 }];
      const results = [];
      for (let i = 0; i < 7; i++) results.push(await hit(counter, k, w));
      assert.deepEqual(results.map((r) => r.allowed), [true, true, true, true, true, false, false]);
      assert.deepEqual(results.slice(0, 5).map((r) => r.windows[0]!.remaining), [4, 3, 2, 1, 0]);
      const refused = results[5]!;
      assert.equal(refused.windows[0]!.remaining, 0);
      assert.equal(refused.windows[0]!.limit, 5);
      // Up to the end of this day plus the share of the next one until yesterday's count has faded enough.
      assert.ok(refused.retryAfter >= 1 && refused.retryAfter <= 2 * DAY, `retryAfter ${refused.retryAfter}`);
      assert.ok(refused.windows[0]!.resetSeconds >= 1 && refused.windows[0]!.resetSeconds <= DAY);
    } finally { await cleanup(); }
  });

  test(`${name}: concurrent hits never exceed the limit`, async () => {
    const { counter, cleanup } = await make();
    try {
      const k = key();
      const results = await Promise.all(Array.from({ length: 60 }, () => hit(counter, k, [{ seconds: DAY, limit: 25 }])));
      assert.equal(results.filter((r) => r.allowed).length, 25);
    } finally { await cleanup(); }
  });

  test(`${name}: all windows apply, and a refusal by one window counts in none`, async () => {
    const { counter, cleanup } = await make();
    try {
      const k = key();
      const w = [{ seconds: HOUR, limit: 3 }, { seconds: DAY, limit: 10 }];
      for (let i = 0; i < 3; i++) assert.equal((await hit(counter, k, w)).allowed, true);
      const refused = await hit(counter, k, w);
      assert.equal(refused.allowed, false);
      // Remaining counts as they are, this request not counted: the day window still has 10 − 3.
      assert.deepEqual(refused.windows.map((s) => s.remaining), [0, 7]);
      // The day window saw 3 requests, not 4: the refused one was not counted anywhere.
      const dayOnly = await hit(counter, k, [{ seconds: DAY, limit: 10 }]);
      assert.equal(dayOnly.allowed, true);
      assert.equal(dayOnly.windows[0]!.remaining, 10 - 4);
    } finally { await cleanup(); }
  });

  test(`${name}: a weighted hit counts its weight, and is refused (counting nothing) when the weight does not fit`, async () => {
    const { counter, cleanup } = await make();
    try {
      const k = key();
      const w = [{ seconds: DAY, limit: 10 }];
      const first = await counter.hit(k, w, Date.now(), 4);
      assert.deepEqual([first.allowed, first.windows[0]!.remaining], [true, 6]);
      const tooHeavy = await counter.hit(k, w, Date.now(), 7);
      assert.deepEqual([tooHeavy.allowed, tooHeavy.windows[0]!.remaining], [false, 0]);
      assert.ok(tooHeavy.retryAfter >= 1);
      const fits = await counter.hit(k, w, Date.now(), 6);
      assert.deepEqual([fits.allowed, fits.windows[0]!.remaining], [true, 0], 'the refused 7 was not counted');
      assert.equal((await hit(counter, k, w)).allowed, false);
      const over = await counter.hit(key(), w, Date.now(), 11);
      assert.equal(over.allowed, false, 'a weight above the limit never fits');
    } finally { await cleanup(); }
  });

  test(`${name}: keys and window lengths are counted apart`, async () => {
    const { counter, cleanup } = await make();
    try {
      const a = key();
      const b = key();
      assert.equal((await hit(counter, a, [{ seconds: DAY, limit: 1 }])).allowed, true);
      assert.equal((await hit(counter, a, [{ seconds: DAY, limit: 1 }])).allowed, false);
      assert.equal((await hit(counter, b, [{ seconds: DAY, limit: 1 }])).allowed, true);
      assert.equal((await hit(counter, a, [{ seconds: HOUR, limit: 1 }])).allowed, true, 'another window length is another count');
    } finally { await cleanup(); }
  });
}
