import { test } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import { REDACTED, SecretString, redactSecrets, secretPlaces, secretsIn, type SecretPlace } from './secret-fields.ts';
import { describeSecretPointer, openAt, resolveMarkers, sealAt, SecretOpenError, sealValue, openValue, isSealedValue, holdsSealed } from './plugin-secrets.ts';
import { ephemeralMasterKey, SealError } from '../identity/sealed.ts';
import { BUNDLED_CATALOG } from '../../plugins/index.ts';
import { documentSecretPlaces } from './plugin-secrets.ts';

const pointers = (places: readonly SecretPlace[]) => places.map((p) => p.pointer).sort();
const whole = (...list: string[]): SecretPlace[] => list.map((pointer) => ({ pointer, kind: true }));

const Schema = Type.Object({
  name: Type.String(),
  password: Type.Optional(SecretString()),
  nested: Type.Object({ token: SecretString(), plain: Type.String() }),
  list: Type.Array(SecretString()),
  keys: Type.Array(Type.Union([SecretString({}, 'unless-pem'), Type.Object({ kty: Type.String(), k: Type.Optional(SecretString()) })])),
  byName: Type.Record(Type.String(), Type.Object({ secret: SecretString() })),
});

const PEM = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----';

test('the walker finds every marked string: nested, arrays, unions, records; PEMs only where marked so', () => {
  const value = {
    name: 'n', password: 'p', nested: { token: 't', plain: 'x' }, list: ['a', 'b'],
    keys: ['hs-secret', PEM, { kty: 'oct', k: 'kk' }, { kty: 'RSA' }],
    byName: { 'a/b': { secret: 's' } },
  };
  assert.deepEqual(pointers(secretPlaces(Schema, value)), ['/byName/a~1b/secret', '/keys/0', '/keys/2/k', '/list/0', '/list/1', '/nested/token', '/password'].sort());
  assert.deepEqual(secretPlaces(Schema, { name: 'n', nested: { plain: 'x' }, list: [], keys: [], byName: {} }), []);
  const redacted = redactSecrets(Schema, value) as typeof value;
  assert.equal(redacted.password, REDACTED);
  assert.deepEqual(redacted.list, [REDACTED, REDACTED]);
  assert.equal(redacted.keys[1], PEM);
  assert.equal(redacted.nested.plain, 'x');
  assert.equal(value.password, 'p', 'the input is left alone');
  assert.equal(describeSecretPointer('/config/issuers/0/keys/2/k'), 'config.issuers[0].keys[2].k');
});

test('the bundled plugins mark their credentials, and the gateway settings the Redis password', () => {
  const doc = {
    gateway: { redis: { url: 'redis://:pw@redis.internal:6379' } },
    plugins: [{ name: 'oauth2-introspection', config: { introspection_url: 'https://idp/x', client_id: 'id', client_secret: 'cs' } }],
    routes: [{ name: 'r', plugins: [{ name: 'webhook-verify', config: { secrets: ['w1', 'w2'] } }, { name: 'jwt', config: { issuers: [{ issuer: 'i', algorithms: ['HS256'], keys: ['x'.repeat(32), PEM] }] } }] }],
    services: [{ name: 's', plugins: [{ name: 'soap-mediation', config: { ws_security: { username: 'u', password: 'pw' } } }] }],
  };
  assert.deepEqual(pointers(documentSecretPlaces(BUNDLED_CATALOG, doc)), [
    '/gateway/redis/url', '/plugins/0/config/client_secret', '/routes/0/plugins/0/config/secrets/0', '/routes/0/plugins/0/config/secrets/1',
    '/routes/0/plugins/1/config/issuers/0/keys/0', '/services/0/plugins/0/config/ws_security/password',
  ].sort());
});

test('seal → open round trip, bound to its place and its key', () => {
  const master = ephemeralMasterKey();
  const sealed = sealValue(master, 'hunter2', 'plugin:1:/config/secrets/0');
  assert.ok(isSealedValue(sealed));
  assert.ok(!sealed.includes('hunter2'));
  assert.equal(openValue(master, sealed, 'plugin:1:/config/secrets/0'), 'hunter2');
  assert.throws(() => openValue(master, sealed, 'plugin:2:/config/secrets/0'), SealError, 'another place does not open it');
  assert.throws(() => openValue(ephemeralMasterKey(), sealed, 'plugin:1:/config/secrets/0'), /another master key/);
  assert.equal(openValue(master, 'plaintext', 'any'), 'plaintext', 'a value that is not sealed is plaintext');

  const value = { config: { secrets: ['a', 'b'] } };
  const paths = whole('/config/secrets/0', '/config/secrets/1');
  const stored = sealAt(master, value, paths, 'plugin:1:');
  assert.ok(stored.config.secrets.every(isSealedValue));
  assert.deepEqual(sealAt(master, stored, paths, 'plugin:1:'), stored, 'sealed values are not sealed twice');
  assert.deepEqual(openAt(master, stored, paths, 'plugin:1:'), value);
  assert.throws(() => openAt(ephemeralMasterKey(), stored, paths, 'plugin:1:'), (e: unknown) => e instanceof SecretOpenError && e.pointer === '/config/secrets/0');
});

test('the marker keeps the secret stored at its place; with none there it is reported', () => {
  const current = { config: { secrets: ['old0', 'old1'] } };
  const paths = whole('/config/secrets/0', '/config/secrets/1', '/config/secrets/2');
  const { value, unresolved } = resolveMarkers({ config: { secrets: ['new', REDACTED, REDACTED] } }, paths, current);
  assert.deepEqual(value.config.secrets, ['new', 'old1', REDACTED]);
  assert.deepEqual(unresolved, ['/config/secrets/2']);
});

const Redis = Type.Object({ url: SecretString({}, 'url-password'), other: Type.Optional(Type.String()) });

test('url-password: only the password of a URL is the secret (userinfo and password= in the query)', () => {
  const at = (url: string) => secretPlaces(Redis, { url });
  assert.deepEqual(at('redis://10.0.0.9:6379/0'), [], 'no password, no secret: the URL stays readable');
  assert.deepEqual(at('redis://user@10.0.0.9:6379'), [], 'a username alone is no secret');
  assert.deepEqual(at('redis://:@10.0.0.9'), [], 'an empty password is no secret');
  assert.deepEqual(at('redis://:hunter2@h:6379/0'), [{ pointer: '/url', kind: 'url-password' }]);
  const redacted = (url: string) => (redactSecrets(Redis, { url }) as { url: string }).url;
  assert.equal(redacted('redis://:hunter2@h:6379/0'), 'redis://:(sealed)@h:6379/0');
  assert.equal(redacted('rediss://app:p%40ss:w0rd@redis.internal:6380/2'), 'rediss://app:(sealed)@redis.internal:6380/2', 'the password runs from the first ":" of the userinfo');
  assert.equal(redacted('redis://:a@b@h'), 'redis://:(sealed)@h', 'to the last "@" of the authority, as the WHATWG parser reads it');
  assert.equal(redacted('redis://h:6379/0?password=hunter2&db=1'), 'redis://h:6379/0?password=(sealed)&db=1', 'ioredis reads ?password= too');
  assert.equal(redacted('redis://u:one@h?family=4&pass%77ord=two#x'), 'redis://u:(sealed)@h?family=4&pass%77ord=(sealed)#x', 'however the name is spelt');
  assert.equal(redacted('redis://h?password=&x=1'), 'redis://h?password=&x=1');
  assert.equal(redacted('redis://[::1:6379'), REDACTED, 'a URL that does not parse is a secret whole');
  assert.deepEqual(secretsIn('redis://u:one@h?password=two', 'url-password'), [{ role: 'userinfo', text: 'one' }, { role: 'query:0', text: 'two' }]);
});

test('url-password: sealed and opened in place; the marker keeps the stored password, the host may change', () => {
  const master = ephemeralMasterKey();
  const value = { url: 'redis://app:p%40ss@redis-1:6379/0?password=q' };
  const places = secretPlaces(Redis, value);
  const stored = sealAt(master, value, places, 'settings:gateway:');
  assert.match(stored.url, /^redis:\/\/app:sealed:[0-9a-f]+:v1\.[A-Za-z0-9_-]+@redis-1:6379\/0\?password=sealed:[0-9a-f]+:v1\.[A-Za-z0-9_-]+$/);
  assert.ok(!stored.url.includes('p%40ss'));
  assert.ok(URL.canParse(stored.url), 'still a URL: the stored value keeps the schema');
  const storedPlaces = secretPlaces(Redis, stored);
  assert.ok(holdsSealed(stored, storedPlaces));
  assert.ok(!holdsSealed(value, places));
  assert.deepEqual(sealAt(master, stored, storedPlaces, 'settings:gateway:'), stored, 'not sealed twice');
  assert.deepEqual(openAt(master, stored, storedPlaces, 'settings:gateway:'), value, 'opens to the very same string');
  assert.throws(() => openAt(master, stored, storedPlaces, 'settings:other:'), (e: unknown) => e instanceof SecretOpenError && e.pointer === '/url');

  const written = { url: 'redis://app:(sealed)@redis-2:6379/0?password=(sealed)' };
  const kept = resolveMarkers(written, secretPlaces(Redis, written), value);
  assert.deepEqual(kept, { value: { url: 'redis://app:p%40ss@redis-2:6379/0?password=q' }, unresolved: [] });
  const nothingThere = { url: 'redis://:(sealed)@redis-2' };
  assert.deepEqual(resolveMarkers(nothingThere, secretPlaces(Redis, nothingThere), { url: 'redis://redis-1' }).unresolved, ['/url']);
});
