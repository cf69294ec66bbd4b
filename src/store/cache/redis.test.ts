// The Redis backend: the conformance suite against PORTCULLIS_TEST_REDIS (skipped locally without
// it, failing on CI), and failure handling: a dead Redis is a miss and an error report, never a throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { redisMissing, redisUrl, testPrefix, whenReady } from '../../../test/harness/redis.ts';
import { closeRedisConnections, redisConnection } from '../redis/connection.ts';
import { defineCacheConformance } from './conformance.ts';
import { purgeRedis, RedisCacheStore } from './redis.ts';

const url = redisUrl();
if (url !== undefined) {
  const conn = redisConnection({ url, command_timeout_ms: 1000, key_prefix: testPrefix() });
  defineCacheConformance('redis', async () => {
    await whenReady(conn);
    return {
    make: (ns) => new RedisCacheStore(conn, ns),
    cleanup: () => closeRedisConnections(),
    };
  });

  test('redis store: purgeRedis without a namespace purges every cache namespace', async (t) => {
    const c = redisConnection({ url, command_timeout_ms: 1000, key_prefix: testPrefix() });
    t.after(() => closeRedisConnections());
    await whenReady(c);
    const a = new RedisCacheStore(c, 'aaaaaaaaaaaaaaaa');
    const b = new RedisCacheStore(c, 'bbbbbbbbbbbbbbbb');
    await a.set('GET h/x', { meta: {}, body: Buffer.from('1') }, 10_000, ['t1']);
    await b.set('GET h/x|c:bob', { meta: {}, body: Buffer.from('2') }, 10_000, ['t1']);
    await b.set('GET h/y', { meta: {}, body: Buffer.from('3') }, 10_000, ['t1']);
    assert.equal(await purgeRedis(c, { key: 'GET h/x' }), 2);
    assert.equal(await a.get('GET h/x'), undefined);
    assert.ok(await b.get('GET h/y'));
    assert.equal(await purgeRedis(c, { tag: 't1' }), 1);
    assert.equal(await b.get('GET h/y'), undefined);
  });
} else {
  const missing = redisMissing();
  test('cache store conformance: redis', 'skip' in missing ? { skip: missing.skip } : {}, () => {
    if ('fail' in missing) assert.fail(missing.fail);
  });
}

test('redis store: an unreachable Redis is a miss and a reported error, never a thrown one', async (t) => {
  // A port that accepts nothing: bound, then closed.
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  const conn = redisConnection({ url: `redis://127.0.0.1:${port}`, command_timeout_ms: 200, key_prefix: testPrefix() });
  t.after(() => closeRedisConnections());
  const errors: string[] = [];
  const store = new RedisCacheStore(conn, '0123456789abcdef', { onError: (op) => errors.push(op) });
  assert.equal(await store.get('k'), undefined);
  await store.set('k', { meta: {}, body: Buffer.from('x') }, 1000, ['t']);
  assert.deepEqual(errors, ['get', 'set']);
  await assert.rejects(store.purge({ tag: 't' }));
});
