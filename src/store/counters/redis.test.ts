// The rate counter conformance suite on a real Redis (PORTCULLIS_TEST_REDIS): skipped locally
// without it, failing on CI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onCi } from '../../../test/harness/postgres.ts';
import { REDIS_ENV, redisUrl, testPrefix } from '../../../test/harness/redis.ts';
import { closeRedisConnections, redisConnection } from '../redis/connection.ts';
import { defineRateCounterConformance } from './conformance.ts';
import { RedisRateCounter } from './redis.ts';

const url = redisUrl();
if (url !== undefined) {
  defineRateCounterConformance('redis', async () => {
    const counter = new RedisRateCounter(redisConnection({ url, command_timeout_ms: 2000, key_prefix: testPrefix() }));
    assert.ok(await counter.firstConnection(), `no Redis at ${url}`);
    return { counter, cleanup: async () => undefined };
  });
  test.after(() => closeRedisConnections());
} else if (onCi()) {
  test('redis rate counter conformance', () => assert.fail(`${REDIS_ENV} is not set: CI must run the Redis suite`));
} else {
  test('redis rate counter conformance', { skip: `${REDIS_ENV} not set` }, () => undefined);
}
