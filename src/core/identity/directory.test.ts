import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { EMPTY_DIRECTORY, compileIdentities, type ConsumerRecord, type CredentialRecord } from './directory.ts';
import { apiKeyLookup } from './secrets.ts';

const NOW = Date.parse('2030-06-01T12:00:00.000Z');

const consumers: ConsumerRecord[] = [
  { name: 'acme', custom_id: 'crm-42', groups: ['partners', 'gold'] },
  { name: 'bob', groups: [] },
];

function keyCred(id: string, consumer: string, key: string, over: Partial<CredentialRecord> = {}): CredentialRecord {
  return { id, consumer, type: 'key-auth', lookup: apiKeyLookup(key), secret_hash: null, expires_at: null, revoked_at: null, ...over };
}

test('the key lookup is the SHA-256 hex digest of the UTF-8 text', () => {
  assert.equal(apiKeyLookup('pk_live_abc'), createHash('sha256').update('pk_live_abc', 'utf8').digest('hex'));
  assert.equal(apiKeyLookup('ключ'), createHash('sha256').update(Buffer.from('ключ', 'utf8')).digest('hex'));
});

test('an API key is found by its hash and names its consumer and credential', () => {
  const dir = compileIdentities(consumers, [keyCred('c1', 'acme', 'key-one'), keyCred('c2', 'bob', 'key-two')]);
  const m = dir.apiKey('key-one', NOW);
  assert.equal(m?.credentialId, 'c1');
  assert.equal(m?.consumer.username, 'acme');
  assert.equal(m?.consumer.id, 'acme');
  assert.equal(m?.secretHash, null);
  assert.equal(dir.apiKey('key-two', NOW)?.consumer.username, 'bob');
  assert.equal(dir.size, 2);
});

test('an unknown key, the hash itself, or a near miss finds nothing', () => {
  const dir = compileIdentities(consumers, [keyCred('c1', 'acme', 'key-one')]);
  assert.equal(dir.apiKey('key-two', NOW), undefined);
  assert.equal(dir.apiKey('', NOW), undefined);
  assert.equal(dir.apiKey('key-one ', NOW), undefined);
  assert.equal(dir.apiKey('KEY-ONE', NOW), undefined);
  // The stored lookup value is not itself a key.
  assert.equal(dir.apiKey(apiKeyLookup('key-one'), NOW), undefined);
  assert.equal(EMPTY_DIRECTORY.apiKey('key-one', NOW), undefined);
  assert.equal(EMPTY_DIRECTORY.size, 0);
});

test('expiry: usable strictly before expires_at; at exactly expires_at and after, not', () => {
  const at = '2030-06-01T12:00:00.000Z';
  const dir = compileIdentities(consumers, [keyCred('c1', 'acme', 'k', { expires_at: at })]);
  assert.equal(dir.apiKey('k', NOW - 1)?.credentialId, 'c1');
  assert.equal(dir.apiKey('k', NOW), undefined, 'expires exactly now: expired');
  assert.equal(dir.apiKey('k', NOW + 1), undefined);
  // The same directory answers by the time it is asked about (no recompilation needed).
  assert.equal(dir.apiKey('k', NOW - 60_000)?.credentialId, 'c1');
  // No expiry: usable at any time.
  const forever = compileIdentities(consumers, [keyCred('c2', 'acme', 'k2')]);
  assert.equal(forever.apiKey('k2', Number.MAX_SAFE_INTEGER)?.credentialId, 'c2');
});

test('revoked credentials are left out, whatever their expiry', () => {
  const dir = compileIdentities(consumers, [
    keyCred('c1', 'acme', 'revoked', { revoked_at: '2030-01-01T00:00:00.000Z' }),
    keyCred('c2', 'acme', 'revoked-later', { revoked_at: '2099-01-01T00:00:00.000Z' }),
    keyCred('c3', 'acme', 'live'),
  ]);
  assert.equal(dir.apiKey('revoked', NOW), undefined);
  assert.equal(dir.apiKey('revoked-later', NOW), undefined, 'revoked_at is a fact, not a schedule');
  assert.equal(dir.apiKey('live', NOW)?.credentialId, 'c3');
  assert.equal(dir.size, 1);
});

test('credentials of a consumer that does not exist are left out', () => {
  const dir = compileIdentities(consumers, [keyCred('c1', 'ghost', 'k1'), { id: 'c2', consumer: 'ghost', type: 'basic-auth', lookup: 'ghost-app', secret_hash: 'scrypt$x', expires_at: null, revoked_at: null }]);
  assert.equal(dir.apiKey('k1', NOW), undefined);
  assert.equal(dir.basicAuth('ghost-app', NOW), undefined);
  assert.equal(dir.size, 0);
});

test('basic-auth credentials are found by username, with the password hash for the caller to check', () => {
  const dir = compileIdentities(consumers, [
    { id: 'b1', consumer: 'acme', type: 'basic-auth', lookup: 'acme-app', secret_hash: 'scrypt$16384$8$1$salt$hash', expires_at: null, revoked_at: null },
    { id: 'b2', consumer: 'bob', type: 'basic-auth', lookup: 'bob-app', secret_hash: 'scrypt$h2', expires_at: '2030-06-01T12:00:00.000Z', revoked_at: null },
    { id: 'b3', consumer: 'bob', type: 'basic-auth', lookup: 'bob-old', secret_hash: 'scrypt$h3', expires_at: null, revoked_at: '2030-01-01T00:00:00.000Z' },
  ]);
  const m = dir.basicAuth('acme-app', NOW);
  assert.equal(m?.credentialId, 'b1');
  assert.equal(m?.consumer.username, 'acme');
  assert.equal(m?.secretHash, 'scrypt$16384$8$1$salt$hash');
  assert.equal(dir.basicAuth('ACME-APP', NOW), undefined);
  assert.equal(dir.basicAuth('bob-app', NOW - 1)?.credentialId, 'b2');
  assert.equal(dir.basicAuth('bob-app', NOW), undefined);
  assert.equal(dir.basicAuth('bob-old', NOW), undefined);
  // Key and username namespaces are separate: a username is not an API key and vice versa.
  assert.equal(dir.apiKey('acme-app', NOW), undefined);
  const keys = compileIdentities(consumers, [keyCred('k1', 'acme', 'acme-app')]);
  assert.equal(keys.basicAuth(apiKeyLookup('acme-app'), NOW), undefined);
  assert.equal(keys.basicAuth('acme-app', NOW), undefined);
});

test('each credential type is found only by its own lookup; unknown types are ignored', () => {
  const dir = compileIdentities(consumers, [
    { ...keyCred('o1', 'acme', 'k'), type: 'oauth2', lookup: 'pc_client_1', secret_hash: 'h' },
    { ...keyCred('x1', 'acme', 'k2'), type: 'hmac-auth' },
  ]);
  assert.equal(dir.apiKey('k', NOW), undefined);
  assert.equal(dir.apiKey('k2', NOW), undefined);
  assert.equal(dir.basicAuth('pc_client_1', NOW), undefined);
  assert.equal(dir.oauthClient('pc_client_1', NOW)?.credentialId, 'o1');
  assert.equal(dir.oauthClient('pc_client_1', NOW)?.secretHash, 'h');
  assert.equal(dir.size, 1);
});

test('consumer(name): id, username, custom_id and groups; unknown names find nothing', () => {
  const dir = compileIdentities(consumers, []);
  assert.deepEqual(dir.consumer('acme'), { id: 'acme', username: 'acme', customId: 'crm-42', groups: ['partners', 'gold'] });
  const bob = dir.consumer('bob');
  assert.deepEqual(bob, { id: 'bob', username: 'bob', groups: [] });
  assert.ok(bob !== undefined && !('customId' in bob), 'no customId key when there is no custom_id');
  assert.equal(dir.consumer('ghost'), undefined);
  assert.equal(dir.consumer('ACME'), undefined);
  // The consumer of a match is the same object as consumer(name).
  const withKey = compileIdentities(consumers, [keyCred('c1', 'acme', 'k')]);
  assert.equal(withKey.apiKey('k', NOW)?.consumer, withKey.consumer('acme'));
});

test('consumers, their groups and matches are frozen, and copies of the input', () => {
  const groups = ['partners'];
  const input: ConsumerRecord[] = [{ name: 'acme', groups }];
  const dir = compileIdentities(input, [keyCred('c1', 'acme', 'k')]);
  const acme = dir.consumer('acme')!;
  assert.ok(Object.isFrozen(acme));
  assert.ok(Object.isFrozen(acme.groups));
  const match = dir.apiKey('k', NOW)!;
  assert.ok(Object.isFrozen(match));
  assert.throws(() => { (acme.groups as string[]).push('admins'); }, TypeError);
  assert.throws(() => { (acme as { username?: string }).username = 'mallory'; }, TypeError);
  assert.throws(() => { (match as { credentialId: string }).credentialId = 'other'; }, TypeError);
  // Changing the input afterwards does not change the compiled directory.
  groups.push('admins');
  assert.deepEqual(dir.consumer('acme')?.groups, ['partners']);
});
