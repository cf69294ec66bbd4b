// The jwt plugin with static keys: every algorithm family, algorithm confusion, claims with the
// clock skew, kid selection, scopes, consumer mapping, the anonymous fallback, hiding the token,
// and malformed or oversized tokens. JWKS behaviour is in jwks.test.ts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign as cryptoSign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { exportJWK, exportPKCS8, SignJWT } from 'jose';
import { checkConfig } from '../../core/config/load.ts';
import { apiKeyLookup } from '../../core/identity/secrets.ts';
import type { HeaderMap, PluginResponse } from '../../core/pipeline/context.ts';
import { runPhase } from '../../core/pipeline/run.ts';
import { compileSnapshot } from '../../core/snapshot/compile.ts';
import { setConsumer } from '../shared/consumer-headers.ts';
import { BUNDLED_CATALOG } from '../index.ts';
import { consumerHeaders, fakeContext } from '../test-helpers.ts';
import { compileJwt, grantedScopes } from './plugin.ts';
import { verifyToken } from './verify.ts';
import { JwtSchema } from './schema.ts';
import { validate } from '../../core/config/validate.ts';
import { AUD, b64, bearer, compile, identities, ISS, keyPair, run, sign, type TestKey } from './test-helpers.ts';

const UNAUTHORIZED = { problem: 'unauthorized', headers: { 'www-authenticate': 'Bearer realm="portcullis"' } };
const SECRET = randomBytes(32).toString('base64url'); // 43 ASCII bytes
const SECRET64 = randomBytes(64).toString('hex'); // 128 ASCII bytes

const rsa = await keyPair('RS256', 'rsa-1');
const rsa2 = await keyPair('RS256', 'rsa-2');
const ps = await keyPair('PS256', 'ps-1');
const ec256 = await keyPair('ES256', 'ec-256');
const ec384 = await keyPair('ES384', 'ec-384');
const ed = await keyPair('EdDSA', 'ed-1');
const attacker = await keyPair('RS256', 'rsa-1');

const issuer = (over: Record<string, unknown> = {}) => ({ issuer: ISS, audiences: [AUD], algorithms: ['RS256'], keys: [rsa.jwk], ...over });
const conf = (over: Record<string, unknown> = {}, issuerOver: Record<string, unknown> = {}) => compile({ issuers: [issuer(issuerOver)], ...over });
const secretBytes = (s: string) => new TextEncoder().encode(s);
const privateKeyObject = async (k: TestKey) => createPrivateKey({ key: await exportJWK(k.privateKey) as JsonWebKey, format: 'jwk' });
/** RS256 over whatever header and payload segment, for tokens jose will not produce. */
const signRaw = (header: object, payloadSegment: string, key: KeyObject) => `${b64(header)}.${payloadSegment}.${cryptoSign('sha256', Buffer.from(`${b64(header)}.${payloadSegment}`), key).toString('base64url')}`;
const pemOf = (k: TestKey) => createPublicKey({ key: k.jwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();


/** Asserts a 401 that says nothing about why, with no consumer set. */
async function rejects(c: ReturnType<typeof conf>, token: string, what: string, headers: HeaderMap = bearer(token)) {
  const { result, ctx } = await run(c, { headers });
  assert.deepEqual(result, UNAUTHORIZED, what);
  assert.equal(ctx.consumer, undefined, what);
  assert.equal(ctx.vars.jwt, undefined, what);
}

async function accepts(c: ReturnType<typeof conf>, token: string, what: string, headers: HeaderMap = bearer(token)) {
  const out = await run(c, { headers });
  assert.equal(out.result, undefined, what);
  assert.equal(out.ctx.consumer?.username, 'acme', what);
  return out;
}

test('a valid token from each algorithm family identifies the consumer', async () => {
  const cases: [string, TestKey | string, Record<string, unknown>][] = [
    ['RS256', rsa, { algorithms: ['RS256'], keys: [rsa.jwk] }],
    ['PS256', ps, { algorithms: ['PS256'], keys: [ps.jwk] }],
    ['ES256', ec256, { algorithms: ['ES256'], keys: [ec256.jwk] }],
    ['ES384', ec384, { algorithms: ['ES384'], keys: [ec384.jwk] }],
    ['EdDSA', ed, { algorithms: ['EdDSA'], keys: [ed.jwk] }],
    ['HS256', SECRET, { algorithms: ['HS256'], keys: [SECRET] }],
    ['HS512', SECRET64, { algorithms: ['HS256', 'HS512'], keys: [SECRET64] }],
  ];
  for (const [alg, key, over] of cases) {
    const signing = typeof key === 'string' ? secretBytes(key) : key.privateKey;
    const kid = typeof key === 'string' ? {} : { kid: key.jwk.kid };
    const token = await sign(signing, alg, { scope: 'a b' }, kid);
    const { ctx, up } = await accepts(conf({}, over), token, alg);
    assert.equal(ctx.credentialId, `jwt:${ISS}`);
    assert.deepEqual(consumerHeaders(up.headers), {
      'x-consumer-id': 'acme', 'x-consumer-username': 'acme', 'x-consumer-custom-id': 'crm-42', 'x-consumer-groups': 'partners', 'x-credential-identifier': `jwt:${ISS}`,
    });
    const claims = ctx.vars.jwt as Record<string, unknown>;
    assert.equal(claims.sub, 'acme');
    assert.equal(claims.scope, 'a b');
    assert.ok(Object.isFrozen(claims));
  }
});

test('PEM public keys and oct JWKs are accepted as static keys', async () => {
  const pem = pemOf(rsa);
  await accepts(conf({}, { keys: [pem] }), await sign(rsa.privateKey, 'RS256'), 'PEM');
  const oct = { kty: 'oct', kid: 'shared', k: Buffer.from(SECRET).toString('base64url') };
  await accepts(conf({}, { algorithms: ['HS256'], keys: [oct] }), await sign(secretBytes(SECRET), 'HS256', {}, { kid: 'shared' }), 'oct JWK');
});

test('alg "none" is always refused, with or without a signature', async () => {
  const c = conf();
  const payload = b64({ iss: ISS, sub: 'acme', aud: AUD, exp: Math.floor(Date.now() / 1000) + 60 });
  await rejects(c, `${b64({ alg: 'none' })}.${payload}.`, 'unsigned');
  await rejects(c, `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.${b64('x')}`, 'none with a signature');
  await rejects(c, `${b64({ alg: 'NONE' })}.${payload}.${b64('x')}`, 'NONE');
  // The schema has no "none" to allow.
  assert.throws(() => conf({}, { algorithms: ['none'] }), /algorithms/);
});

test('HS/RS confusion: a public key used as an HMAC secret gets nowhere', async () => {
  const c = conf();
  const pem = pemOf(rsa);
  for (const secret of [pem, JSON.stringify(rsa.jwk), rsa.jwk.n!]) {
    const forged = await new SignJWT({ iss: ISS, sub: 'acme', aud: AUD, exp: Math.floor(Date.now() / 1000) + 60 }).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).sign(secretBytes(secret));
    await rejects(c, forged, 'HS256 token for an RS256 issuer');
  }
  // Even an issuer that (wrongly) wanted both cannot be configured.
  assert.throws(() => conf({}, { algorithms: ['RS256', 'HS256'] }), /HS algorithms cannot be mixed/);
  // And keys must be of the algorithms' type.
  assert.throws(() => conf({}, { algorithms: ['HS256'], keys: [pem] }), /need a shared secret/);
  assert.throws(() => conf({}, { algorithms: ['HS256'], keys: [rsa.jwk] }), /need a shared secret/);
  assert.throws(() => conf({}, { algorithms: ['RS256'], keys: [SECRET] }), /not a PEM public key/);
  assert.throws(() => conf({}, { algorithms: ['HS256'], keys: [JSON.stringify(rsa.jwk)] }), /looks like a JWK/);
  assert.throws(() => conf({}, { algorithms: ['RS256'], keys: [{ kty: 'oct', k: Buffer.from(SECRET).toString('base64url') }] }), /symmetric/);
  assert.throws(() => conf({}, { algorithms: ['ES256'], keys: [rsa.jwk] }), /fits none/);
  assert.throws(() => conf({}, { algorithms: ['ES384'], keys: [ec256.jwk] }), /fits none/);
  assert.throws(() => conf({}, { algorithms: ['HS256'], jwks_uri: 'https://idp.example.com/jwks', keys: undefined }), /HS algorithms need shared secrets/);
});

test('config checks: secrets length, private keys, keys or jwks_uri, duplicate issuers, token places', async () => {
  assert.throws(() => conf({}, { algorithms: ['HS256'], keys: ['too-short-secret'] }), /at least 32 bytes/);
  assert.throws(() => conf({}, { algorithms: ['HS512'], keys: [SECRET] }), /fits none/, 'HS512 needs a 64-byte key (RFC 7518 §3.2)');
  const { privateKey } = await keyPair('RS256');
  const privateJwk = await exportJWK(privateKey);
  const privatePem = await exportPKCS8(privateKey);
  assert.throws(() => conf({}, { keys: [privateJwk] }), /private key/);
  assert.throws(() => conf({}, { keys: [privatePem] }), /private key/);
  assert.throws(() => conf({}, { keys: undefined }), /needs keys or jwks_uri/);
  assert.throws(() => conf({}, { keys: [{ ...rsa.jwk, use: 'enc' }] }), /use/);
  assert.throws(() => conf({}, { keys: [{ ...rsa.jwk, alg: 'RS512' }] }), /fits none/);
  assert.throws(() => conf({}, { jwks_uri: 'ftp://idp.example.com/jwks' }), /jwks_uri/);
  assert.throws(() => conf({}, { jwks_uri: 'https://user:pw@idp.example.com/jwks' }), /credentials/);
  assert.throws(() => compile({ issuers: [issuer(), issuer()] }), /listed twice/);
  assert.throws(() => conf({ header_names: [] }), /at least one of/);
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
  assert.throws(() => conf({}, { keys: [small] }), /fits none/, 'RSA keys under 2048 bits');
  // Defaults are filled in per issuer.
  const v = validate<{ issuers: Record<string, unknown>[]; header_names: string[] }>(JwtSchema, { issuers: [{ issuer: ISS, algorithms: ['RS256'], keys: [rsa.jwk] }] });
  assert.ok(v.ok);
  assert.deepEqual(v.value.header_names, ['authorization']);
  assert.equal(v.value.issuers[0]!.consumer_claim, 'sub');
  assert.equal(v.value.issuers[0]!.consumer_by, 'name');
  assert.equal(v.value.issuers[0]!.clock_skew_seconds, 60);
  assert.equal(typeof compileJwt(v.value as never), 'object');
});

test('the built-in OAuth2 server: trusted with no issuers when enabled, never configured twice', () => {
  const bare = validate<Parameters<typeof compileJwt>[0]>(JwtSchema, {});
  assert.ok(bare.ok);
  assert.match(String(compileJwt(bare.value)), /needs issuers, or the built-in OAuth2 server/);
  const builtin = compileJwt(bare.value, { builtinIssuer: 'https://api.example.com', redis: undefined });
  assert.equal(typeof builtin === 'object' && builtin.builtinIssuer, 'https://api.example.com');
  const off = validate<Parameters<typeof compileJwt>[0]>(JwtSchema, { builtin_issuer: false });
  assert.ok(off.ok);
  assert.match(String(compileJwt(off.value, { builtinIssuer: 'https://api.example.com', redis: undefined })), /needs issuers/);
  const twice = validate<Parameters<typeof compileJwt>[0]>(JwtSchema, { issuers: [{ issuer: 'https://api.example.com', algorithms: ['RS256'], keys: [rsa.jwk] }] });
  assert.ok(twice.ok);
  assert.match(String(compileJwt(twice.value, { builtinIssuer: 'https://api.example.com', redis: undefined })), /is the built-in OAuth2 server/);
});

test('the issuer is chosen by iss and only its keys verify', async () => {
  const other = { issuer: 'https://other.example.com', algorithms: ['RS256'], keys: [rsa2.jwk] };
  const c = compile({ issuers: [issuer(), other] });
  await accepts(c, await sign(rsa2.privateKey, 'RS256', { iss: 'https://other.example.com', aud: undefined }, { kid: 'rsa-2' }), 'other issuer, own key');
  // A token claiming the first issuer, signed with the second issuer's key.
  await rejects(c, await sign(rsa2.privateKey, 'RS256', {}, { kid: 'rsa-2' }), 'key of another issuer');
  await rejects(c, await sign(rsa2.privateKey, 'RS256'), 'key of another issuer, no kid');
  await rejects(c, await sign(rsa.privateKey, 'RS256', { iss: 'https://evil.example.com' }), 'unknown issuer');
  await rejects(c, await sign(rsa.privateKey, 'RS256', { iss: undefined }), 'no iss');
  await rejects(c, await sign(rsa.privateKey, 'RS256', { iss: ISS.slice(0, -1) }), 'iss differs by a slash');
  // A key embedded in the token's own header is never used.
  await rejects(c, await sign(attacker.privateKey, 'RS256', {}, { jwk: attacker.jwk }), 'embedded jwk');
  await rejects(c, await sign(attacker.privateKey, 'RS256', {}, { kid: 'rsa-1' }), 'right kid, wrong key');
});

test('aud must contain one of the audiences', async () => {
  const c = conf();
  await accepts(c, await sign(rsa.privateKey, 'RS256', { aud: ['billing', AUD] }), 'aud list');
  await rejects(c, await sign(rsa.privateKey, 'RS256', { aud: 'billing' }), 'wrong aud');
  await rejects(c, await sign(rsa.privateKey, 'RS256', { aud: undefined }), 'no aud');
  // Without audiences configured, aud is not checked.
  await accepts(conf({}, { audiences: undefined }), await sign(rsa.privateKey, 'RS256', { aud: 'billing' }), 'no audiences');
});

test('exp, nbf and iat are checked with the clock skew, to the second', async (t: TestContext) => {
  const now = 1_800_000_000;
  const c = conf();
  const c0 = conf({}, { clock_skew_seconds: 0 });
  // Tokens are signed with the real clock (jose's iat default is not used: every claim is explicit).
  const at = (claims: Record<string, unknown>) => sign(rsa.privateKey, 'RS256', { iat: now, exp: now + 3600, ...claims });
  const tokens = {
    expiredWithinSkew: await at({ exp: now - 59 }),
    expiredAtSkew: await at({ exp: now - 60 }),
    expiredNow: await at({ exp: now }),
    nbfWithinSkew: await at({ nbf: now + 60 }),
    nbfBeyondSkew: await at({ nbf: now + 61 }),
    iatWithinSkew: await at({ iat: now + 60 }),
    iatBeyondSkew: await at({ iat: now + 61 }),
    expString: await at({ exp: String(now + 3600) }),
    noExp: await at({ exp: undefined }),
    oldIat: await at({ iat: now - 600 - 60 }),
    tooOldIat: await at({ iat: now - 600 - 61 }),
    noIat: await at({ iat: undefined }),
  };
  t.mock.timers.enable({ apis: ['Date'], now: now * 1000 + 999 });
  await accepts(c, tokens.expiredWithinSkew, 'exp 59 s ago, skew 60');
  await rejects(c, tokens.expiredAtSkew, 'exp 60 s ago, skew 60');
  await rejects(c0, tokens.expiredNow, 'exp now, no skew');
  await accepts(c, tokens.nbfWithinSkew, 'nbf in 60 s');
  await rejects(c, tokens.nbfBeyondSkew, 'nbf in 61 s');
  await accepts(c, tokens.iatWithinSkew, 'iat in 60 s');
  await rejects(c, tokens.iatBeyondSkew, 'iat in 61 s');
  await rejects(c, tokens.expString, 'exp not a number');
  await rejects(c, tokens.noExp, 'exp is required by default');
  await accepts(conf({}, { required_claims: [] }), tokens.noExp, 'no exp, and none required');
  const aged = conf({}, { max_token_age_seconds: 600 });
  await accepts(aged, tokens.oldIat, 'iat max age + skew ago');
  await rejects(aged, tokens.tooOldIat, 'iat older than max age + skew');
  await rejects(aged, tokens.noIat, 'max age needs iat');
});

test('kid selects the key; without kid every key of the algorithm is tried', async () => {
  const c = conf({}, { keys: [rsa.jwk, rsa2.jwk] });
  await accepts(c, await sign(rsa2.privateKey, 'RS256', {}, { kid: 'rsa-2' }), 'kid rsa-2');
  await accepts(c, await sign(rsa2.privateKey, 'RS256'), 'no kid');
  await rejects(c, await sign(rsa2.privateKey, 'RS256', {}, { kid: 'rsa-1' }), 'kid names the other key');
  await rejects(c, await sign(rsa2.privateKey, 'RS256', {}, { kid: 'rsa-9' }), 'unknown kid');
  await rejects(c, await sign(rsa2.privateKey, 'RS256', {}, { kid: 7 }), 'kid not a string');
  // An algorithm outside the allow-list is refused even with a key that could verify it.
  const rsaKeyObject = await privateKeyObject(rsa);
  await rejects(conf({}, { keys: [rsa.jwk] }), await sign(rsaKeyObject as never, 'RS512'), 'RS512 not allowed');
  const ps256 = await sign(rsaKeyObject as never, 'PS256');
  await accepts(conf({}, { algorithms: ['RS256', 'PS256'], keys: [rsa.jwk] }), ps256, 'an RSA key verifies PS256 when allowed');
  await rejects(conf({}, { algorithms: ['RS256', 'PS256'], keys: [{ ...rsa.jwk, alg: 'RS256' }] }), ps256, 'JWK alg narrows the key');
});

test('route scopes: all are required, from scope or scp; missing ones answer 403', async () => {
  const c = conf({ scopes: ['orders:read', 'orders:write'] });
  await accepts(c, await sign(rsa.privateKey, 'RS256', { scope: 'profile orders:write orders:read' }), 'scope string');
  await accepts(c, await sign(rsa.privateKey, 'RS256', { scp: ['orders:read', 'orders:write'] }), 'scp list');
  await accepts(c, await sign(rsa.privateKey, 'RS256', { scope: 'orders:read', scp: 'orders:write' }), 'both');
  for (const claims of [{ scope: 'orders:read' }, { scp: ['orders:read'] }, {}, { scope: 'orders:read,orders:write' }]) {
    const { result, ctx, up } = await run(c, { headers: { ...bearer(await sign(rsa.privateKey, 'RS256', claims)), 'x-consumer-username': 'admin' } });
    assert.deepEqual(result, { problem: 'forbidden', headers: { 'www-authenticate': 'Bearer realm="portcullis", error="insufficient_scope", scope="orders:read orders:write"' } }, JSON.stringify(claims));
    assert.equal(ctx.consumer, undefined);
    assert.deepEqual(consumerHeaders(up.headers), {});
  }
  assert.deepEqual([...grantedScopes({ scope: ' a  b ', scp: ['c', 1, ''] })], ['a', 'b', 'c']);
});

test('the consumer is found by name or custom_id from the configured claim', async () => {
  await accepts(conf({}, { consumer_claim: 'client_id' }), await sign(rsa.privateKey, 'RS256', { sub: 'nobody', client_id: 'acme' }), 'by name');
  await accepts(conf({}, { consumer_by: 'custom_id' }), await sign(rsa.privateKey, 'RS256', { sub: 'crm-42' }), 'by custom_id');
  await rejects(conf({}, { consumer_by: 'custom_id' }), await sign(rsa.privateKey, 'RS256', { sub: 'acme' }), 'a name is not a custom_id');
  await rejects(conf(), await sign(rsa.privateKey, 'RS256', { sub: 'ghost' }), 'unknown consumer');
  await rejects(conf(), await sign(rsa.privateKey, 'RS256', { sub: undefined }), 'no sub');
  await rejects(conf(), await sign(rsa.privateKey, 'RS256', { sub: ['acme'] as never }), 'sub not a string');
  await rejects(conf({}, { consumer_claim: 'constructor' }), await sign(rsa.privateKey, 'RS256'), 'inherited members are no claims');
});

test('anonymous: no token, an invalid one or an unknown consumer go on as the anonymous consumer', async () => {
  const c = conf({ anonymous: 'guest' });
  for (const headers of [{}, bearer('not.a.token'), bearer(await sign(rsa.privateKey, 'RS256', { sub: 'ghost' })), bearer(await sign(attacker.privateKey, 'RS256'))]) {
    const { result, ctx, up } = await run(c, { headers });
    assert.equal(result, undefined);
    assert.equal(ctx.consumer?.username, 'guest');
    assert.equal(up.headers['x-anonymous-consumer'], 'true');
    assert.equal(ctx.vars.jwt, undefined);
  }
  // An anonymous consumer that does not exist is no fallback.
  assert.deepEqual((await run(conf({ anonymous: 'nobody' }))).result, UNAUTHORIZED);
});

test('an earlier non-anonymous consumer wins; spoofed identity headers never survive a failure', async () => {
  const spoofed = { 'x-consumer-username': 'admin', 'x-consumer-id': 'admin', 'x-anonymous-consumer': 'false' };
  const pre = await run(conf(), { headers: { ...bearer('garbage'), ...spoofed } }, (ctx) => setConsumer(ctx, identities.consumer('guest')!, 'cred-guest'));
  assert.equal(pre.result, undefined);
  assert.equal(pre.ctx.consumer?.username, 'guest');
  assert.equal(pre.up.headers.authorization, undefined, 'the token is hidden even then');
  const failed = await run(conf(), { headers: { ...bearer('garbage'), ...spoofed } });
  assert.deepEqual(failed.result, UNAUTHORIZED);
  assert.deepEqual(consumerHeaders(failed.up.headers), {});
});

test('tokens are read from headers, query parameters and cookies, and hidden from the upstream', async () => {
  const token = await sign(rsa.privateKey, 'RS256');
  const c = conf({ header_names: ['authorization', 'X-JWT'], query_names: ['access_token'], cookie_names: ['jwt'] });
  const viaHeader = await accepts(c, token, 'custom header, bare', { 'x-jwt': token });
  assert.equal(viaHeader.up.headers['x-jwt'], undefined);
  await accepts(c, token, 'custom header, Bearer', { 'x-jwt': `Bearer ${token}` });
  const viaQuery = await run(c, { query: `?a=1&access_token=${token}&b=%2F` });
  assert.equal(viaQuery.ctx.consumer?.username, 'acme');
  assert.equal(viaQuery.up.query, '?a=1&b=%2F');
  const viaCookie = await accepts(c, token, 'cookie', { cookie: `theme=dark; jwt=${token}; lang=en` });
  assert.equal(viaCookie.up.headers.cookie, 'theme=dark; lang=en');
  const onlyCookie = await accepts(c, token, 'only cookie', { cookie: `jwt="${token}"` });
  assert.equal(onlyCookie.up.headers.cookie, undefined);
  // Every place is cleared, not only the one used.
  const everywhere = await run(c, { headers: { ...bearer(token), 'x-jwt': 'other', cookie: 'jwt=other' }, query: '?access_token=other' });
  assert.equal(everywhere.ctx.consumer?.username, 'acme');
  assert.deepEqual([everywhere.up.headers.authorization, everywhere.up.headers['x-jwt'], everywhere.up.headers.cookie, everywhere.up.query], [undefined, undefined, undefined, '']);
  // hide_credentials: false keeps it; another scheme in Authorization is not ours to remove.
  assert.equal((await accepts(conf({ hide_credentials: false }), token, 'kept')).up.headers.authorization, `Bearer ${token}`);
  const basic = await run(conf(), { headers: { authorization: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' } });
  assert.deepEqual(basic.result, UNAUTHORIZED);
  assert.equal(basic.up.headers.authorization, 'Basic YWxhZGRpbjpvcGVuc2VzYW1l');
  // Query parameters and cookies are only read when configured.
  await rejects(conf(), token, 'query not configured', {});
  assert.deepEqual((await run(conf(), { query: `?access_token=${token}` })).result, UNAUTHORIZED);
});

test('malformed and oversized tokens answer the same 401, and no token is ever logged', async () => {
  const c = conf();
  const good = await sign(rsa.privateKey, 'RS256');
  const [h, p, s] = good.split('.') as [string, string, string];
  const rsaKeyObject = await privateKeyObject(rsa);
  const payload = { iss: ISS, sub: 'acme', aud: AUD, exp: Math.floor(Date.now() / 1000) + 60 };
  await accepts(c, signRaw({ alg: 'RS256' }, b64(payload), rsaKeyObject), 'signRaw itself makes valid tokens');
  const big = await sign(rsa.privateKey, 'RS256', { pad: 'x'.repeat(8192) });
  await accepts(conf(), await sign(rsa.privateKey, 'RS256', { pad: 'x'.repeat(5000) }), 'under the size cap');
  const MALFORMED = 'malformed token';
  const bad: [string, string, string | undefined][] = [
    ['two parts', `${h}.${p}`, MALFORMED],
    ['four parts', `${good}.${s}`, MALFORMED],
    ['bad base64', `${h}.${p}!.${s}`, MALFORMED],
    ['padded base64', `${h}=.${p}.${s}`, MALFORMED],
    ['header not JSON', `${b64('{"alg":"RS256"')}.${p}.${s}`, MALFORMED],
    ['payload not JSON', `${h}.${b64('not json')}.${s}`, MALFORMED],
    ['payload a JSON array', `${h}.${b64([1, 2])}.${s}`, MALFORMED],
    ['header a JSON string', `${b64('"RS256"')}.${p}.${s}`, MALFORMED],
    ['signature of another token', `${h}.${b64({ iss: ISS, sub: 'acme', aud: AUD })}.${s}`, 'bad signature'],
    ['unknown crit header', signRaw({ alg: 'RS256', crit: ['x-unknown'], 'x-unknown': true }, b64(payload), rsaKeyObject), 'ERR_JOSE_NOT_SUPPORTED'],
    ['unencoded payload (b64 false)', signRaw({ alg: 'RS256', crit: ['b64'], b64: false }, JSON.stringify(payload), rsaKeyObject), MALFORMED],
    ['oversized', big, 'token too large'],
    ['empty bearer', '', undefined],
  ];
  for (const [what, token, reason] of bad) {
    const { result, ctx, logged } = await run(c, { headers: bearer(token) });
    assert.deepEqual(result, UNAUTHORIZED, what);
    assert.equal(ctx.consumer, undefined, what);
    // The reason is logged (at debug) for operators; the token never is.
    assert.deepEqual(logged.map((l) => (l.obj as { reason?: string }).reason), reason === undefined ? [] : [reason], what);
    const text = JSON.stringify(logged);
    if (token.length > 10) assert.ok(!text.includes(token) && !text.includes(token.split('.')[2] ?? '~'), `${what}: token logged`);
  }
});

test('jwt with key-auth on one route: either credential authenticates (any of these)', async () => {
  const config = checkConfig({
    services: [{ name: 's', targets: [{ url: 'http://127.0.0.1:9' }] }],
    routes: [{ name: 'r', service: 's', paths: ['/'], plugins: [{ name: 'key-auth', config: {} }, { name: 'jwt', config: { issuers: [issuer()] } }] }],
    consumers: [{ name: 'acme' }, { name: 'bob' }],
  });
  const snap = compileSnapshot({ ...config, credentials: [{ id: 'k1', consumer: 'bob', type: 'key-auth', lookup: apiKeyLookup('pk_live_bob-key'), secret_hash: null, expires_at: null, revoked_at: null }] }, BUNDLED_CATALOG);
  const access = async (headers: HeaderMap) => {
    const ctx = fakeContext({ headers, identities: snap.identities });
    const result = await runPhase(snap.routes[0]!.chains.access, ctx) as PluginResponse | undefined;
    return { result, ctx };
  };
  assert.deepEqual(snap.routes[0]!.chains.access.map((s) => s.name), ['jwt|key-auth']);
  assert.equal((await access(bearer(await sign(rsa.privateKey, 'RS256')))).ctx.consumer?.username, 'acme');
  assert.equal((await access({ 'x-api-key': 'pk_live_bob-key' })).ctx.consumer?.username, 'bob');
  assert.deepEqual((await access({})).result, UNAUTHORIZED, 'the first failure (jwt’s) is the answer');
});

// RFC 7515 Appendix A: the specification's own example tokens, verified with its example keys.
// Both carry iss "joe" and exp 1300819380 (2011-03-22T18:43:00Z).
const RFC7515 = {
  hs256: {
    token: 'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
    issuer: { issuer: 'joe', algorithms: ['HS256'], keys: [{ kty: 'oct', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow' }] },
  },
  es256: {
    token: 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q',
    issuer: { issuer: 'joe', algorithms: ['ES256'], keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' }] },
  },
};

test('RFC 7515 A.1 (HS256) and A.3 (ES256) example tokens: valid before exp, refused after it or with one bit changed', async () => {
  const beforeExp = Date.parse('2011-03-22T18:00:00Z');
  for (const [name, v] of Object.entries(RFC7515)) {
    const c = compile({ issuers: [v.issuer] });
    const ok = await verifyToken(v.token, c.issuers, beforeExp);
    assert.ok(ok.ok, `${name}: ${ok.ok ? '' : ok.reason}`);
    assert.equal(ok.claims['http://example.com/is_root'], true);
    assert.deepEqual(await verifyToken(v.token, c.issuers, Date.parse('2011-03-22T18:45:00Z')), { ok: false, reason: 'expired (exp)' }, `${name}: after exp + skew`);
    const [h, p, sig] = v.token.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    assert.equal((await verifyToken(flipped, c.issuers, beforeExp)).ok, false, `${name}: a changed signature`);
    const otherPayload = Buffer.from(p, 'base64url').toString().replace('true', 'false');
    assert.equal((await verifyToken(`${h}.${Buffer.from(otherPayload).toString('base64url')}.${sig}`, c.issuers, beforeExp)).ok, false, `${name}: a changed payload`);
  }
  // The HS256 example token, offered to an issuer that expects RS256 with a public key, is refused.
  assert.equal((await verifyToken(RFC7515.hs256.token, compile({ issuers: [{ issuer: 'joe', algorithms: ['RS256'], keys: [rsa.jwk] }] }).issuers, beforeExp)).ok, false);
});

test('kid values built to attack lookups (paths, SQL, NUL, oversized) are just unknown kids: 401', async () => {
  const c = conf({}, { keys: [rsa.jwk] });
  const kids = ['../../../../etc/passwd', '/dev/null', "' OR '1'='1' --", '"; DROP TABLE credentials; --', 'rsa-1\u0000', 'rsa-1/../rsa-1', '%2e%2e%2f', 'x'.repeat(4096), '__proto__', 'constructor'];
  for (const kid of kids) {
    const token = await sign(rsa.privateKey, 'RS256', {}, { kid });
    await rejects(c, token, `kid ${JSON.stringify(kid.slice(0, 40))}`);
  }
  await accepts(c, await sign(rsa.privateKey, 'RS256', {}, { kid: 'rsa-1' }), 'the real kid still works');
});
