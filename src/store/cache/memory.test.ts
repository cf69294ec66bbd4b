// The memory backend: the conformance suite, plus its own byte budget and LRU eviction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineCacheConformance } from './conformance.ts';
import { MemoryCacheStore, purgeMemoryStores } from './memory.ts';

defineCacheConformance('memory', async () => ({ make: () => new MemoryCacheStore(10 * 1024 * 1024) }));

test('memory store: the byte budget evicts the least recently used entries first', () => {
  let evicted = 0;
  const store = new MemoryCacheStore<object>(3 * 1200, { onEvict: (n) => { evicted += n; } });
  const body = Buffer.alloc(1000);
  store.set('a', { meta: {}, body }, 60_000, []);
  store.set('b', { meta: {}, body }, 60_000, []);
  store.set('c', { meta: {}, body }, 60_000, []);
  assert.ok(store.get('a')); // a becomes the most recently used: b is now the oldest
  store.set('d', { meta: {}, body }, 60_000, ['t']);
  assert.equal(evicted, 1);
  assert.equal(store.get('b'), undefined);
  assert.ok(store.get('a') && store.get('c') && store.get('d'));
  assert.ok(store.bytes <= store.maxBytes);
});

test('memory store: an entry larger than the whole budget is not stored', () => {
  const store = new MemoryCacheStore<object>(500);
  store.set('big', { meta: {}, body: Buffer.alloc(1000) }, 60_000, []);
  assert.equal(store.get('big'), undefined);
  assert.equal(store.bytes, 0);
});

test('memory store: purgeMemoryStores reaches every live store of the process', async () => {
  const one = new MemoryCacheStore<object>(1e6);
  const two = new MemoryCacheStore<object>(1e6);
  one.set('GET h/x', { meta: {}, body: Buffer.from('1') }, 60_000, []);
  two.set('GET h/x|c:bob', { meta: {}, body: Buffer.from('2') }, 60_000, []);
  assert.ok(await purgeMemoryStores({ key: 'GET h/x' }) >= 2);
  assert.equal(one.get('GET h/x'), undefined);
  assert.equal(two.get('GET h/x|c:bob'), undefined);
});
