import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { compileIdentities } from '../../core/identity/directory.ts';
import { fakeContext } from '../test-helpers.ts';
import { jwt } from './plugin.ts';
import { AUD, bearer, compile, identities, ISS, keyPair, sign } from './test-helpers.ts';
import { VERIFIED_MAX_ENTRIES, VERIFIED_MAX_TOKEN_CHARS, VERIFIED_TTL_MS, VerifiedTokens } from './verified-cache.ts';

test('the cache: entries last a minute at most, never past the token\'s own expiry; oldest evicted; long tokens not held', () => {
  const c = new VerifiedTokens<string>();
  c.set('a', 'A', 0, undefined);
  c.set('b', 'B', 0, 5_000);
  c.set('expired', 'X', 10, 10);
  assert.equal(c.get('a', VERIFIED_TTL_MS - 1), 'A');
  assert.equal(c.get('a', VERIFIED_TTL_MS), undefined);
  assert.equal(c.get('b', 4_999), 'B');
  assert.equal(c.get('b', 5_000), undefined);
  assert.equal(c.get('expired', 10), undefined);
  c.set('x'.repeat(VERIFIED_MAX_TOKEN_CHARS + 1), 'L', 0, undefined);
  assert.equal(c.size, 0, 'expired entries are dropped when met; long tokens are never held');
  for (let i = 0; i <= VERIFIED_MAX_ENTRIES; i++) c.set(`t${i}`, String(i), 0, undefined);
  assert.equal(c.size, VERIFIED_MAX_ENTRIES);
  assert.equal(c.get('t0', 1), undefined, 'the oldest went first');
  assert.equal(c.get(`t${VERIFIED_MAX_ENTRIES}`, 1), String(VERIFIED_MAX_ENTRIES));
});

test('a token verified once is admitted again synchronously; the consumer and the expiry are checked every time', async (t: TestContext) => {
  const rsa = await keyPair('RS256', 'rsa-c');
  const conf = compile({ issuers: [{ issuer: ISS, audiences: [AUD], algorithms: ['RS256'], keys: [rsa.jwk] }] });
  const now = Math.floor(Date.now() / 1000);
  const token = await sign(rsa.privateKey, 'RS256', { exp: now + 30 });
  const first = jwt.handlers.access!(fakeContext({ identities, headers: bearer(token) }), conf);
  assert.ok(first instanceof Promise, 'the first sight verifies the signature');
  assert.equal(await first, undefined);
  const ctx = fakeContext({ identities, headers: bearer(token) });
  const again = jwt.handlers.access!(ctx, conf);
  assert.ok(!(again instanceof Promise), 'a repeat is answered from memory');
  assert.equal(again, undefined);
  assert.equal(ctx.consumer?.username, 'acme');
  // The consumer is looked up on every request: gone from the directory, the token stops working.
  const noAcme = compileIdentities([{ name: 'guest', groups: [] }], []);
  const gone = jwt.handlers.access!(fakeContext({ identities: noAcme, headers: bearer(token) }), conf);
  assert.deepEqual(gone, { problem: 'unauthorized', headers: { 'www-authenticate': 'Bearer realm="portcullis"' } });
  // Past exp (+ the 60 s skew), the remembered token is not trusted any more.
  t.mock.timers.enable({ apis: ['Date'], now: (now + 30 + 61) * 1000 });
  const late = await jwt.handlers.access!(fakeContext({ identities, headers: bearer(token) }), conf);
  assert.deepEqual(late, { problem: 'unauthorized', headers: { 'www-authenticate': 'Bearer realm="portcullis"' } });
});
