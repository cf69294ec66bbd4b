// Consumer credentials (/admin/credentials): API keys shown once and stored as a hash, basic-auth
// passwords stored with scrypt, revocation, concurrency, cascade with the consumer, and no secret
// ever coming back out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_KEY_PREFIX, apiKeyLookup, verifyPassword } from '../../src/core/identity/secrets.ts';
import {
  UUID_RE, assertInvalid, assertOk, assertProblem, create, listAll, revision, withHarness, type Harness, type Json,
} from './helpers.ts';

const SHOWN_FIELDS = ['consumer', 'created_at', 'display', 'id', 'tags', 'type', 'updated_at', 'version'];

/** A credential as any read shows it: the known fields, nothing that looks like a hash or secret. */
function assertPresented(c: Json): void {
  const extra = Object.keys(c).filter((k) => !SHOWN_FIELDS.includes(k) && k !== 'expires_at' && k !== 'revoked_at');
  assert.deepEqual(extra, [], `unexpected fields ${extra.join(', ')}`);
  for (const k of SHOWN_FIELDS) assert.ok(k in c, `missing ${k}`);
  const text = JSON.stringify(c);
  assert.doesNotMatch(text, /[0-9a-f]{64}/, 'a hex digest');
  assert.doesNotMatch(text, /scrypt\$/, 'a password hash');
  assert.doesNotMatch(text, /"(key|password|secret|secret_hash|lookup|hash)"/);
}

async function consumer(h: Harness, name: string): Promise<void> {
  await create(h, 'consumers', { name });
}

test('key-auth: a generated pk_live_ key is shown once, in the 201; reads never show it', () => withHarness(async (h) => {
  await consumer(h, 'acme');
  const r = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth', tags: ['mobile'] } });
  const c = assertOk(r, 201, { etag: true });
  const key = String(c.key);
  h.secret(key, r.index);
  assert.ok(key.startsWith(API_KEY_PREFIX), key.slice(0, 8));
  assert.match(key, /^pk_live_[A-Za-z0-9_-]{32}$/);
  assert.match(String(c.id), UUID_RE);
  assert.equal(r.headers.location, `/admin/credentials/${String(c.id)}`);
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.equal(c.display, `${key.slice(0, API_KEY_PREFIX.length + 4)}…`);
  assert.deepEqual(c.tags, ['mobile']);
  const { key: _key, ...shown } = c;
  assertPresented(shown);

  // Two generated keys are different.
  const second = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth' } });
  h.secret(String(second.body.key), second.index);
  assert.notEqual(second.body.key, key);

  const got = assertOk(await h.call('GET', `/admin/credentials/${String(c.id)}`, { as: 'viewer' }), 200, { etag: true });
  assertPresented(got);
  assert.deepEqual(got, shown);
  const listed = await listAll(h, '/admin/credentials');
  assert.equal(listed.length, 2);
  listed.forEach(assertPresented);
  assert.deepEqual(listed[0], shown);

  // Stored as its SHA-256 only; the gateway finds it by that.
  const row = await h.store.read().findCredential('key-auth', apiKeyLookup(key));
  assert.equal(row?.id, c.id);
  assert.equal(row?.secret_hash, null);
  assert.ok(!JSON.stringify(row).includes(key), 'the key itself is not stored');
}));

test('key-auth: bring your own key; a key already in use answers 409 without echoing it', () => withHarness(async (h) => {
  await consumer(h, 'acme');
  await consumer(h, 'globex');
  const key = 'byo-Key_0123456789.abcdefXYZ';
  const r = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth', key } });
  assertOk(r, 201, { etag: true });
  h.secret(key, r.index);
  assert.equal(r.body.key, key);
  for (const owner of ['acme', 'globex']) {
    const dup = assertProblem(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: owner, type: 'key-auth', key } }), 409, 'conflict');
    assert.doesNotMatch(JSON.stringify(dup), /byo-Key/);
  }
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth', key: 'short' } }), '/key');
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth', key: 'has spaces in it, which is not ok' } }), '/key');
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth', username: 'u' } }), '/username');
  assert.equal((await listAll(h, '/admin/credentials')).length, 1);
}));

test('key-auth: the display of a bring-your-own key reveals no more of it than of a generated one', () => withHarness(async (h) => {
  await consumer(h, 'acme');
  const key = 'byo-Key_0123456789.abcdefXYZ';
  const r = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth', key } });
  h.secret(key, r.index);
  const revealed = String(r.body.display).replace(/…$/, '');
  assert.ok(key.startsWith(revealed));
  assert.ok(revealed.length <= 4, `display reveals ${revealed.length} characters of a ${key.length}-character key`);
}));

test('basic-auth: username and password required; the password is scrypt-hashed and never shown', () => withHarness(async (h) => {
  await consumer(h, 'acme');
  const password = 'Tr0ub4dor&3-horse-staple';
  h.secret(password);
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'basic-auth', password } }), '/username');
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'basic-auth', username: 'acme-app' } }), '/password');
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'basic-auth', username: 'acme-app', password: 'short' } }), '/password');
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'basic-auth', username: 'has:colon', password } }), '/username');
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'basic-auth', username: 'acme-app', password, key: 'k'.repeat(24) } }), '/key');

  const r = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'basic-auth', username: 'acme-app', password } });
  const c = assertOk(r, 201, { etag: true });
  assertPresented(c);
  assert.equal(c.display, 'acme-app');
  assert.equal(c.type, 'basic-auth');
  assertPresented(assertOk(await h.call('GET', `/admin/credentials/${String(c.id)}`, { as: 'viewer' })));

  const row = await h.store.read().findCredential('basic-auth', 'acme-app');
  assert.match(String(row?.secret_hash), /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
  assert.equal(await verifyPassword(password, String(row?.secret_hash)), true);
  assert.equal(await verifyPassword(`${password}!`, String(row?.secret_hash)), false);

  // Usernames are unique across consumers.
  await consumer(h, 'globex');
  assertProblem(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'globex', type: 'basic-auth', username: 'acme-app', password: 'another-password' } }), 409, 'conflict');
  h.secret('another-password');
}));

test('create: other validation errors point into the body and write nothing', () => withHarness(async (h) => {
  await consumer(h, 'acme');
  const rev = await revision(h);
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'ghost', type: 'key-auth' } }), '/consumer');
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'hmac-auth' } }), '/type');
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth', bogus: 1 } }), '/bogus');
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth', expires_at: 'tomorrow' } }), '/expires_at');
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: { type: 'key-auth' } }), '/consumer');
  assertInvalid(await h.call('POST', '/admin/credentials', { as: 'editor', body: 'key-auth' }), '');
  assert.equal(await revision(h), rev);
  assert.deepEqual(await listAll(h, '/admin/credentials'), []);
}));

test('PATCH: revoke sets revoked_at for good; expiry and tags change; If-Match is honoured', () => withHarness(async (h) => {
  await consumer(h, 'acme');
  const r = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth' } });
  h.secret(String(r.body.key), r.index);
  const url = `/admin/credentials/${String(r.body.id)}`;

  const expiring = assertOk(await h.call('PATCH', url, { as: 'editor', body: { expires_at: '2031-01-01T00:00:00.000Z', tags: ['rotating'] }, headers: { 'if-match': '"v1"' } }), 200, { etag: true });
  assert.equal(expiring.version, 2);
  assert.equal(expiring.expires_at, '2031-01-01T00:00:00.000Z');
  assert.deepEqual(expiring.tags, ['rotating']);
  assertPresented(expiring);
  assertProblem(await h.call('PATCH', url, { as: 'editor', body: { revoked: true }, headers: { 'if-match': '"v1"' } }), 412, 'precondition-failed');
  assertProblem(await h.call('DELETE', url, { as: 'editor', headers: { 'if-match': '"v1"' } }), 412, 'precondition-failed');

  const cleared = assertOk(await h.call('PATCH', url, { as: 'editor', body: { expires_at: null } }), 200, { etag: true });
  assert.equal(cleared.expires_at, undefined);
  assert.equal(cleared.revoked_at, undefined);

  const revoked = assertOk(await h.call('PATCH', url, { as: 'editor', body: { revoked: true }, headers: { 'if-match': '"v3"' } }), 200, { etag: true });
  assert.equal(revoked.version, 4);
  assert.ok(!Number.isNaN(Date.parse(String(revoked.revoked_at))));
  assert.equal(assertOk(await h.call('GET', url, { as: 'viewer' })).revoked_at, revoked.revoked_at);

  // It stays revoked: un-revoking is refused, revoking again keeps the first time.
  assertInvalid(await h.call('PATCH', url, { as: 'editor', body: { revoked: false } }), '/revoked');
  const again = assertOk(await h.call('PATCH', url, { as: 'editor', body: { revoked: true } }));
  assert.equal(again.revoked_at, revoked.revoked_at);
  assertInvalid(await h.call('PATCH', url, { as: 'editor', body: { consumer: 'someone-else' } }), '/consumer');
  assertInvalid(await h.call('PATCH', url, { as: 'editor', body: { key: 'x'.repeat(30) } }), '/key');
  h.secret('x'.repeat(30));
  assertProblem(await h.call('PATCH', '/admin/credentials/01900000-0000-7000-8000-000000000000', { as: 'editor', body: { revoked: true } }), 404, 'not-found');
  assertProblem(await h.call('PATCH', url, { as: 'viewer', body: { revoked: true } }), 403, 'forbidden');

  const del = await h.call('DELETE', url, { as: 'editor', headers: { 'if-match': `"v${String(again.version)}"` } });
  assert.equal(del.status, 204);
  assertProblem(await h.call('GET', url, { as: 'viewer' }), 404, 'not-found');
  assertProblem(await h.call('DELETE', url, { as: 'editor' }), 404, 'not-found');
}));

test('a consumer takes its credentials and subscriptions along: renamed with it, deleted with it', () => withHarness(async (h) => {
  await consumer(h, 'acme');
  await consumer(h, 'globex');
  await create(h, 'plans', { name: 'free' });
  await create(h, 'products', { name: 'payments', plans: ['free'] });
  await create(h, 'subscriptions', { consumer: 'acme', product: 'payments', plan: 'free' });
  const keep = await create(h, 'subscriptions', { consumer: 'globex', product: 'payments', plan: 'free' });
  const ids: string[] = [];
  for (const who of ['acme', 'acme', 'globex']) {
    const r = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: who, type: 'key-auth' } });
    h.secret(String(r.body.key), r.index);
    ids.push(String(r.body.id));
  }
  const basic = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'basic-auth', username: 'acme-basic', password: 'pa55word-acme' } });
  h.secret('pa55word-acme');
  ids.splice(2, 0, String(basic.body.id));

  assertOk(await h.call('PATCH', '/admin/consumers/acme', { as: 'editor', body: { name: 'acme-corp' } }));
  assert.deepEqual((await listAll(h, '/admin/credentials?consumer=acme-corp')).map((c) => c.id), [ids[0], ids[1], ids[2]]);
  assert.deepEqual(await listAll(h, '/admin/credentials?consumer=acme'), []);
  assert.deepEqual((await listAll(h, '/admin/subscriptions?consumer=acme-corp')).map((s) => s.product), ['payments']);

  assert.equal((await h.call('DELETE', '/admin/consumers/acme-corp', { as: 'editor' })).status, 204);
  for (const id of ids.slice(0, 3)) assertProblem(await h.call('GET', `/admin/credentials/${id}`, { as: 'viewer' }), 404, 'not-found');
  assert.deepEqual((await listAll(h, '/admin/credentials')).map((c) => c.id), [ids[3]]);
  assert.deepEqual((await listAll(h, '/admin/subscriptions')).map((s) => s.id), [keep.id]);
  // The username is free again.
  const reuse = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'globex', type: 'basic-auth', username: 'acme-basic', password: 'pa55word-globex' } });
  h.secret('pa55word-globex');
  assert.equal(reuse.status, 201, reuse.text);
}));

test('listing: pages of credentials, filtered by consumer; bad paging parameters are 400', () => withHarness(async (h) => {
  await consumer(h, 'acme');
  await consumer(h, 'globex');
  const made: string[] = [];
  for (let i = 0; i < 9; i++) {
    const r = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: i % 3 === 0 ? 'globex' : 'acme', type: 'key-auth' } });
    h.secret(String(r.body.key), r.index);
    made.push(String(r.body.id));
  }
  const all = await listAll(h, '/admin/credentials?limit=4');
  assert.deepEqual(all.map((c) => c.id), made, 'creation order, no duplicates, no gaps');
  all.forEach(assertPresented);
  assert.deepEqual((await listAll(h, '/admin/credentials?consumer=globex&limit=2')).map((c) => c.id), [made[0], made[3], made[6]]);
  for (const q of ['limit=0', 'limit=abc', 'cursor=nope']) assertInvalid(await h.call('GET', `/admin/credentials?${q}`, { as: 'viewer' }), '');
}));
