// key-auth and acl end to end, on a node in store mode (SQLite, one and two workers): consumers and
// keys made through the admin API reach the gateway as hashes; a key identifies its consumer to the
// upstream and never goes there itself; revocation, expiry, rotation and consumer deletion take
// effect promptly; the last-known-good file holds hashes only; no raw key ever shows in the logs.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyLookup } from '../src/core/identity/secrets.ts';
import { expectStatus, spawnNode, until, type NodeProcess } from './harness/node.ts';
import { echoHandler, startUpstream } from './harness/upstream.ts';

const TEST_TIMEOUT = 120_000;
/** The bar: a revocation is enforced within 1 s of the admin API's answer. */
const REVOKE_WITHIN_MS = 1000;
/** Consecutive answers (each on a new connection, so spread over the workers) that count as "consistently". */
const STREAK = 6;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON (the echo of what the upstream received, or a problem), or undefined. */
  json: Record<string, unknown> | undefined;
}

function call(node: NodeProcess, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${node.proxyUrl}${path}`, { headers, agent: false, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path} within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** What the echoing upstream saw. */
const seen = (a: Answer) => a.json as { url: string; headers: Record<string, string | undefined> };

/** Calls until `streak` answers in a row have `status`; resolves with when the streak began (ms epoch). */
async function untilStatus(node: NodeProcess, path: string, headers: Record<string, string>, status: number, timeoutMs: number, what: string, streak = STREAK): Promise<number> {
  let run = 0;
  let began = 0;
  await until(async () => {
    const sentAt = Date.now();
    const a = await call(node, path, headers);
    if (a.status === status) {
      if (run++ === 0) began = sentAt;
    } else {
      run = 0;
    }
    return run >= streak;
  }, timeoutMs, what, 5);
  return began;
}

async function expectAll(node: NodeProcess, path: string, headers: Record<string, string>, status: number, what: string, times = STREAK): Promise<void> {
  for (let i = 0; i < times; i++) assert.equal((await call(node, path, headers)).status, status, `${what} (#${i + 1})`);
}

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The 401 problem minus what differs per request. */
function unauthorizedShape(a: Answer): unknown {
  const { request_id: _id, instance: _instance, ...rest } = a.json ?? {};
  return { status: a.status, type: a.headers['content-type'], auth: a.headers['www-authenticate'], body: rest };
}

for (const workers of [1, 2]) {
  test(`key-auth and acl in store mode (SQLite, ${workers} worker(s)): keys, revocation, expiry, rotation, no key leaks`, { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = tempDir(t, 'portcullis-key-auth-');
    const stateDir = join(dir, 'state');
    const up = await startUpstream(echoHandler);
    t.after(() => up.close());
    const node = await spawnNode({ db: `sqlite:${join(dir, 'portcullis.db')}`, stateDir, workers, t });
    /** Every raw key this test has seen: none may reach the upstream, the logs or the last-good file. */
    const rawKeys = new Set<string>();
    const canary = `pk_live_canary-${randomUUID()}`;
    rawKeys.add(canary);

    expectStatus(await node.admin('POST', '/admin/config/apply', {
      gateway: { drain_timeout_ms: 2000 }, // access log on (the default): it is one of the sinks searched
      services: [{ name: 'echo', targets: [{ url: up.url }], retries: 0 }],
      routes: [
        { name: 'keyed', service: 'echo', paths: ['/keyed'], plugins: [{ name: 'key-auth', config: {} }] },
        { name: 'partners', service: 'echo', paths: ['/partners'], plugins: [{ name: 'key-auth', config: {} }, { name: 'acl', config: { allow: ['partners'] } }] },
      ],
    }), 'config apply');
    expectStatus(await node.admin('POST', '/admin/consumers', { name: 'acme', groups: ['partners'] }), 'consumer acme', 201);
    expectStatus(await node.admin('POST', '/admin/consumers', { name: 'bob' }), 'consumer bob', 201);

    const newKey = async (consumer: string, extra: Record<string, unknown> = {}): Promise<{ id: string; key: string }> => {
      const r = expectStatus(await node.admin('POST', '/admin/credentials', { consumer, type: 'key-auth', ...extra }), `key for ${consumer}`, 201);
      const key = String(r.body.key);
      assert.match(key, /^pk_live_/);
      rawKeys.add(key);
      return { id: String(r.body.id), key };
    };
    const acme = await newKey('acme');
    const bob = await newKey('bob');
    await untilStatus(node, '/keyed', { apikey: acme.key }, 200, 10_000, 'the config and the first keys to be served');
    await untilStatus(node, '/keyed', { apikey: bob.key }, 200, 10_000, 'bob’s key to be served');

    await t.test('no key, an unknown key: the same 401 problem, and the upstream is never called', async () => {
      const marker = `never-${randomUUID()}`;
      const missing = await call(node, `/keyed/${marker}`);
      assert.equal(missing.status, 401);
      assert.match(String(missing.headers['content-type']), /^application\/problem\+json/);
      assert.equal(missing.headers['www-authenticate'], 'Key realm="portcullis"');
      assert.equal(missing.json?.status, 401);
      assert.equal(missing.json?.title, 'Unauthorized');
      const unknown = await call(node, `/keyed/${marker}`, { apikey: canary });
      const unknownQuery = await call(node, `/keyed/${marker}?apikey=${canary}`);
      const acl = await call(node, `/partners/${marker}`);
      for (const a of [unknown, unknownQuery, acl]) assert.deepEqual(unauthorizedShape(a), unauthorizedShape(missing));
      assert.ok(!unknown.text.includes(canary) && !unknownQuery.text.includes(canary), 'the presented key is not echoed');
      assert.ok(!up.received.some((r) => r.url.includes(marker)), 'the upstream saw a refused request');
    });

    await t.test('a valid key (header or query) reaches the upstream as x-consumer-*, never as the key', async () => {
      const h = await call(node, '/keyed/h?a=%2F&b=x+y', { apikey: acme.key });
      assert.equal(h.status, 200);
      assert.equal(seen(h).headers['x-consumer-username'], 'acme');
      assert.equal(seen(h).headers['x-consumer-id'], 'acme');
      assert.equal(seen(h).headers['x-consumer-groups'], 'partners');
      assert.equal(seen(h).headers['x-credential-identifier'], acme.id);
      assert.equal(seen(h).headers.apikey, undefined);
      assert.equal(seen(h).url, '/keyed/h?a=%2F&b=x+y');

      const x = await call(node, '/keyed/x', { 'X-Api-Key': acme.key });
      assert.equal(x.status, 200);
      assert.equal(seen(x).headers['x-api-key'], undefined);
      assert.equal(seen(x).headers['x-consumer-username'], 'acme');

      const q = await call(node, `/keyed/q?a=%2F&apikey=${encodeURIComponent(acme.key)}&b=x+y`);
      assert.equal(q.status, 200);
      assert.equal(seen(q).url, '/keyed/q?a=%2F&b=x+y', 'the key parameter is gone, the rest byte for byte');
      assert.equal(seen(q).headers['x-consumer-username'], 'acme');
      assert.equal(seen(q).headers['x-credential-identifier'], acme.id);

      const b = await call(node, `/keyed/b?x-api-key=${bob.key}`);
      assert.equal(b.status, 200);
      assert.equal(seen(b).url, '/keyed/b');
      assert.equal(seen(b).headers['x-consumer-username'], 'bob');
      assert.equal(seen(b).headers['x-consumer-groups'], undefined);
      assert.equal(seen(b).headers['x-credential-identifier'], bob.id);
    });

    await t.test('client-sent x-consumer-* headers never reach the upstream and never grant access', async () => {
      const spoofed = { 'x-consumer-username': 'admin', 'x-consumer-id': 'admin', 'x-consumer-groups': 'partners', 'x-consumer-custom-id': 'root', 'x-credential-identifier': 'forged', 'x-anonymous-consumer': 'true' };
      const a = await call(node, '/keyed/spoof', { ...spoofed, apikey: bob.key });
      assert.equal(a.status, 200);
      const got = seen(a).headers;
      assert.deepEqual(
        { id: got['x-consumer-id'], username: got['x-consumer-username'], groups: got['x-consumer-groups'], custom: got['x-consumer-custom-id'], cred: got['x-credential-identifier'], anon: got['x-anonymous-consumer'] },
        { id: 'bob', username: 'bob', groups: undefined, custom: undefined, cred: bob.id, anon: undefined },
      );
      assert.equal((await call(node, '/partners/spoof', { ...spoofed, apikey: bob.key })).status, 403, 'spoofed groups are not believed');
      assert.equal((await call(node, '/keyed/spoof', spoofed)).status, 401);
      assert.ok(!up.received.some((r) => r.headers['x-consumer-username'] === 'admin' || r.headers['x-credential-identifier'] === 'forged'));
    });

    await t.test('acl: bob (no groups) is forbidden on the partners route, acme passes', async () => {
      const denied = await call(node, '/partners/x', { apikey: bob.key });
      assert.equal(denied.status, 403);
      assert.match(String(denied.headers['content-type']), /^application\/problem\+json/);
      assert.equal(denied.json?.title, 'Forbidden');
      const ok = await call(node, '/partners/x', { apikey: acme.key });
      assert.equal(ok.status, 200);
      assert.equal(seen(ok).headers['x-consumer-username'], 'acme');
      assert.equal(seen(ok).headers['x-consumer-groups'], 'partners');
    });

    await t.test(`revoking a key through the admin API makes it fail within ${REVOKE_WITHIN_MS} ms`, async () => {
      const temp = await newKey('acme');
      await untilStatus(node, '/keyed', { apikey: temp.key }, 200, 10_000, 'the new key to be served');
      expectStatus(await node.admin('PATCH', `/admin/credentials/${temp.id}`, { revoked: true }), 'revoke', 200);
      const writtenAt = Date.now();
      const failedAt = await untilStatus(node, '/keyed', { apikey: temp.key }, 401, 5000, 'the revoked key to fail');
      assert.ok(failedAt - writtenAt < REVOKE_WITHIN_MS, `the revoked key failed consistently only ${failedAt - writtenAt} ms after the write`);
      await expectAll(node, '/keyed', { apikey: acme.key }, 200, 'acme’s other key still works');
    });

    await t.test('a key with expires_at a couple of seconds ahead works until then, not after', async () => {
      const expiresAt = Date.now() + 2500;
      const short = await newKey('acme', { expires_at: new Date(expiresAt).toISOString() });
      await untilStatus(node, '/keyed', { apikey: short.key }, 200, 2000, 'the expiring key to be served', 2);
      assert.ok(Date.now() < expiresAt, 'the key was seen working before it expired');
      await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 50)));
      await expectAll(node, '/keyed', { apikey: short.key }, 401, 'the expired key');
      await expectAll(node, `/keyed?apikey=${short.key}`, {}, 401, 'the expired key (query)', 2);
    });

    await t.test('rotation: a second key, the first expiring in 2 s; both work during the overlap, then only the new one', async () => {
      const next = await newKey('acme');
      await untilStatus(node, '/keyed', { apikey: next.key }, 200, 10_000, 'the new key to be served');
      const oldExpiresAt = Date.now() + 2000;
      expectStatus(await node.admin('PATCH', `/admin/credentials/${acme.id}`, { expires_at: new Date(oldExpiresAt).toISOString() }), 'expire the old key', 200);
      let overlapChecks = 0;
      for (; overlapChecks < STREAK && Date.now() < oldExpiresAt - 300; overlapChecks++) {
        assert.equal((await call(node, '/keyed', { apikey: acme.key })).status, 200, 'the old key during the overlap');
        assert.equal((await call(node, '/keyed', { apikey: next.key })).status, 200, 'the new key during the overlap');
      }
      assert.ok(overlapChecks > 0, 'the overlap was checked before it ended');
      const both = await call(node, '/keyed', { apikey: next.key });
      assert.equal(seen(both).headers['x-credential-identifier'], next.id);
      await new Promise((r) => setTimeout(r, Math.max(0, oldExpiresAt - Date.now() + 50)));
      await expectAll(node, '/keyed', { apikey: acme.key }, 401, 'the old key after its expiry');
      await expectAll(node, '/partners', { apikey: next.key }, 200, 'the new key after the old one expired');
      acme.key = next.key;
      acme.id = next.id;
    });

    await t.test('the last-known-good file holds credential hashes, never a raw key', async () => {
      const file = join(stateDir, 'last-good-config.json');
      // Saved on every load: wait until it holds every key made so far.
      let text = '';
      await until(() => {
        text = readFileSync(file, 'utf8');
        return [...rawKeys].filter((k) => k !== canary).every((k) => text.includes(apiKeyLookup(k)));
      }, 5000, 'the last-known-good file to hold every key’s hash');
      const saved = JSON.parse(text) as { credentials?: { lookup: string; consumer: string }[] };
      assert.ok(Array.isArray(saved.credentials) && saved.credentials.length >= 5, 'credentials are saved');
      assert.equal(statSync(file).mode & 0o777, 0o600, 'readable by the node’s user only');
      for (const key of rawKeys) assert.ok(!text.includes(key), 'a raw key in the last-known-good file');
      assert.ok(!/pk_live_/.test(text), 'nothing that looks like a key');
    });

    await t.test('deleting the consumer makes its keys fail; other consumers are unaffected', async () => {
      expectStatus(await node.admin('DELETE', '/admin/consumers/acme'), 'delete consumer', 204);
      await untilStatus(node, '/keyed', { apikey: acme.key }, 401, 5000, 'the deleted consumer’s key to fail');
      await expectAll(node, '/partners', { apikey: acme.key }, 401, 'the deleted consumer on the acl route');
      await expectAll(node, '/keyed', { apikey: bob.key }, 200, 'bob still works');
    });

    await t.test('the upstream never saw a raw key; no log line ever holds one', async () => {
      assert.ok(up.received.length > 20, 'requests reached the upstream');
      for (const r of up.received) {
        const text = `${r.url}\n${r.rawHeaders.join('\n')}`;
        for (const key of rawKeys) assert.ok(!text.includes(key) && !text.includes(encodeURIComponent(key)), `a raw key reached the upstream: ${r.url}`);
      }
      assert.equal(await node.stop(), 0);
      const logs = node.logs();
      assert.ok(logs.includes('"log":"access"'), 'the access log was on (the sink was not empty)');
      for (const key of rawKeys) {
        assert.ok(!logs.includes(key), 'a raw key in the node’s output');
        assert.ok(!logs.includes(encodeURIComponent(key)));
      }
    });
  });
}
