import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { masterKeyFingerprint } from '../core/identity/sealed.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/ports.ts';
import { currentKey, planKeys, PUBLISH_AHEAD_MS, ROTATE_AHEAD_MS, SigningKeys } from './signing-keys.ts';

const DAY = 86_400_000;
const SETTINGS = { enabled: true, issuer: 'https://x.test', path: '/oauth2', algorithm: 'ES256' as const, token_ttl_seconds: 3600, key_rotation_days: 30, scopes: [] };
const material = async (keys: SigningKeys, store: Store, now: number) => keys.open(await store.read().listSigningKeys(), await store.read().listRevokedTokens(), now);
const master = () => { const key = randomBytes(32); return { key, fingerprint: masterKeyFingerprint(key) }; };

test('plan: a first key at once; the next one ahead of time, published before it signs; algorithm changes rotate', () => {
  const now = Date.parse('2026-11-24T00:00:00Z');
  assert.deepEqual(planKeys([], SETTINGS, now), { create: { signFrom: now, reason: 'no signing key' } });
  const row = (signFrom: number, signUntil: number, alg = 'ES256') => ({ kid: String(signFrom), alg, public_jwk: '{}', private_sealed: '', sealed_with: '', created_at: '', sign_from: new Date(signFrom).toISOString(), sign_until: new Date(signUntil).toISOString(), publish_until: new Date(signUntil + DAY).toISOString() });
  const current = row(now - DAY, now + 10 * DAY);
  assert.deepEqual(planKeys([current], SETTINGS, now), {});
  const ending = row(now - DAY, now + ROTATE_AHEAD_MS - 1);
  assert.deepEqual(planKeys([ending], SETTINGS, now), { create: { signFrom: now + PUBLISH_AHEAD_MS, reason: 'scheduled rotation' } });
  assert.deepEqual(planKeys([ending, row(now + PUBLISH_AHEAD_MS, now + 30 * DAY)], SETTINGS, now), {}, 'the next key is on its way');
  assert.equal(planKeys([current], { ...SETTINGS, algorithm: 'EdDSA' }, now).create?.reason, 'algorithm changed to EdDSA');
  const retired = { ...row(now - 40 * DAY, now - 10 * DAY), publish_until: new Date(now).toISOString() };
  assert.equal(planKeys([retired], SETTINGS, now).create?.reason, 'no signing key', 'an unpublished key does not count');
  assert.equal(currentKey([current, row(now + 1000, now + DAY)], now), current);
  // Two nodes racing for the first key: the loser read its clock before the winner's key was made.
  assert.deepEqual(planKeys([row(now + 5, now + 30 * DAY)], SETTINGS, now), {}, 'a first key made a moment later by another node');
});

test('maintain: one key made, rotated on schedule, retired keys pruned; material opens with the right master key only', async () => {
  const store = await openStore('sqlite::memory:');
  const mk = master();
  const keys = new SigningKeys(store, mk);
  const t0 = Date.now();
  assert.equal((await keys.maintain(SETTINGS, t0)).length, 1);
  assert.deepEqual(await keys.maintain(SETTINGS, t0 + 1000), [], 'nothing to do');
  const [first] = await store.read().listSigningKeys();
  assert.equal(first!.sign_until, new Date(t0 + 30 * DAY).toISOString());
  assert.ok(!first!.private_sealed.includes('"d"'));
  // Close to the end of its time: the next key, published ahead.
  const later = t0 + 30 * DAY - ROTATE_AHEAD_MS + 1;
  assert.match((await keys.maintain(SETTINGS, later))[0]!, /scheduled rotation/);
  const both = await store.read().listSigningKeys();
  assert.equal(both.length, 2);
  const opened = await material(keys, store, later);
  assert.equal(opened.problem, undefined);
  assert.ok(opened.keys.every((k) => k.private_jwk !== undefined), 'the current and the next key can sign');
  const afterSwitch = await material(keys, store, later + PUBLISH_AHEAD_MS);
  assert.equal(afterSwitch.keys.filter((k) => k.private_jwk !== undefined).length, 1, 'a retired key only verifies');
  // Once its tokens have all expired, the old key goes.
  const gone = Date.parse(both[0]!.publish_until);
  await keys.maintain(SETTINGS, gone);
  assert.deepEqual((await store.read().listSigningKeys()).map((k) => k.kid), [both[1]!.kid]);
  const stranger = new SigningKeys(store, master());
  const foreign = await material(stranger, store, gone);
  assert.match(foreign.problem ?? '', /sealed with master key/);
  assert.ok(foreign.keys.every((k) => k.private_jwk === undefined));
  assert.deepEqual(await keys.maintain({ ...SETTINGS, enabled: false }, gone + 1), [], 'disabled: no keys made');
  await store.close();
});
