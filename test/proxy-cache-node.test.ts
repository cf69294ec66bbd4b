// proxy-cache on a real node (store mode, two gateway worker processes): authenticated responses
// never cross consumers unless public, and purges through the admin API and invalidations by
// unsafe requests reach every worker's memory cache (the supervisor broadcasts them over IPC).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectStatus, spawnNode, until, type NodeProcess } from './harness/node.ts';
import { startUpstream } from './harness/upstream.ts';
import { send, type Reply } from './harness/http-get.ts';


/** Each call on a new connection, so calls spread over both workers. */
const call = (node: NodeProcess, path: string, headers: Record<string, string> = {}): Promise<Reply> => send(`${node.proxyUrl}${path}`, { headers });

test('proxy-cache on a node with two workers: no cross-consumer leaks; purge by key, prefix and tag', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const counts = new Map<string, number>();
  const up = await startUpstream((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    const who = String(req.headers['x-consumer-username'] ?? 'nobody');
    const isPublic = path.startsWith('/api/public');
    const body = isPublic ? `public ${n}` : `data of ${who} ${n}`;
    const answer = () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'cache-control': isPublic ? 'public, max-age=300' : 'max-age=300', 'cache-tag': `all, ${path.split('/')[2]}` });
      res.end(body);
    };
    // A slow upstream, so that concurrent misses overlap.
    if (path.startsWith('/open/slow')) setTimeout(answer, 400);
    else answer();
  });
  t.after(() => up.close());
  const node = await spawnNode({ db: `sqlite:${join(dir, 'p.db')}`, workers: 2, t });
  expectStatus(await node.admin('POST', '/admin/config/apply', {
    services: [{ name: 'api', targets: [{ url: up.url }], retries: 0 }],
    routes: [
      { name: 'keyed', service: 'api', paths: ['/api'], plugins: [{ name: 'key-auth', config: {} }, { name: 'proxy-cache', config: {} }] },
      { name: 'open', service: 'api', paths: ['/open'], plugins: [{ name: 'proxy-cache', config: {} }] },
    ],
  }), 'config apply');
  for (const name of ['alice', 'bob']) expectStatus(await node.admin('POST', '/admin/consumers', { name }), name, 201);
  const keyOf = async (consumer: string) => String(expectStatus(await node.admin('POST', '/admin/credentials', { consumer, type: 'key-auth' }), `key ${consumer}`, 201).body.key);
  const alice = await keyOf('alice');
  const bob = await keyOf('bob');
  await until(async () => (await call(node, '/api/warmup', { apikey: alice })).status === 200 && (await call(node, '/api/warmup', { apikey: bob })).status === 200, 15_000, 'keys served by both workers');

  /** The workers that answered these requests (by request id, from their access log lines). */
  const workersOf = (requestIds: ReadonlySet<string>): Set<number> => {
    const workers = new Set<number>();
    for (const line of node.logs().split('\n')) {
      if (!line.includes('"log":"access"')) continue;
      const entry = JSON.parse(line) as { request_id: string; worker: number };
      if (requestIds.has(entry.request_id)) workers.add(entry.worker);
    }
    return workers;
  };
  /**
   * Asks until both workers have answered from their cache. Each call is a new connection, and the
   * kernel picks the worker that accepts it: under load one may take many in a row, so the test
   * checks which worker served each hit instead of counting hits.
   */
  const warm = async (path: string, headers: Record<string, string>) => {
    const hits = new Set<string>();
    await until(async () => {
      const r = await call(node, path, headers);
      if (/hit/.test(String(r.headers['cache-status']))) hits.add(String(r.headers['x-request-id']));
      return workersOf(hits).size === 2;
    }, 30_000, `${path} cached by both workers`);
  };

  await t.test('per-consumer data is never served to another consumer', async () => {
    for (let i = 0; i < 10; i++) {
      assert.match((await call(node, '/api/orders', { apikey: alice })).body, /^data of alice /);
      assert.match((await call(node, '/api/orders', { apikey: bob })).body, /^data of bob /);
    }
    const anonymous = await call(node, '/api/orders');
    assert.equal(anonymous.status, 401);
  });

  await t.test('a public response is shared between consumers', async () => {
    await warm('/api/public', { apikey: alice });
    const before = counts.get('/api/public');
    const r = await call(node, '/api/public', { apikey: bob });
    assert.match(r.body, /^public /);
    assert.match(String(r.headers['cache-status']), /hit/);
    assert.equal(counts.get('/api/public'), before);
  });

  const purge = async (body: Record<string, string>) => expectStatus(await node.admin('POST', '/admin/cache/purge', body), `purge ${JSON.stringify(body)}`, 200).body as { removed: { memory: number }; other_nodes_notified: boolean };
  const missesAfterPurge = async (path: string, headers: Record<string, string> = {}) => {
    // Every worker lost it: the next calls (spread over both workers) are misses until re-stored.
    const r = await call(node, path, headers);
    assert.doesNotMatch(String(r.headers['cache-status']), /hit/, `${path} after purge`);
  };

  await t.test('purge by key (with its per-consumer variants) reaches both workers', async () => {
    await warm('/api/orders', { apikey: alice });
    const host = `127.0.0.1:${node.proxyPort}`;
    const out = await purge({ key: `GET ${host}/api/orders` });
    assert.ok(out.removed.memory >= 2, `removed ${out.removed.memory}`);
    assert.equal(out.other_nodes_notified, false, 'SQLite: no other node shares the store');
    await missesAfterPurge('/api/orders', { apikey: alice });
  });

  await t.test('purge by prefix and by tag', async () => {
    await warm('/open/a', {});
    await warm('/open/b', {});
    const host = `127.0.0.1:${node.proxyPort}`;
    assert.ok((await purge({ prefix: `GET ${host}/open/a` })).removed.memory >= 1);
    await missesAfterPurge('/open/a');
    assert.match(String((await call(node, '/open/b')).headers['cache-status']), /hit/);
    await warm('/open/b', {});
    assert.ok((await purge({ tag: 'b' })).removed.memory >= 1);
    await missesAfterPurge('/open/b');
  });

  await t.test('an unsafe request invalidates the URI in both workers, not only the one that forwarded it', async () => {
    await warm('/open/items', {});
    const storedUpTo = counts.get('/open/items')!;
    const post = await send(`${node.proxyUrl}/open/items`, { method: 'POST' });
    assert.equal(post.status, 200);
    // The other worker hears of it from the supervisor, one IPC hop after the response.
    await new Promise((r) => setTimeout(r, 200));
    const answered = new Set<string>();
    const stale: string[] = [];
    await until(async () => {
      const r = await call(node, '/open/items');
      if (Number(/(\d+)$/.exec(r.body)?.[1]) <= storedUpTo) stale.push(`${r.body} (${String(r.headers['cache-status'])})`);
      answered.add(String(r.headers['x-request-id']));
      return workersOf(answered).size === 2;
    }, 30_000, 'both workers answered after the POST');
    assert.deepEqual(stale, [], 'no worker served what it had stored before the POST');
  });

  await t.test('concurrent misses on both workers: one upstream request for the node, every client gets its response', async () => {
    // Bursts on new connections until one reached both workers (the kernel picks who accepts).
    for (let burst = 0; burst < 8; burst++) {
      const path = `/open/slow-${burst}`;
      const replies = await Promise.all(Array.from({ length: 40 }, () => call(node, path)));
      assert.equal(counts.get(path), 1, `${path}: one upstream request for ${replies.length} concurrent misses`);
      for (const r of replies) assert.equal(r.body, 'data of nobody 1');
      const statuses = replies.map((r) => String(r.headers['cache-status']));
      assert.equal(statuses.filter((s) => /stored/.test(s)).length, 1, 'one leader stored it');
      assert.ok(statuses.every((s) => /stored|collapsed|hit/.test(s)), statuses.join(' | '));
      if (workersOf(new Set(replies.map((r) => String(r.headers['x-request-id'])))).size === 2) return;
    }
    assert.fail('no burst reached both workers');
  });

  await t.test('purge needs the admin role and exactly one selector', async () => {
    const anon = await node.admin('POST', '/admin/cache/purge', { tag: 'x' }, { authorization: 'Bearer nope' });
    assert.equal(anon.status, 401);
    assert.equal((await node.admin('POST', '/admin/cache/purge', { tag: 'x', key: 'y' })).status, 400);
  });
});
