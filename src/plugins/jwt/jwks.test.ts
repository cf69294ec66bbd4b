// The jwt plugin with a JWKS served by a local HTTP server: caching, background refresh, the
// unknown-kid refetch and its rate limit, coalescing, key rotation, outages (last good keys, or
// 401 with none) and responses that are not a usable JWKS.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { refusedPort } from '../../../test/harness/upstream.ts';
import { DEFAULT_JWKS_OPTIONS, JwksSource, parseJwks, ttlFrom } from './jwks.ts';
import { AUD, bearer, compile, ISS, keyPair, run, sign, startJwksServer, type JwksServer } from './test-helpers.ts';

const UNAUTHORIZED = { problem: 'unauthorized', headers: { 'www-authenticate': 'Bearer realm="portcullis"' } };

const k1 = await keyPair('RS256', 'k1');
const k2 = await keyPair('ES256', 'k2');
const k3 = await keyPair('RS256', 'k3');

const token1 = await sign(k1.privateKey, 'RS256', {}, { kid: 'k1' });
const token2 = await sign(k2.privateKey, 'ES256', {}, { kid: 'k2' });
const token3 = await sign(k3.privateKey, 'RS256', {}, { kid: 'k3' });

const confFor = (uri: string) => compile({ issuers: [{ issuer: ISS, audiences: [AUD], algorithms: ['RS256', 'ES256'], jwks_uri: uri }] });

async function server(t: TestContext, keys: unknown[] = [k1.jwk, k2.jwk]): Promise<JwksServer> {
  const srv = await startJwksServer({ keys });
  t.after(() => srv.close());
  return srv;
}

const status = async (conf: ReturnType<typeof confFor>, token: string) => {
  const { result, ctx } = await run(conf, { headers: bearer(token) });
  return result === undefined && ctx.consumer?.username === 'acme' ? 'ok' : result;
};

test('keys are fetched once and cached', async (t) => {
  const srv = await server(t);
  const conf = confFor(srv.url);
  for (let i = 0; i < 5; i++) {
    assert.equal(await status(conf, token1), 'ok');
    assert.equal(await status(conf, token2), 'ok');
  }
  // A token without kid is tried against the keys of its algorithm.
  assert.equal(await status(conf, await sign(k1.privateKey, 'RS256')), 'ok');
  assert.equal(srv.fetches, 1);
  // A config reload compiles the plugin anew: the cache (per jwks_uri) survives it.
  assert.equal(await status(confFor(srv.url), token1), 'ok');
  assert.equal(srv.fetches, 1);
});

test('10 concurrent requests on a cold JWKS share one fetch', async (t) => {
  const srv = await server(t);
  srv.delayMs = 100;
  const conf = confFor(srv.url);
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => status(conf, i % 2 === 0 ? token1 : token2)));
  assert.deepEqual(results, Array(10).fill('ok'));
  assert.equal(srv.fetches, 1);
});

test('an unknown kid triggers at most one refetch per 30 s', async (t) => {
  const srv = await server(t);
  const conf = confFor(srv.url);
  assert.equal(await status(conf, token1), 'ok');
  assert.equal(srv.fetches, 1);
  assert.deepEqual(await status(conf, token3), UNAUTHORIZED);
  assert.equal(srv.fetches, 2, 'the first unknown kid refetches');
  assert.deepEqual(await status(conf, await sign(k3.privateKey, 'RS256', {}, { kid: 'made-up' })), UNAUTHORIZED);
  assert.deepEqual(await status(conf, token3), UNAUTHORIZED);
  assert.equal(srv.fetches, 2, 'later ones within 30 s do not');
  // Known kids are unaffected.
  assert.equal(await status(conf, token1), 'ok');
});

test('key rotation: a token with a new kid works once the JWKS has it', async (t) => {
  const srv = await server(t);
  const conf = confFor(srv.url);
  assert.equal(await status(conf, token1), 'ok');
  srv.jwks = { keys: [k3.jwk] }; // k1 retired, k3 added
  assert.equal(await status(conf, token3), 'ok');
  assert.equal(srv.fetches, 2);
  // The refetched set replaced the old one: k1 is gone.
  assert.deepEqual(await status(conf, token1), UNAUTHORIZED);
});

test('the JWKS server going down keeps the last good keys in use', async (t) => {
  const srv = await server(t);
  const conf = confFor(srv.url);
  assert.equal(await status(conf, token1), 'ok');
  await srv.close();
  const { result, logged } = await run(conf, { headers: bearer(token3) }); // unknown kid: refetch, which fails
  assert.deepEqual(result, UNAUTHORIZED);
  assert.ok(logged.some((l) => l.level === 'warn' && /JWKS fetch failed/.test(l.msg ?? '')), 'the failed fetch is logged');
  assert.ok(!JSON.stringify(logged).includes(token3));
  assert.equal(await status(conf, token1), 'ok');
  assert.equal(await status(conf, token2), 'ok');
});

test('a JWKS that cannot be reached: 401, never open', async () => {
  const conf = confFor(`http://127.0.0.1:${await refusedPort()}/jwks.json`);
  assert.deepEqual(await status(conf, token1), UNAUTHORIZED);
  assert.deepEqual(await status(conf, await sign(k1.privateKey, 'RS256')), UNAUTHORIZED);
  // With an anonymous fallback, the request goes on as that consumer, not as the token's.
  const { ctx } = await run(compile({ issuers: [{ issuer: ISS, algorithms: ['RS256'], jwks_uri: `http://127.0.0.1:${await refusedPort()}/` }], anonymous: 'guest' }), { headers: bearer(token1) });
  assert.equal(ctx.consumer?.username, 'guest');
});

test('oversized, non-JSON, non-JWKS, error and redirected-away answers are no keys', async (t) => {
  const cases: [string, (srv: JwksServer) => void][] = [
    ['oversized', (srv) => { srv.jwks = { keys: [k1.jwk], pad: 'x'.repeat(256 * 1024) }; }],
    ['not JSON', (srv) => { srv.body = '<html>login</html>'; }],
    ['not a JWKS', (srv) => { srv.body = JSON.stringify([k1.jwk]); }],
    ['not UTF-8', (srv) => { srv.body = Buffer.concat([Buffer.from(`{"keys":[${JSON.stringify(k1.jwk)}],"x":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]); }],
    ['HTTP 500', (srv) => { srv.status = 500; }],
    ['redirect to a non-http scheme', (srv) => { srv.status = 302; srv.headers = { location: 'file:///etc/jwks.json' }; }],
  ];
  for (const [what, setup] of cases) {
    const srv = await server(t);
    setup(srv);
    assert.deepEqual(await status(confFor(srv.url), token1), UNAUTHORIZED, what);
    assert.equal(srv.fetches, 1, what);
  }
});

test('a redirect within http is followed', async (t) => {
  const target = await server(t);
  const redirect = await server(t);
  redirect.status = 307;
  redirect.headers = { location: target.url };
  assert.equal(await status(confFor(redirect.url), token1), 'ok');
  assert.equal(target.fetches, 1);
});

test('keys that are not public signature keys are skipped', async () => {
  const { exportJWK } = await import('jose');
  const keys = parseJwks({
    keys: [
      { ...k1.jwk, kid: 'enc', use: 'enc' },
      { ...(await exportJWK(k3.privateKey)), kid: 'private' },
      { kty: 'oct', kid: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA' },
      { kty: 'RSA', kid: 'junk', n: 'AQAB', e: 'AQAB' },
      'not an object',
      { ...k2.jwk, key_ops: ['encrypt'] },
      k1.jwk,
    ],
  }, 64);
  assert.deepEqual(keys.map((k) => k.kid), ['k1']);
  assert.equal(parseJwks({ keys: Array(100).fill(k1.jwk) }, 64).length, 64, 'at most maxKeys keys');
  assert.equal(parseJwks({ keys: [...Array.from({ length: 70 }, () => ({ kty: 'oct', k: 'AA' })), k1.jwk] }, 64).length, 1, 'unusable entries do not count');
  assert.throws(() => parseJwks({ nokeys: [] }, 64), /no "keys"/);
});

test('cache lifetime: Cache-Control max-age within [60 s, 24 h], else 10 min', () => {
  const opts = DEFAULT_JWKS_OPTIONS;
  assert.equal(ttlFrom(null, opts), 600_000);
  assert.equal(ttlFrom('public, max-age=3600', opts), 3_600_000);
  assert.equal(ttlFrom('max-age=5', opts), 60_000);
  assert.equal(ttlFrom('max-age=31536000, immutable', opts), 86_400_000);
  assert.equal(ttlFrom('no-store', opts), 600_000);
  assert.equal(ttlFrom('s-maxage=10', opts), 600_000);
});

test('refresh runs in the background before expiry; failures keep the keys and back off', async (t) => {
  const srv = await server(t);
  srv.headers = { 'cache-control': 'max-age=100' };
  let now = 1_000_000;
  const warnings: string[] = [];
  const source = new JwksSource(srv.url, { now: () => now });
  const warn = (_uri: string, message: string) => warnings.push(message);
  assert.deepEqual((await source.keys(warn)).keys.map((k) => k.kid), ['k1', 'k2']);
  now += 79_000; // before 80% of the lifetime: cached
  await source.keys(warn);
  assert.equal(srv.fetches, 1);
  srv.jwks = { keys: [k3.jwk] };
  now += 2_000; // past 80%: answered from the cache at once, refreshed behind it
  assert.deepEqual((await source.keys(warn)).keys.map((k) => k.kid), ['k1', 'k2']);
  await until(() => srv.fetches === 2);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual((await source.keys(warn)).keys.map((k) => k.kid), ['k3']);
  // Down: past expiry the last good keys stay, the failure is reported, and retries back off.
  srv.status = 503;
  now += 200_000;
  assert.deepEqual((await source.keys(warn)).keys.map((k) => k.kid), ['k3']);
  await until(() => warnings.length === 1);
  assert.match(warnings[0]!, /HTTP 503/);
  now += 5_000;
  await source.keys(warn);
  assert.equal(srv.fetches, 3, 'no new attempt within the 10 s back-off');
  now += 5_000;
  srv.status = 200;
  srv.jwks = { keys: [k1.jwk] };
  await source.keys(warn);
  await until(() => srv.fetches === 4);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual((await source.keys(warn)).keys.map((k) => k.kid), ['k1']);
});

test('a JWKS that does not answer in time is no keys', async (t) => {
  const hang = createServer(() => { /* never answers */ });
  await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
  t.after(() => { hang.closeAllConnections(); hang.close(); });
  const warnings: string[] = [];
  const source = new JwksSource(`http://127.0.0.1:${(hang.address() as AddressInfo).port}/`, { timeoutMs: 200 });
  const started = Date.now();
  assert.deepEqual(await source.keys((_u, m) => warnings.push(m)), { keys: [], fresh: true });
  assert.ok(Date.now() - started < 2000);
  assert.match(warnings[0]!, /no answer within 200 ms/);
});

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
