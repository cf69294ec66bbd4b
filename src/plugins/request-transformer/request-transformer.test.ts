import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConf, fakeContext, sentHeaders } from '../test-helpers.ts';
import { REDACTED, redactSecrets, secretPlaces } from '../../core/config/secret-fields.ts';
import { requestTransformer } from './plugin.ts';
import { RequestTransformerSchema } from './schema.ts';

const apply = (raw: unknown, ctxOver: Parameters<typeof fakeContext>[0] = {}) => {
  const conf = compileConf(requestTransformer, raw);
  const ctx = fakeContext(ctxOver);
  requestTransformer.handlers['upstream-request']!(ctx, conf);
  return ctx.upstream;
};

test('headers: remove → rename → replace → add → append, case-insensitive names', () => {
  const up = apply({
    remove: { headers: ['X-Drop'] },
    rename: { headers: { 'X-Old': 'X-New' } },
    replace: { headers: { 'X-Keep': 'replaced', 'X-Absent': 'never' } },
    add: { headers: { 'X-Keep': 'not-added', 'X-Added': 'yes' } },
    append: { headers: { 'X-Keep': 'second' } },
  }, { headers: { 'x-drop': '1', 'x-old': 'o', 'x-keep': 'k' } });
  assert.deepEqual(sentHeaders(up.headers), { 'x-new': 'o', 'x-keep': ['replaced', 'second'], 'x-added': 'yes' });
});

test('query: same order of edits; untouched query stays byte-identical', () => {
  assert.equal(apply({ remove: { querystring: ['secret'] }, rename: { querystring: { a: 'b' } }, add: { querystring: { c: '3' } }, append: { querystring: { d: '4' } } }, { query: '?secret=1&a=1&a=2' }).query, '?b=1&b=2&c=3&d=4');
  assert.equal(apply({ add: { headers: { x: '1' } } }, { query: '?q=%2F+x' }).query, '?q=%2F+x');
  assert.equal(apply({ remove: { querystring: ['q'] } }, { query: '?q=1' }).query, '');
});

test('replace.uri sets the upstream path with route parameters', () => {
  assert.equal(apply({ replace: { uri: '/v2/shipments/{id}/track' } }, { params: { id: 'PC42' } }).path, '/v2/shipments/PC42/track');
  assert.equal(apply({ replace: { uri: '/static' } }).path, '/static');
});

test('config refuses header injection and bad names', () => {
  assert.throws(() => compileConf(requestTransformer, { add: { headers: { 'x-a': 'v\r\nInjected: 1' } } }));
  assert.throws(() => compileConf(requestTransformer, { add: { headers: { 'bad name': 'v' } } }));
  assert.throws(() => compileConf(requestTransformer, { replace: { uri: 'no-slash' } }));
});

test('values under credential names are secrets (sealed at rest, shown as the marker); other values are not', () => {
  const config = {
    add: { headers: { Authorization: 'Bearer up-token', 'X-API-Key': 'k1', 'X-Gateway': 'portcullis' }, querystring: { api_key: 'q1', access_token: 't1', format: 'json' } },
    append: { headers: { Cookie: 'session=s1' } },
    replace: { headers: { 'proxy-authorization': 'Basic p1', Accept: 'application/json' }, querystring: { page: '1' } },
    rename: { headers: { 'X-Token-Old': 'X-Token-New' } },
    remove: { headers: ['authorization'] },
  };
  const places = secretPlaces(RequestTransformerSchema, config).map((p) => p.pointer).sort();
  assert.deepEqual(places, [
    '/add/headers/Authorization', '/add/headers/X-API-Key', '/add/querystring/access_token', '/add/querystring/api_key',
    '/append/headers/Cookie', '/replace/headers/proxy-authorization',
  ]);
  assert.deepEqual(redactSecrets(RequestTransformerSchema, config), {
    ...config,
    add: { headers: { Authorization: REDACTED, 'X-API-Key': REDACTED, 'X-Gateway': 'portcullis' }, querystring: { api_key: REDACTED, access_token: REDACTED, format: 'json' } },
    append: { headers: { Cookie: REDACTED } },
    replace: { headers: { 'proxy-authorization': REDACTED, Accept: 'application/json' }, querystring: { page: '1' } },
  }, 'names (rename, remove) are never secrets');
  // A credential's value is held to the header value rules like any other.
  assert.throws(() => compileConf(requestTransformer, { add: { headers: { Authorization: 'Bearer x\r\nX-Injected: 1' } } }), /add\.headers\.Authorization/);
  // And the plugin sends it as given.
  assert.equal(sentHeaders(apply({ add: { headers: { Authorization: 'Bearer up-token' } } }).headers).authorization, 'Bearer up-token');
});
