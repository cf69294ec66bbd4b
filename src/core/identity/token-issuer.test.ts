import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT, importJWK } from 'jose';
import { compileTokenIssuer, generateSigningKey, SIGNING_ALGORITHMS, type SigningKeyMaterial } from './token-issuer.ts';
import { masterKeyFingerprint, seal, SealError, unseal } from './sealed.ts';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const SETTINGS = { enabled: true, issuer: 'https://api.example.com', path: '/oauth2', algorithm: 'ES256' as const, token_ttl_seconds: 600, key_rotation_days: 30, scopes: [] };

async function key(alg: SigningKeyMaterial['alg'] = 'ES256', over: Partial<SigningKeyMaterial> = {}, withPrivate = true): Promise<SigningKeyMaterial> {
  const k = await generateSigningKey(alg);
  return { kid: k.kid, alg, public_jwk: k.publicJwk, ...(withPrivate ? { private_jwk: k.privateJwk } : {}), sign_from: iso(NOW - 3600_000), sign_until: iso(NOW + 86400_000), publish_until: iso(NOW + 2 * 86400_000), ...over };
}

test('issues RFC 9068 access tokens with every algorithm, and verifies them', async () => {
  for (const alg of SIGNING_ALGORITHMS) {
    const issuer = compileTokenIssuer(SETTINGS, [await key(alg)], [])!;
    const issued = (await issuer.issue('pc_client_1', ['labels:write', 'tracking:read'], NOW))!;
    assert.equal(issued.expiresIn, 600);
    const header = decodeProtectedHeader(issued.accessToken);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, alg);
    const claims = decodeJwt(issued.accessToken);
    assert.deepEqual({ iss: claims.iss, sub: claims.sub, aud: claims.aud, client_id: claims.client_id, scope: claims.scope, exp: claims.exp! - claims.iat! },
      { iss: 'https://api.example.com', sub: 'pc_client_1', aud: 'https://api.example.com', client_id: 'pc_client_1', scope: 'labels:write tracking:read', exp: 600 });
    const verified = await issuer.verify(issued.accessToken, NOW + 1000);
    assert.ok(verified.ok, `${alg}: ${verified.ok ? '' : verified.reason}`);
    assert.equal(verified.claims.jti, issued.jti);
  }
});

test('the newest key whose time has come signs; keys not yet due only publish', async () => {
  const old = await key('ES256', { sign_from: iso(NOW - 10_000_000) });
  const current = await key('ES256', { sign_from: iso(NOW - 1000) });
  const next = await key('ES256', { sign_from: iso(NOW + 60_000) });
  const issuer = compileTokenIssuer(SETTINGS, [old, next, current], [])!;
  const issued = (await issuer.issue('c', [], NOW))!;
  assert.equal(decodeProtectedHeader(issued.accessToken).kid, current.kid);
  assert.deepEqual(issuer.jwks(NOW).map((j) => j.kid).sort(), [old.kid, current.kid, next.kid].sort());
  const later = (await issuer.issue('c', [], NOW + 61_000))!;
  assert.equal(decodeProtectedHeader(later.accessToken).kid, next.kid);
  // A JWKS entry names its algorithm and use, and never carries private members.
  for (const jwk of issuer.jwks(NOW)) {
    assert.equal(jwk.use, 'sig');
    assert.equal(jwk.d, undefined);
  }
});

test('tokens of a key no longer published, expired, revoked, tampered or foreign are refused', async () => {
  const k = await key();
  const issuer = compileTokenIssuer(SETTINGS, [k], [])!;
  const issued = (await issuer.issue('c', [], NOW))!;
  assert.equal((await issuer.verify(issued.accessToken, NOW + 601_000 + 30_000)).ok, false, 'expired');
  const unpublished = compileTokenIssuer(SETTINGS, [{ ...k, publish_until: iso(NOW) }], [])!;
  assert.deepEqual(await unpublished.verify(issued.accessToken, NOW + 1), { ok: false, reason: 'unknown kid' });
  const revoked = compileTokenIssuer(SETTINGS, [k], [{ jti: issued.jti, expires_at: iso(NOW + 600_000) }])!;
  assert.deepEqual(await revoked.verify(issued.accessToken, NOW + 1), { ok: false, reason: 'revoked' });
  const [h, p, s] = issued.accessToken.split('.') as [string, string, string];
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(issued.accessToken), client_id: 'other' })).toString('base64url')}.${s}`;
  assert.equal((await issuer.verify(tampered, NOW)).ok, false, 'tampered payload');
  assert.equal((await issuer.verify(`${h}.${p}.`, NOW)).ok, false, 'no signature');
  // Signed by someone else with the same kid: the signature does not verify.
  const forged = await new SignJWT(decodeJwt(issued.accessToken)).setProtectedHeader({ alg: 'ES256', kid: k.kid, typ: 'at+jwt' })
    .sign(await importJWK((await generateSigningKey('ES256')).privateJwk as Parameters<typeof importJWK>[0], 'ES256'));
  assert.equal((await issuer.verify(forged, NOW)).ok, false, 'forged');
  // Another issuer's setting (or audience) makes the same token foreign.
  const other = compileTokenIssuer({ ...SETTINGS, audience: 'https://other.example.com' }, [k], [])!;
  assert.equal((await other.verify(issued.accessToken, NOW)).ok, false, 'audience');
  // HS256 over the public key (algorithm confusion) and alg none never verify.
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: k.kid, typ: 'at+jwt' })).toString('base64url')}.${p}.`;
  assert.equal((await issuer.verify(none, NOW)).ok, false, 'alg none');
  const hs = await new SignJWT(decodeJwt(issued.accessToken)).setProtectedHeader({ alg: 'HS256', kid: k.kid, typ: 'at+jwt' }).sign(new TextEncoder().encode(JSON.stringify(k.public_jwk)));
  assert.equal((await issuer.verify(hs, NOW)).ok, false, 'HS256 with the public key');
});

test('a token must be typed at+jwt: an ID token or plain JWT from the same key is not an access token', async () => {
  const k = await key();
  const issuer = compileTokenIssuer(SETTINGS, [k], [])!;
  const plain = await new SignJWT({ client_id: 'c', jti: 'x' }).setProtectedHeader({ alg: 'ES256', kid: k.kid })
    .setIssuer(SETTINGS.issuer).setAudience(SETTINGS.issuer).setSubject('c').setIssuedAt(NOW / 1000).setExpirationTime(NOW / 1000 + 60)
    .sign(await importJWK(k.private_jwk as Parameters<typeof importJWK>[0], 'ES256'));
  assert.equal((await issuer.verify(plain, NOW)).ok, false);
});

test('without a private key (master key mismatch) nothing signs, but verification goes on', async () => {
  const k = await key();
  const signing = compileTokenIssuer(SETTINGS, [k], [])!;
  const issued = (await signing.issue('c', [], NOW))!;
  const verifyOnly = compileTokenIssuer(SETTINGS, [{ ...k, private_jwk: undefined }], [])!;
  assert.equal(await verifyOnly.issue('c', [], NOW), undefined);
  assert.ok((await verifyOnly.verify(issued.accessToken, NOW)).ok);
  assert.equal(compileTokenIssuer({ ...SETTINGS, enabled: false }, [k], []), undefined);
});

test('the metadata path carries the issuer\'s own path (RFC 8414 §3)', () => {
  assert.equal(compileTokenIssuer(SETTINGS, [], [])!.metadataPath, '/.well-known/oauth-authorization-server');
  assert.equal(compileTokenIssuer({ ...SETTINGS, issuer: 'https://example.com/auth/' }, [], [])!.metadataPath, '/.well-known/oauth-authorization-server/auth');
});

test('sealed secrets open only with the same master key and context', () => {
  const master = randomBytes(32);
  const sealed = seal(master, '{"d":"secret"}', 'kid-1');
  assert.ok(!sealed.includes('secret'));
  assert.equal(unseal(master, sealed, 'kid-1'), '{"d":"secret"}');
  assert.throws(() => unseal(randomBytes(32), sealed, 'kid-1'), SealError);
  assert.throws(() => unseal(master, sealed, 'kid-2'), SealError, 'bound to its row');
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  raw[raw.length - 1]! ^= 1;
  assert.throws(() => unseal(master, `v1.${raw.toString('base64url')}`, 'kid-1'), SealError, 'tampered');
  assert.notEqual(seal(master, 'x', 'c'), seal(master, 'x', 'c'), 'a fresh IV each time');
  assert.match(masterKeyFingerprint(master), /^[0-9a-f]{16}$/);
  assert.notEqual(masterKeyFingerprint(master), masterKeyFingerprint(randomBytes(32)));
});
