import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileIdentities, type CredentialRecord } from '../../core/identity/directory.ts';
import { apiKeyLookup } from '../../core/identity/secrets.ts';
import type { HeaderMap, RequestContext } from '../../core/pipeline/context.ts';
import { setConsumer } from '../shared/consumer-headers.ts';
import { compileConf, consumerHeaders, fakeContext, sentHeaders } from '../test-helpers.ts';
import { keyAuth, queryParam, withoutQueryParam } from './plugin.ts';

const GOOD = 'pk_live_good-key-0123456789abcdef';
const OTHER = 'pk_live_other-key-0123456789abcde';
const EXPIRED = 'pk_live_expired-key-0123456789abc';
const REVOKED = 'pk_live_revoked-key-0123456789abc';
const ORPHAN = 'pk_live_orphan-key-0123456789abcd';

const cred = (id: string, consumer: string, key: string, over: Partial<CredentialRecord> = {}): CredentialRecord => ({
  id, consumer, type: 'key-auth', lookup: apiKeyLookup(key), secret_hash: null, expires_at: null, revoked_at: null, ...over,
});

const identities = compileIdentities(
  [
    { name: 'acme', custom_id: 'crm-42', groups: ['partners', 'gold'] },
    { name: 'bob', groups: [] },
    { name: 'guest', groups: ['public'] },
  ],
  [
    cred('cred-acme', 'acme', GOOD),
    cred('cred-bob', 'bob', OTHER),
    cred('cred-expired', 'acme', EXPIRED, { expires_at: new Date(Date.now() - 1000).toISOString() }),
    cred('cred-revoked', 'acme', REVOKED, { revoked_at: new Date(Date.now() - 1000).toISOString() }),
    cred('cred-orphan', 'ghost', ORPHAN),
  ],
);

const SPOOFED: HeaderMap = {
  'x-consumer-id': 'admin', 'x-consumer-username': 'admin', 'x-consumer-custom-id': 'root', 'x-consumer-groups': 'admins',
  'x-credential-identifier': 'forged', 'x-anonymous-consumer': 'false',
};

const UNAUTHORIZED = { problem: 'unauthorized', headers: { 'www-authenticate': 'Key realm="portcullis"' } };

function run(raw: unknown, over: { headers?: HeaderMap; query?: string } = {}, prepare?: (ctx: RequestContext) => void) {
  const ctx = fakeContext({ identities, ...over });
  prepare?.(ctx);
  const result = keyAuth.handlers.access!(ctx, compileConf(keyAuth, raw));
  assert.ok(!(result instanceof Promise), 'key-auth answers synchronously');
  return { result, ctx, up: ctx.upstream };
}


test('a valid key in a header identifies the consumer; the upstream is told who it is', () => {
  const { result, ctx, up } = run({}, { headers: { apikey: GOOD, accept: '*/*' } });
  assert.equal(result, undefined);
  assert.equal(ctx.consumer?.username, 'acme');
  assert.equal(ctx.credentialId, 'cred-acme');
  assert.deepEqual(sentHeaders(up.headers), {
    accept: '*/*',
    'x-consumer-id': 'acme', 'x-consumer-username': 'acme', 'x-consumer-custom-id': 'crm-42', 'x-consumer-groups': 'partners, gold',
    'x-credential-identifier': 'cred-acme',
  });
  // No groups, no custom id: those headers are absent, not empty.
  const bob = run({}, { headers: { 'x-api-key': OTHER } });
  assert.equal(bob.result, undefined);
  assert.deepEqual(consumerHeaders(bob.up.headers), { 'x-consumer-id': 'bob', 'x-consumer-username': 'bob', 'x-credential-identifier': 'cred-bob' });
});

test('a valid key in a query parameter identifies the consumer', () => {
  for (const name of ['apikey', 'x-api-key']) {
    const { result, ctx } = run({}, { query: `?${name}=${GOOD}` });
    assert.equal(result, undefined, name);
    assert.equal(ctx.consumer?.username, 'acme');
  }
  // Percent-encoded key and parameter name are decoded.
  assert.equal(run({}, { query: `?api%6Bey=${encodeURIComponent(GOOD)}` }).ctx.consumer?.username, 'acme');
});

test('header values are trimmed; the first of repeated header values is used', () => {
  assert.equal(run({}, { headers: { apikey: `  ${GOOD} ` } }).ctx.consumer?.username, 'acme');
  assert.equal(run({}, { headers: { apikey: [GOOD, OTHER] } }).ctx.consumer?.username, 'acme');
});

test('key_names: tried in order, all headers before any query parameter', () => {
  // Both headers present: the first name wins, whatever the header order in the request.
  assert.equal(run({ key_names: ['x-api-key', 'apikey'] }, { headers: { apikey: GOOD, 'x-api-key': OTHER } }).ctx.consumer?.username, 'bob');
  assert.equal(run({ key_names: ['apikey', 'x-api-key'] }, { headers: { 'x-api-key': OTHER, apikey: GOOD } }).ctx.consumer?.username, 'acme');
  // A header beats a query parameter even when the query parameter's name comes first.
  assert.equal(run({ key_names: ['token', 'apikey'] }, { headers: { apikey: GOOD }, query: `?token=${OTHER}` }).ctx.consumer?.username, 'acme');
  // Query parameters in key_names order.
  assert.equal(run({ key_names: ['token', 'apikey'] }, { query: `?apikey=${GOOD}&token=${OTHER}` }).ctx.consumer?.username, 'bob');
  // Only the configured names count.
  assert.deepEqual(run({ key_names: ['token'] }, { headers: { apikey: GOOD }, query: `?apikey=${GOOD}` }).result, UNAUTHORIZED);
  // An empty value is skipped, not taken as the (wrong) key.
  assert.equal(run({}, { headers: { apikey: '' }, query: `?apikey=&x-api-key=${GOOD}` }).ctx.consumer?.username, 'acme');
  assert.equal(run({}, { query: `?apikey&x-api-key=${GOOD}` }).ctx.consumer?.username, 'acme');
});

test('header names are case-insensitive; query parameter names are not', () => {
  const conf = { key_names: ['X-My-Key'] };
  // Request header names arrive lower-cased.
  const h = run(conf, { headers: { 'x-my-key': GOOD } });
  assert.equal(h.ctx.consumer?.username, 'acme');
  assert.equal(h.up.headers['x-my-key'], undefined, 'hidden under its lower-case name');
  assert.equal(run(conf, { query: `?X-My-Key=${GOOD}` }).ctx.consumer?.username, 'acme');
  assert.deepEqual(run(conf, { query: `?x-my-key=${GOOD}` }).result, UNAUTHORIZED);
});

test('hide_credentials (default on): the header is removed before the request goes upstream', () => {
  const { up } = run({}, { headers: { apikey: GOOD, 'x-other': '1' } });
  assert.equal(up.headers.apikey, undefined);
  assert.equal(up.headers['x-other'], '1');
});

test('hide_credentials: the query parameter is removed; other parameters keep their exact encoding', () => {
  assert.equal(run({}, { query: `?a=%2F&apikey=${GOOD}&b=x+y` }).up.query, '?a=%2F&b=x+y');
  assert.equal(run({}, { query: `?apikey=${GOOD}` }).up.query, '');
  assert.equal(run({}, { query: `?x-api-key=${GOOD}&z=%7E%20` }).up.query, '?z=%7E%20');
  // Every copy of the parameter goes, encoded name or not.
  assert.equal(run({}, { query: `?apikey=${GOOD}&q=1&api%6bey=${GOOD}&apikey=other` }).up.query, '?q=1');
});

test('hide_credentials: false forwards the key', () => {
  const h = run({ hide_credentials: false }, { headers: { apikey: GOOD } });
  assert.equal(h.ctx.consumer?.username, 'acme');
  assert.equal(h.up.headers.apikey, GOOD);
  const q = run({ hide_credentials: false }, { query: `?a=%2F&apikey=${GOOD}` });
  assert.equal(q.ctx.consumer?.username, 'acme');
  assert.equal(q.up.query, `?a=%2F&apikey=${GOOD}`);
});

test('a wrong key is hidden too (hide_credentials), even though the request is refused', () => {
  const { result, up } = run({}, { headers: { apikey: 'wrong-key-xxxxxxxxxxxxxxxx' }, query: '?x=1' });
  assert.deepEqual(result, UNAUTHORIZED);
  assert.equal(up.headers.apikey, undefined);
});

test('key_in_header: false ignores headers; key_in_query: false ignores the query', () => {
  const noHeader = run({ key_in_header: false }, { headers: { apikey: GOOD } });
  assert.deepEqual(noHeader.result, UNAUTHORIZED);
  assert.equal(noHeader.up.headers.apikey, GOOD, 'an ignored header is not touched');
  assert.equal(run({ key_in_header: false }, { query: `?apikey=${GOOD}` }).ctx.consumer?.username, 'acme');

  const noQuery = run({ key_in_query: false }, { query: `?apikey=${GOOD}` });
  assert.deepEqual(noQuery.result, UNAUTHORIZED);
  assert.equal(noQuery.up.query, `?apikey=${GOOD}`, 'an ignored parameter is not touched');
  assert.equal(run({ key_in_query: false }, { headers: { apikey: GOOD } }).ctx.consumer?.username, 'acme');
});

test('missing, unknown, expired, revoked and orphaned keys all get the same 401', () => {
  const cases: Record<string, { headers?: HeaderMap; query?: string }> = {
    missing: {},
    'empty header': { headers: { apikey: '' } },
    unknown: { headers: { apikey: 'pk_live_unknown-key-0123456789ab' } },
    'unknown (query)': { query: '?apikey=pk_live_unknown' },
    expired: { headers: { apikey: EXPIRED } },
    revoked: { headers: { apikey: REVOKED } },
    'consumer gone': { headers: { apikey: ORPHAN } },
    'hash instead of key': { headers: { apikey: apiKeyLookup(GOOD) } },
    'malformed escape': { query: '?apikey=%E0%A4%A' },
  };
  for (const [what, over] of Object.entries(cases)) {
    const { result, ctx } = run({}, over);
    assert.deepEqual(result, UNAUTHORIZED, what);
    assert.equal(ctx.consumer, undefined, what);
    assert.equal(ctx.credentialId, undefined, what);
  }
});

test('anonymous: without a valid key the request goes on as that consumer', () => {
  for (const over of [{}, { headers: { apikey: 'pk_live_unknown' } }, { headers: { apikey: EXPIRED } }, { headers: { apikey: REVOKED } }]) {
    const { result, ctx, up } = run({ anonymous: 'guest' }, over);
    assert.equal(result, undefined);
    assert.equal(ctx.consumer?.username, 'guest');
    assert.equal(ctx.credentialId, undefined);
    assert.deepEqual(consumerHeaders(up.headers), { 'x-consumer-id': 'guest', 'x-consumer-username': 'guest', 'x-consumer-groups': 'public', 'x-anonymous-consumer': 'true' });
    assert.equal(up.headers.apikey, undefined);
  }
  // A valid key still identifies its own consumer.
  const { ctx, up } = run({ anonymous: 'guest' }, { headers: { apikey: GOOD } });
  assert.equal(ctx.consumer?.username, 'acme');
  assert.equal(up.headers['x-anonymous-consumer'], undefined);
});

test('anonymous naming a consumer that does not exist: 401', () => {
  const { result, ctx } = run({ anonymous: 'nobody' }, {});
  assert.deepEqual(result, UNAUTHORIZED);
  assert.equal(ctx.consumer, undefined);
});

test('client-sent x-consumer-* headers never reach the upstream: success, anonymous and failure', () => {
  const ok = run({}, { headers: { ...SPOOFED, apikey: OTHER } });
  assert.equal(ok.result, undefined);
  assert.deepEqual(consumerHeaders(ok.up.headers), { 'x-consumer-id': 'bob', 'x-consumer-username': 'bob', 'x-credential-identifier': 'cred-bob' });

  const anon = run({ anonymous: 'guest' }, { headers: SPOOFED });
  assert.deepEqual(consumerHeaders(anon.up.headers), { 'x-consumer-id': 'guest', 'x-consumer-username': 'guest', 'x-consumer-groups': 'public', 'x-anonymous-consumer': 'true' });

  for (const over of [{ headers: SPOOFED }, { headers: { ...SPOOFED, apikey: REVOKED } }]) {
    const failed = run({}, over);
    assert.deepEqual(failed.result, UNAUTHORIZED);
    assert.deepEqual(consumerHeaders(failed.up.headers), {});
  }
  // The headers as received are left alone (read-only view); only the upstream copy is cleaned.
  assert.equal(ok.ctx.headers['x-consumer-username'], 'admin');
});

test('a consumer already identified by an earlier authentication plugin is kept', () => {
  const earlier = identities.consumer('bob')!;
  const { result, ctx, up } = run({}, { headers: { apikey: GOOD } }, (c) => setConsumer(c, earlier, 'cred-basic'));
  assert.equal(result, undefined);
  assert.equal(ctx.consumer, earlier);
  assert.equal(ctx.credentialId, 'cred-basic');
  assert.equal(up.headers['x-consumer-username'], 'bob');
  // Also without any key at all: no 401.
  assert.equal(run({}, {}, (c) => setConsumer(c, earlier, 'cred-basic')).result, undefined);
});

test('an anonymous consumer set by an earlier plugin is replaced by a valid key', () => {
  const guest = identities.consumer('guest')!;
  const { result, ctx, up } = run({}, { headers: { apikey: GOOD } }, (c) => setConsumer(c, guest, undefined, true));
  assert.equal(result, undefined);
  assert.equal(ctx.consumer?.username, 'acme');
  assert.deepEqual(consumerHeaders(up.headers), {
    'x-consumer-id': 'acme', 'x-consumer-username': 'acme', 'x-consumer-custom-id': 'crm-42', 'x-consumer-groups': 'partners, gold', 'x-credential-identifier': 'cred-acme',
  });
});

test('an anonymous consumer set by an earlier plugin keeps its headers when this plugin fails', () => {
  // With several authentication plugins the pipeline keeps the earlier anonymous consumer when
  // all fail; the upstream must then still be told who it is.
  const guest = identities.consumer('guest')!;
  const { result, ctx, up } = run({}, { headers: { apikey: 'pk_live_unknown' } }, (c) => setConsumer(c, guest, undefined, true));
  assert.deepEqual(result, UNAUTHORIZED);
  assert.equal(ctx.consumer, guest);
  assert.deepEqual(consumerHeaders(up.headers), { 'x-consumer-id': 'guest', 'x-consumer-username': 'guest', 'x-consumer-groups': 'public', 'x-anonymous-consumer': 'true' });
});

test('compile: defaults, and refusing a config that reads the key from nowhere', () => {
  const conf = compileConf(keyAuth, {});
  assert.deepEqual(conf.key_names, ['apikey', 'x-api-key']);
  assert.equal(conf.key_in_header, true);
  assert.equal(conf.key_in_query, true);
  assert.equal(conf.hide_credentials, true);
  assert.equal(conf.anonymous, undefined);
  assert.throws(() => compileConf(keyAuth, { key_in_header: false, key_in_query: false }), /key_in_header or key_in_query/);
  assert.throws(() => compileConf(keyAuth, { key_names: [] }), /key_names/);
  assert.throws(() => compileConf(keyAuth, { key_names: ['bad name'] }), /key_names/);
  assert.throws(() => compileConf(keyAuth, { bogus: true }), /bogus/);
});

test('queryParam: empty query, lone "?", missing value, repeated and encoded names, malformed escapes', () => {
  assert.equal(queryParam('', 'apikey'), undefined);
  assert.equal(queryParam('?', 'apikey'), undefined);
  assert.equal(queryParam('?other=1', 'apikey'), undefined);
  assert.equal(queryParam('?apikey', 'apikey'), '');
  assert.equal(queryParam('?apikey=', 'apikey'), '');
  assert.equal(queryParam('?apikey=a&apikey=b', 'apikey'), 'a', 'the first of repeated names');
  assert.equal(queryParam('?&&apikey=k&', 'apikey'), 'k');
  assert.equal(queryParam('?api%6Bey=k', 'apikey'), 'k');
  assert.equal(queryParam('?my+key=k', 'my key'), 'k');
  assert.equal(queryParam('?apikey=a%2Bb+c', 'apikey'), 'a+b c');
  assert.equal(queryParam('?apikey=a=b', 'apikey'), 'a=b', 'only the first "=" separates');
  assert.equal(queryParam('?apikey=%E0%A4%A', 'apikey'), '%E0%A4%A', 'a malformed escape is taken as is');
  assert.equal(queryParam('?%zz=1&apikey=k', 'apikey'), 'k', 'a malformed name elsewhere does not matter');
  assert.equal(queryParam('?%zz=1', '%zz'), '1');
  assert.equal(queryParam('?APIKEY=k', 'apikey'), undefined);
});

test('withoutQueryParam: removes every copy; everything else stays byte for byte', () => {
  assert.equal(withoutQueryParam('', 'apikey'), '');
  assert.equal(withoutQueryParam('?', 'apikey'), '?');
  assert.equal(withoutQueryParam('?apikey=k', 'apikey'), '');
  assert.equal(withoutQueryParam('?apikey', 'apikey'), '');
  assert.equal(withoutQueryParam('?a=%2F&apikey=k&b=x+y', 'apikey'), '?a=%2F&b=x+y');
  assert.equal(withoutQueryParam('?apikey=1&a=2&apikey=3', 'apikey'), '?a=2');
  assert.equal(withoutQueryParam('?api%6Bey=1&api+key=2&a=%zz', 'apikey'), '?api+key=2&a=%zz');
  assert.equal(withoutQueryParam('?%zz=1&apikey=2', 'apikey'), '?%zz=1');
  assert.equal(withoutQueryParam('?a=1&b=2', 'apikey'), '?a=1&b=2');
  assert.equal(withoutQueryParam('?a=1&&b=2', 'apikey'), '?a=1&&b=2', 'untouched when absent');
});

test('hide_credentials clears every place a key may be, even the ones not used, even when another plugin authenticated', () => {
  const both = run({}, { headers: { apikey: GOOD, 'x-api-key': OTHER }, query: `?apikey=${GOOD}&keep=1&x-api-key=${OTHER}` });
  assert.equal(both.result, undefined);
  assert.equal(both.up.headers.apikey, undefined);
  assert.equal(both.up.headers['x-api-key'], undefined);
  assert.equal(both.up.query, '?keep=1');
  const earlier = identities.consumer('bob')!;
  const already = run({}, { headers: { apikey: GOOD }, query: `?apikey=${GOOD}` }, (c) => setConsumer(c, earlier, 'cred-basic'));
  assert.equal(already.ctx.consumer, earlier);
  assert.equal(already.up.headers.apikey, undefined);
  assert.equal(already.up.query, '');
  const shown = run({ hide_credentials: false }, { headers: { apikey: GOOD } });
  assert.equal(shown.up.headers.apikey, GOOD);
});
