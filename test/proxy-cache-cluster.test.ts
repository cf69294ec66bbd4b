// proxy-cache's memory backend on two nodes that share one Postgres database: a purge through
// either node's admin API, and an unsafe request through either proxy, reach the other node's
// memory cache too (the nodes tell each other through NOTIFY).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, onCi, POSTGRES_ENV, postgresUrl } from './harness/postgres.ts';
import { expectStatus, randomToken, spawnNode, until, type NodeProcess } from './harness/node.ts';
import { startUpstream } from './harness/upstream.ts';
import { send, type Reply } from './harness/http-get.ts';

/** Both nodes behind one name, as behind a load balancer: their cache keys are the same. */
const HOST = 'api.example.test';
const call = (node: NodeProcess, path: string, method = 'GET'): Promise<Reply> => send(`${node.proxyUrl}${path}`, { method, headers: { host: HOST } });
const isHit = (r: Reply) => /hit/.test(String(r.headers['cache-status']));
const versionOf = (r: Reply) => Number(/(\d+)$/.exec(r.body)?.[1]);

if (postgresUrl() !== undefined) {
  test('two nodes on one Postgres database: purges and invalidations reach the other node\'s memory cache', { timeout: 120_000 }, async (t) => {
    const database = await createTestDatabase();
    t.after(() => database.drop());
    const counts = new Map<string, number>();
    const up = await startUpstream((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const body = `${path} version ${n}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'cache-control': 'max-age=300', 'cache-tag': path.split('/')[2] ?? '' });
      res.end(body);
    });
    t.after(() => up.close());
    const token = randomToken();
    const [a, b] = await Promise.all([spawnNode({ db: database.url, adminToken: token, t }), spawnNode({ db: database.url, adminToken: token, t })]);
    expectStatus(await a.admin('POST', '/admin/config/apply', {
      services: [{ name: 'api', targets: [{ url: up.url }], retries: 0 }],
      routes: [{ name: 'open', service: 'api', paths: ['/open'], plugins: [{ name: 'proxy-cache', config: {} }] }],
    }), 'config apply');
    await until(async () => (await call(b, '/open/ready')).status === 200, 10_000, 'node b to serve the config');

    /** Both nodes answer `path` from their memory cache; returns the highest version they hold. */
    const cachedOnBoth = async (path: string): Promise<number> => {
      let held = 0;
      for (const node of [a, b]) {
        await until(async () => isHit(await call(node, path)), 10_000, `${path} cached on ${node === a ? 'a' : 'b'}`);
        held = Math.max(held, versionOf(await call(node, path)));
      }
      return held;
    };
    /** The node stops serving what it held (the notice arrives a moment after the response). */
    const dropped = (node: NodeProcess, path: string, held: number) => until(async () => versionOf(await call(node, path)) > held, 5000, `${path} dropped from the other node's cache`);

    await t.test('a purge by key through node a reaches node b', async () => {
      const held = await cachedOnBoth('/open/items');
      const out = expectStatus(await a.admin('POST', '/admin/cache/purge', { key: `GET ${HOST}/open/items` }), 'purge', 200).body as { removed: { memory: number }; other_nodes_notified: boolean };
      assert.equal(out.removed.memory, 1, 'node a\'s own entry');
      assert.equal(out.other_nodes_notified, true);
      await dropped(b, '/open/items', held);
    });

    await t.test('a purge by tag through node b reaches node a', async () => {
      const held = await cachedOnBoth('/open/tagged');
      expectStatus(await b.admin('POST', '/admin/cache/purge', { tag: 'tagged' }), 'purge', 200);
      await dropped(a, '/open/tagged', held);
    });

    await t.test('an unsafe request through node a invalidates the URI on node b', async () => {
      const held = await cachedOnBoth('/open/orders');
      assert.equal((await call(a, '/open/orders', 'POST')).status, 200);
      await dropped(b, '/open/orders', held);
    });
  });
} else if (onCi()) {
  test('proxy-cache on two nodes sharing Postgres', () => {
    assert.fail(`${POSTGRES_ENV} is not set: CI must run the multi-node tests (see .ci/run)`);
  });
} else {
  test('proxy-cache on two nodes sharing Postgres', { skip: `${POSTGRES_ENV} is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)` }, () => undefined);
}
