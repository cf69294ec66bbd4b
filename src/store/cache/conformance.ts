// One conformance suite for every cache backend (memory, Redis): the same behaviour from the
// plugin's point of view. Each backend's test file calls defineCacheConformance with a factory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CacheStore } from './ports.ts';

export interface CacheFixture {
  /** A fresh, empty store in its own namespace. */
  make(namespace: string): CacheStore<{ status: number; headers: Record<string, string> }>;
  cleanup?(): Promise<void>;
}

const meta = (status = 200) => ({ status, headers: { 'content-type': 'text/plain', etag: '"v1"' } });

async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

export function defineCacheConformance(name: string, fixture: () => Promise<CacheFixture>): void {
  test(`cache store conformance: ${name}`, async (t) => {
    const f = await fixture();
    t.after(() => f.cleanup?.());
    let n = 0;
    const fresh = () => f.make((0x1000000000000000 + ++n * 7919 + Math.floor(Math.random() * 1e9)).toString(16).slice(0, 16).padStart(16, '0'));

    await t.test('a missing key is a miss', async () => {
      assert.equal(await fresh().get('GET h/none'), undefined);
    });

    await t.test('an entry comes back as stored: meta and every body byte', async () => {
      const s = fresh();
      const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await s.set('GET h/a', { meta: meta(), body }, 10_000, []);
      const got = await s.get('GET h/a');
      assert.ok(got);
      assert.deepEqual(got.meta, meta());
      assert.ok(Buffer.from(got.body).equals(body));
    });

    await t.test('set replaces; delete removes; a non-positive TTL stores nothing', async () => {
      const s = fresh();
      await s.set('k', { meta: meta(200), body: Buffer.from('one') }, 10_000, []);
      await s.set('k', { meta: meta(404), body: Buffer.from('two') }, 10_000, []);
      assert.equal((await s.get('k'))?.meta.status, 404);
      await s.delete('k');
      assert.equal(await s.get('k'), undefined);
      await s.set('z', { meta: meta(), body: Buffer.from('x') }, 0, []);
      assert.equal(await s.get('z'), undefined);
    });

    await t.test('an entry is gone once its TTL has passed', async () => {
      const s = fresh();
      await s.set('short', { meta: meta(), body: Buffer.from('x') }, 60, []);
      await s.set('long', { meta: meta(), body: Buffer.from('x') }, 60_000, []);
      await eventually(async () => (await s.get('short')) === undefined, 3000, 'the short entry to expire');
      assert.ok(await s.get('long'));
    });

    await t.test('purge by key takes the key, its partitions and Vary variants, not its neighbours', async () => {
      const s = fresh();
      const body = Buffer.from('x');
      for (const k of ['GET h/p', 'GET h/p|c:alice', 'GET h/p\naccept:json', 'GET h/pq', 'GET h/p/child']) await s.set(k, { meta: meta(), body }, 10_000, []);
      assert.equal(await s.purge({ key: 'GET h/p' }), 3);
      for (const k of ['GET h/p', 'GET h/p|c:alice', 'GET h/p\naccept:json']) assert.equal(await s.get(k), undefined, k);
      for (const k of ['GET h/pq', 'GET h/p/child']) assert.ok(await s.get(k), k);
    });

    await t.test('purge by prefix; glob characters in a prefix are literal', async () => {
      const s = fresh();
      const body = Buffer.from('x');
      for (const k of ['GET h/items/1', 'GET h/items/2', 'GET h/other', 'GET h/i*ms']) await s.set(k, { meta: meta(), body }, 10_000, []);
      assert.equal(await s.purge({ prefix: 'GET h/items/' }), 2);
      assert.equal(await s.get('GET h/items/1'), undefined);
      assert.ok(await s.get('GET h/other'));
      assert.equal(await s.purge({ prefix: 'GET h/i*' }), 1);
      assert.ok(await s.get('GET h/other'));
    });

    await t.test('purge by tag takes exactly the tagged entries', async () => {
      const s = fresh();
      const body = Buffer.from('x');
      await s.set('a', { meta: meta(), body }, 10_000, ['product-1', 'catalog']);
      await s.set('b', { meta: meta(), body }, 10_000, ['product-2', 'catalog']);
      await s.set('c', { meta: meta(), body }, 10_000, []);
      assert.equal(await s.purge({ tag: 'product-1' }), 1);
      assert.equal(await s.get('a'), undefined);
      assert.ok(await s.get('b'));
      assert.equal(await s.purge({ tag: 'catalog' }), 1);
      assert.equal(await s.get('b'), undefined);
      assert.ok(await s.get('c'));
      assert.equal(await s.purge({ tag: 'nothing' }), 0);
    });

    await t.test('namespaces do not see each other', async () => {
      const a = fresh();
      const b = fresh();
      await a.set('same', { meta: meta(201), body: Buffer.from('a') }, 10_000, []);
      assert.equal(await b.get('same'), undefined);
    });
  });
}
