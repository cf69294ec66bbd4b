// Key rotation: a new key at once, the old one working until the overlap ends; both in the audit log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileIdentities, type CredentialRecord } from '../../src/core/identity/directory.ts';
import { create, withHarness, type Json } from './helpers.ts';

test('rotate: a new key shown once; the old one expires after overlap_seconds; audited', () => withHarness(async (h) => {
  await create(h, 'consumers', { name: 'acme' });
  const first = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth' } });
  assert.equal(first.status, 201);
  const oldKey = String(first.body.key);
  h.secret(oldKey, first.index);
  const before = Date.now();
  const rotated = await h.call('POST', `/admin/credentials/${String(first.body.id)}/rotate`, { as: 'editor', body: { overlap_seconds: 3600 } });
  assert.equal(rotated.status, 201, rotated.text);
  const newKey = String(rotated.body.key);
  h.secret(newKey, rotated.index);
  assert.match(newKey, /^pk_live_/);
  assert.notEqual(newKey, oldKey);
  assert.equal(rotated.body.rotated_from, first.body.id);
  assert.equal(rotated.body.consumer, 'acme');
  const oldExpiry = Date.parse(String(rotated.body.old_expires_at));
  assert.ok(oldExpiry >= before + 3600_000 - 5000 && oldExpiry <= Date.now() + 3600_000 + 5000, 'the old key ends an hour from now');
  const old = await h.call('GET', `/admin/credentials/${String(first.body.id)}`);
  assert.equal(old.body.expires_at, rotated.body.old_expires_at);
  assert.equal(old.body.key, undefined);

  // What the gateway compiles from the store: both keys work now, only the new one after the overlap.
  const rows = await h.store.read().allCredentials();
  const records: CredentialRecord[] = rows.map((r) => ({ id: r.id, consumer: r.consumer, type: r.type, lookup: r.lookup, secret_hash: r.secret_hash, expires_at: r.expires_at, revoked_at: r.revoked_at }));
  const dir = compileIdentities([{ name: 'acme', groups: [] }], records);
  assert.equal(dir.apiKey(oldKey, Date.now())?.consumer.username, 'acme');
  assert.equal(dir.apiKey(newKey, Date.now())?.consumer.username, 'acme');
  assert.equal(dir.apiKey(oldKey, oldExpiry + 1), undefined);
  assert.equal(dir.apiKey(newKey, oldExpiry + 1)?.credentialId, rotated.body.id);

  // Defaults: no body → a day's overlap; 0 ends the old key now; an earlier expiry is kept.
  const again = await h.call('POST', `/admin/credentials/${String(rotated.body.id)}/rotate`, { as: 'editor' });
  assert.equal(again.status, 201, again.text);
  h.secret(String(again.body.key), again.index);
  assert.ok(Math.abs(Date.parse(String(again.body.old_expires_at)) - (Date.now() + 86_400_000)) < 10_000);
  const now = await h.call('POST', `/admin/credentials/${String(again.body.id)}/rotate`, { as: 'editor', body: { overlap_seconds: 0 } });
  h.secret(String(now.body.key), now.index);
  assert.ok(Date.parse(String(now.body.old_expires_at)) <= Date.now());
  const earlier = await h.call('POST', `/admin/credentials/${String(first.body.id)}/rotate`, { as: 'editor', body: { overlap_seconds: 30 * 86400 } });
  h.secret(String(earlier.body.key), earlier.index);
  assert.equal(earlier.body.old_expires_at, rotated.body.old_expires_at, 'an earlier expiry is not extended');

  const audit = (await h.call('GET', '/admin/audit?entity=credential&limit=100')).body.data as Json[];
  assert.ok(audit.filter((a) => a.action === 'create').length >= 5);
  assert.ok(audit.some((a) => a.action === 'update' && a.entity_id === first.body.id));
}));

test('rotate: only unrevoked key-auth credentials; viewer may not; bad overlap → 400', () => withHarness(async (h) => {
  await create(h, 'consumers', { name: 'acme' });
  const basic = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'basic-auth', username: 'acme-app', password: 'correct horse battery' } });
  h.secret('correct horse battery');
  assert.equal((await h.call('POST', `/admin/credentials/${String(basic.body.id)}/rotate`, { as: 'editor' })).status, 400);
  const key = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth' } });
  h.secret(String(key.body.key), key.index);
  assert.equal((await h.call('POST', `/admin/credentials/${String(key.body.id)}/rotate`, { as: 'viewer' })).status, 403);
  assert.equal((await h.call('POST', `/admin/credentials/${String(key.body.id)}/rotate`, { as: 'editor', body: { overlap_seconds: -1 } })).status, 400);
  assert.equal((await h.call('POST', `/admin/credentials/${String(key.body.id)}/rotate`, { as: 'editor', headers: { 'if-match': '"v9"' } })).status, 412);
  await h.call('PATCH', `/admin/credentials/${String(key.body.id)}`, { as: 'editor', body: { revoked: true } });
  assert.equal((await h.call('POST', `/admin/credentials/${String(key.body.id)}/rotate`, { as: 'editor' })).status, 400);
  assert.equal((await h.call('POST', '/admin/credentials/01a20000-0000-7000-8000-000000000000/rotate', { as: 'editor' })).status, 404);
}));

test('oauth2 credentials: a generated client id and secret, the secret shown once and stored as SHA-256', () => withHarness(async (h) => {
  await create(h, 'consumers', { name: 'acme' });
  const r = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'oauth2', client_name: 'billing sync' } });
  assert.equal(r.status, 201, r.text);
  const clientId = String(r.body.client_id);
  const secret = String(r.body.client_secret);
  h.secret(secret, r.index);
  assert.match(clientId, /^pc_client_[A-Za-z0-9_-]{16}$/);
  assert.match(secret, /^pcs_[A-Za-z0-9_-]{43}$/);
  assert.equal(r.body.display, clientId);
  assert.equal(r.body.client_name, 'billing sync');
  const read = await h.call('GET', `/admin/credentials/${String(r.body.id)}`);
  assert.equal(read.body.client_secret, undefined);
  const rows = await h.store.read().allCredentials();
  const row = rows.find((c) => c.id === r.body.id)!;
  assert.equal(row.lookup, clientId);
  const { apiKeyLookup } = await import('../../src/core/identity/secrets.ts');
  assert.equal(row.secret_hash, apiKeyLookup(secret));
  const dir = compileIdentities([{ name: 'acme', groups: [] }], rows.map((c) => ({ id: c.id, consumer: c.consumer, type: c.type, lookup: c.lookup, secret_hash: c.secret_hash, expires_at: c.expires_at, revoked_at: c.revoked_at })));
  assert.equal(dir.oauthClient(clientId, Date.now())?.consumer.username, 'acme');
  assert.equal(dir.apiKey(secret, Date.now()), undefined, 'a client secret is not an API key');
  for (const body of [{ consumer: 'acme', type: 'oauth2', key: 'x'.repeat(32) }, { consumer: 'acme', type: 'oauth2', password: 'password1' }, { consumer: 'acme', type: 'key-auth', client_name: 'x' }]) {
    assert.equal((await h.call('POST', '/admin/credentials', { as: 'editor', body })).status, 400, JSON.stringify(body));
  }
}));
