// The rate counter conformance suite on a real Redis (PORTCULLIS_TEST_REDIS): skipped locally
// without it, failing on CI. Then the batching: the hits of one event-loop turn share one script
// call, and decide exactly as the same hits sent one by one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { onCi } from '../../../test/harness/postgres.ts';
import { REDIS_ENV, redisUrl, testPrefix } from '../../../test/harness/redis.ts';
import { closeRedisConnections, redisConnection, type RedisConnection } from '../redis/connection.ts';
import { defineRateCounterConformance } from './conformance.ts';
import type { RateDecision, RateWindow } from './ports.ts';
import { RedisRateCounter } from './redis.ts';

const url = redisUrl();
const DAY = 86400;
const HOUR = 3600;

/** A counter on a connection of its own, and the number of script calls it has sent. */
async function countingCounter(): Promise<{ counter: RedisRateCounter; calls: () => number; conn: RedisConnection }> {
  let calls = 0;
  const conn = redisConnection({ url: url!, command_timeout_ms: 2000, key_prefix: testPrefix() });
  const counter = new RedisRateCounter(conn, () => { calls++; });
  assert.ok(await counter.firstConnection(), `no Redis at ${url}`);
  return { counter, calls: () => calls, conn };
}

/** What one hit asks: key, windows, weight. */
type Ask = readonly [string, readonly RateWindow[], number];

const brief = (d: RateDecision) => ({ allowed: d.allowed, remaining: d.windows.map((w) => w.remaining), limits: d.windows.map((w) => w.limit) });

if (url !== undefined) {
  defineRateCounterConformance('redis', async () => {
    const counter = new RedisRateCounter(redisConnection({ url, command_timeout_ms: 2000, key_prefix: testPrefix() }));
    assert.ok(await counter.firstConnection(), `no Redis at ${url}`);
    return { counter, cleanup: async () => undefined };
  });

  test('redis: the hits of one turn share one script call and decide exactly as one by one', async () => {
    const k = () => `batch-${randomBytes(6).toString('hex')}`;
    const [a, b, c] = [k(), k(), k()];
    const day3: RateWindow[] = [{ seconds: DAY, limit: 3 }];
    const twoWindows: RateWindow[] = [{ seconds: HOUR, limit: 2 }, { seconds: DAY, limit: 10 }];
    const day10: RateWindow[] = [{ seconds: DAY, limit: 10 }];
    // Interleaved keys, window sets and weights, with refusals in the middle of the turn.
    const asks: Ask[] = [
      [a, day3, 1], [b, twoWindows, 1], [a, day3, 1], [c, day10, 4], [b, twoWindows, 1], [a, day3, 1],
      [c, day10, 7], [a, day3, 1], [b, twoWindows, 1], [c, day10, 6], [b, [{ seconds: DAY, limit: 10 }], 1],
    ];
    const batched = await countingCounter();
    const together = await Promise.all(asks.map(([key, w, weight]) => batched.counter.hit(key, w, Date.now(), weight)));
    assert.equal(batched.calls(), 1, 'one script call for the whole turn');

    // The same asks, one at a time (each awaited: one call each), on fresh keys of another prefix.
    const serial = await countingCounter();
    const oneByOne: RateDecision[] = [];
    for (const [key, w, weight] of asks) oneByOne.push(await serial.counter.hit(key, w, Date.now(), weight));
    assert.equal(serial.calls(), asks.length);
    assert.deepEqual(together.map(brief), oneByOne.map(brief));
    assert.deepEqual(together.map((d) => d.allowed), [true, true, true, true, true, true, false, false, false, true, true]);
    // The refused weight-7 hit counted nothing, so the weight-6 one after it fits exactly.
    assert.deepEqual(together[9]!.windows.map((w) => w.remaining), [0]);
    assert.ok(together[6]!.retryAfter >= 1 && together[7]!.retryAfter >= 1);
  });

  test('redis: a turn with more hits than one call carries is sent as several calls, in order', async () => {
    const { counter, calls } = await countingCounter();
    const key = `big-${randomBytes(6).toString('hex')}`;
    const results = await Promise.all(Array.from({ length: 600 }, () => counter.hit(key, [{ seconds: DAY, limit: 520 }], Date.now())));
    assert.equal(calls(), 3, '600 hits in calls of at most 256');
    assert.deepEqual(results.map((r) => r.allowed), [...Array(520).fill(true), ...Array(80).fill(false)]);
    assert.deepEqual(results.slice(0, 520).map((r) => r.windows[0]!.remaining), Array.from({ length: 520 }, (_, i) => 519 - i));
  });

  test('redis: a hit whose count keys hold something else fails alone; the others of its turn are decided', async () => {
    const { counter, conn, calls } = await countingCounter();
    const key = `ok-${randomBytes(6).toString('hex')}`;
    const poisoned = `bad-${randomBytes(6).toString('hex')}`;
    // Count keys that hold lists (WRONGTYPE for GET), around the current interval.
    const interval = Math.floor(Date.now() / (HOUR * 1000));
    for (const i of [interval - 1, interval, interval + 1]) await conn.client().rpush(`${conn.prefix}rl:{${poisoned}}:${HOUR}:${i}`, 'x');
    const w = [{ seconds: DAY, limit: 5 }];
    const turn = await Promise.allSettled([counter.hit(key, w, Date.now()), counter.hit(poisoned, [{ seconds: HOUR, limit: 5 }], Date.now()), counter.hit(key, w, Date.now())]);
    assert.equal(calls(), 1);
    assert.deepEqual(turn.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(turn.map((r) => (r.status === 'fulfilled' ? r.value.windows[0]!.remaining : -1)), [4, -1, 3]);
    const next = await counter.hit(key, w, Date.now());
    assert.deepEqual([next.allowed, next.windows[0]!.remaining], [true, 2]);
  });

  test.after(() => closeRedisConnections());
} else if (onCi()) {
  test('redis rate counter conformance', () => assert.fail(`${REDIS_ENV} is not set: CI must run the Redis suite`));
} else {
  test('redis rate counter conformance', { skip: `${REDIS_ENV} not set` }, () => undefined);
}
