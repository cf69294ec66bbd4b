import { test } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import { REDACTED, SecretString, redactSecrets, secretPaths } from './secret-fields.ts';
import { describeSecretPointer, openAt, resolveMarkers, sealAt, SecretOpenError, sealValue, openValue, isSealedValue } from './plugin-secrets.ts';
import { ephemeralMasterKey, SealError } from '../identity/sealed.ts';
import { BUNDLED_CATALOG } from '../../plugins/index.ts';
import { documentSecretPaths } from './plugin-secrets.ts';

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
  assert.deepEqual(secretPaths(Schema, value).sort(), ['/byName/a~1b/secret', '/keys/0', '/keys/2/k', '/list/0', '/list/1', '/nested/token', '/password'].sort());
  assert.deepEqual(secretPaths(Schema, { name: 'n', nested: { plain: 'x' }, list: [], keys: [], byName: {} }), []);
  const redacted = redactSecrets(Schema, value) as typeof value;
  assert.equal(redacted.password, REDACTED);
  assert.deepEqual(redacted.list, [REDACTED, REDACTED]);
  assert.equal(redacted.keys[1], PEM);
  assert.equal(redacted.nested.plain, 'x');
  assert.equal(value.password, 'p', 'the input is left alone');
  assert.equal(describeSecretPointer('/config/issuers/0/keys/2/k'), 'config.issuers[0].keys[2].k');
});

test('the bundled plugins mark their credentials', () => {
  const doc = {
    plugins: [{ name: 'oauth2-introspection', config: { introspection_url: 'https://idp/x', client_id: 'id', client_secret: 'cs' } }],
    routes: [{ name: 'r', plugins: [{ name: 'webhook-verify', config: { secrets: ['w1', 'w2'] } }, { name: 'jwt', config: { issuers: [{ issuer: 'i', algorithms: ['HS256'], keys: ['x'.repeat(32), PEM] }] } }] }],
    services: [{ name: 's', plugins: [{ name: 'soap-mediation', config: { ws_security: { username: 'u', password: 'pw' } } }] }],
  };
  assert.deepEqual(documentSecretPaths(BUNDLED_CATALOG, doc).sort(), [
    '/plugins/0/config/client_secret', '/routes/0/plugins/0/config/secrets/0', '/routes/0/plugins/0/config/secrets/1',
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
  const paths = ['/config/secrets/0', '/config/secrets/1'];
  const stored = sealAt(master, value, paths, 'plugin:1:');
  assert.ok(stored.config.secrets.every(isSealedValue));
  assert.deepEqual(sealAt(master, stored, paths, 'plugin:1:'), stored, 'sealed values are not sealed twice');
  assert.deepEqual(openAt(master, stored, paths, 'plugin:1:'), value);
  assert.throws(() => openAt(ephemeralMasterKey(), stored, paths, 'plugin:1:'), (e: unknown) => e instanceof SecretOpenError && e.pointer === '/config/secrets/0');
});

test('the marker keeps the secret stored at its place; with none there it is reported', () => {
  const current = { config: { secrets: ['old0', 'old1'] } };
  const paths = ['/config/secrets/0', '/config/secrets/1', '/config/secrets/2'];
  const { value, unresolved } = resolveMarkers({ config: { secrets: ['new', REDACTED, REDACTED] } }, paths, current);
  assert.deepEqual(value.config.secrets, ['new', 'old1', REDACTED]);
  assert.deepEqual(unresolved, ['/config/secrets/2']);
});
