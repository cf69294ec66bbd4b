// gateway.redis.url with a password, through a real node in store mode and a real Redis that
// requires it: the node opens the sealed password and counts on Redis (a fail-closed rate limit
// answers 429, not 503); the settings row and the last-known-good file hold it sealed; export,
// audit, /ready, /metrics and every log line never show it, also while Redis refuses a wrong one.
import { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from './harness/http-get.ts';
import { metricValue, spawnNode, until, type NodeProcess } from './harness/node.ts';
import { rawSql } from './harness/raw-sql.ts';
import { testWithRedis } from './harness/redis.ts';
import { startUpstream } from './harness/upstream.ts';

const password = `pw-${randomBytes(18).toString('base64url')}`;
const wrong = `pw-${randomBytes(18).toString('base64url')}`;

function document(upstream: string, redisUrl: string): Record<string, unknown> {
  return {
    gateway: { access_log: true, redis: { url: redisUrl, command_timeout_ms: 500, key_prefix: `pt-${randomBytes(4).toString('hex')}:` } },
    services: [{ name: 'orders', targets: [{ url: upstream }], retries: 0 }],
    routes: [{
      name: 'orders', service: 'orders', paths: ['/orders'],
      // Closed: without Redis every request is refused with 503, so a 429 means Redis counted.
      plugins: [{ name: 'rate-limiting', config: { limits: [{ window: 'hour', limit: 2 }], limit_by: 'ip', backend: 'redis', fail: 'closed' } }],
    }],
  };
}

async function served(node: NodeProcess): Promise<void> {
  const revision = Number((await node.admin('GET', '/admin/config')).headers['x-config-revision']);
  await until(async () => (metricValue(await node.metrics(), 'portcullis_config_revision') ?? 0) >= revision, 20_000, `revision ${revision} served`);
}

function assertAbsent(text: string, where: string): void {
  for (const s of [password, wrong]) assert.ok(!text.includes(s), `${where} shows a Redis password`);
}

testWithRedis('a Redis password in store mode: opened for the gateway, sealed at rest, never shown or logged', async (t: TestContext, redis) => {
  const up = await startUpstream((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok'); });
  t.after(() => up.close());
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-redis-password-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = `sqlite:${join(dir, 'portcullis.db')}`;
  const host = `127.0.0.1:${redis.port}`;
  const node = await spawnNode({ db, stateDir: dir, env: { PORTCULLIS_SECRET_KEY: randomBytes(32).toString('base64') }, t });

  const applied = await node.admin('POST', '/admin/config/apply', document(up.url, `redis://:${password}@${host}/0`));
  assert.equal(applied.status, 200, JSON.stringify(applied.body));
  await served(node);
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await get(`${node.proxyUrl}/orders`)).status);
  assert.deepEqual(statuses, [200, 200, 429], 'counted on Redis, so the node authenticated with the password');

  // At rest: sealed in the settings row and in the last-known-good file.
  const row = JSON.stringify(await rawSql(db, 'select data from settings where key = ?', ['gateway']));
  assert.match(row, new RegExp(`redis://:sealed:[0-9a-f]+:v1\\.[\\w-]+@${host.replace(/\./g, '\\.')}/0`));
  assertAbsent(row, 'the settings row');
  const lastGood = readFileSync(join(dir, 'last-good-config.json'), 'utf8');
  assert.match(lastGood, /redis:\/\/:sealed:/);
  assertAbsent(lastGood, 'the last-known-good file');

  // A wrong password: Redis refuses it, the fail-closed route answers 503, the log says why
  // without the URL's password.
  const rotated = await node.admin('POST', '/admin/config/apply', document(up.url, `redis://:${wrong}@${host}/0`));
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  await served(node);
  assert.equal((await get(`${node.proxyUrl}/orders`)).status, 503);
  await until(() => node.logs().includes('rate-limit counter unavailable'), 10_000, 'the counter outage in the log');

  const exported = await node.admin<Record<string, unknown>>('GET', '/admin/config');
  assert.equal((exported.body.gateway as { redis: { url: string } }).redis.url, `redis://:(sealed)@${host}/0`);
  assertAbsent(JSON.stringify(exported.body), 'the export');
  const audit = JSON.stringify((await node.admin('GET', '/admin/audit?limit=100')).body);
  assert.match(audit, /redis:\/\/:\(sealed\)@/);
  assertAbsent(audit, 'the audit log');
  assertAbsent(JSON.stringify(await node.ready()), '/ready');
  assertAbsent(await node.metrics(), '/metrics');
  assert.equal(await node.stop(), 0);
  assertAbsent(node.logs(), 'the log');
}, { requirepass: password });
