// Admin API authentication (bearer tokens: every failure alike), role checks over the whole
// operation table (viewer < editor < admin), and DB-less read-only mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOOTSTRAP_TOKEN, assertOk, assertProblem, create, problemSansRequest, revision, routeBody, serviceBody, withHarness,
  type Harness, type Json, type Reply,
} from './helpers.ts';
import type { Operation } from '../../src/admin/api/types.ts';

/** A concrete URL for an operation's path (placeholders filled with names that may not exist). */
const urlOf = (op: Operation) => op.path.replace(/\{[^}]+\}/g, 'placeholder');

/** A body the operation's schema accepts, where it takes one (so only the guard under test can refuse it). */
function bodyOf(op: Operation): Json | undefined {
  if (op.body === undefined) return undefined;
  const bodies: Record<string, Json> = {
    'create-service': serviceBody('guarded'), 'replace-service': serviceBody('guarded'),
    'create-route': routeBody('guarded', 'svc'), 'replace-route': routeBody('guarded', 'svc'),
    'create-credential': { consumer: 'acme', type: 'key-auth' },
    'create-admin-user': { name: 'guarded', role: 'viewer' }, 'replace-admin-user': { name: 'guarded', role: 'viewer' },
    'create-admin-token': { name: 'guarded' },
    'diff-config': {}, 'apply-config': {},
  };
  return bodies[op.id] ?? {};
}

async function unauthenticated(h: Harness, method: string, url: string, body?: Json): Promise<Reply[]> {
  const unknown = 'pcat_' + 'A'.repeat(43);
  const variants: { authorization?: string }[] = [
    {}, // no header
    { authorization: '' },
    { authorization: 'Bearer' },
    { authorization: 'Bearer ' },
    { authorization: `Basic ${Buffer.from(`admin:${BOOTSTRAP_TOKEN}`).toString('base64')}` },
    { authorization: `Token ${BOOTSTRAP_TOKEN}` },
    { authorization: `Bearer ${BOOTSTRAP_TOKEN} extra` },
    { authorization: `Bearer ${BOOTSTRAP_TOKEN}x` },
    { authorization: `Bearer ${BOOTSTRAP_TOKEN.slice(0, -1)}` },
    { authorization: `Bearer ${'x'.repeat(600)}` },
    { authorization: `Bearer ${unknown}` },
    { authorization: `Bearer\t${BOOTSTRAP_TOKEN}` },
  ];
  const out: Reply[] = [];
  for (const v of variants) {
    out.push(await h.call(method, url, { ...(v.authorization !== undefined ? { authorization: v.authorization } : { as: 'none' }), ...(body ? { body } : {}) }));
  }
  return out;
}

test('every authentication failure answers the same 401 with WWW-Authenticate: Bearer', () => withHarness(async (h) => {
  // An expired token, issued through the API, and a revoked one.
  const expired = await h.call('POST', '/admin/users/editor/tokens', { body: { name: 'old', expires_at: '2000-01-01T00:00:00Z' } });
  assert.equal(expired.status, 201, expired.text);
  h.secret(String(expired.body.token), expired.index);
  const revoked = await h.call('POST', '/admin/users/editor/tokens', { body: { name: 'revoked' } });
  h.secret(String(revoked.body.token), revoked.index);
  assert.equal((await h.call('DELETE', `/admin/users/editor/tokens/${String(revoked.body.id)}`)).status, 204);

  for (const [method, url, body] of [
    ['GET', '/admin/services'], ['GET', '/admin/me'], ['GET', '/admin/audit'], ['GET', '/admin/services/ghost'],
    ['POST', '/admin/services', { name: 'bad name' }], ['DELETE', '/admin/users/admin'], ['POST', '/admin/config/apply', {}],
  ] as [string, string, Json?][]) {
    const replies = await unauthenticated(h, method, url, body);
    replies.push(await h.call(method, url, { token: String(expired.body.token), ...(body ? { body } : {}) }));
    replies.push(await h.call(method, url, { token: String(revoked.body.token), ...(body ? { body } : {}) }));
    const first = problemSansRequest(replies[0]!);
    const ids = new Set<unknown>();
    for (const r of replies) {
      assertProblem(r, 401, 'unauthorized');
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="portcullis-admin"');
      assert.deepEqual(problemSansRequest(r), first, `${method} ${url}: 401 bodies differ`);
      assert.deepEqual(Object.keys(r.body).sort(), ['detail', 'instance', 'request_id', 'status', 'title', 'type']);
      ids.add(r.body.request_id);
    }
    assert.equal(ids.size, replies.length, 'each answer has its own request id');
  }
  // Nothing was written by any of them.
  assert.equal((await h.call('GET', '/admin/services', { as: 'viewer' })).text, '{"data":[]}');
  assertOk(await h.call('GET', '/admin/users/admin'));
}));

test('the scheme is case-insensitive and a valid token authenticates as its user', () => withHarness(async (h) => {
  for (const [authorization, user] of [[`bearer ${BOOTSTRAP_TOKEN}`, 'admin'], [`BEARER ${h.tokens.viewer}`, 'viewer'], [`Bearer   ${h.tokens.editor}`, 'editor']] as const) {
    const me = assertOk(await h.call('GET', '/admin/me', { authorization }));
    assert.equal(me.user, user);
    assert.equal(me.role, user);
    assert.match(String(me.token_id), /^[0-9a-f]{32}$/);
  }
}));

test('roles: every operation needs its role; lower roles get 403 before anything else', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('svc'));
  await create(h, 'consumers', { name: 'acme' });
  const rev = await revision(h);
  const needed = new Map<string, number>([['viewer', 0], ['editor', 1], ['admin', 2]]);
  let checked = 0;
  for (const op of h.operations) {
    if (op.role === undefined) continue;
    for (const as of ['viewer', 'editor'] as const) {
      if (needed.get(as)! >= needed.get(op.role)!) continue;
      const body = bodyOf(op);
      const r = await h.call(op.method, urlOf(op), { as, ...(body ? { body } : {}) });
      const problem = assertProblem(r, 403, 'forbidden');
      assert.match(String(problem.detail), new RegExp(`needs the ${op.role} role; your token has ${as}`));
      checked++;
    }
  }
  assert.ok(checked >= 40, `only ${checked} refusals checked`);
  assert.equal(await revision(h), rev, 'no refused request wrote anything');
  assert.deepEqual((await h.call('GET', '/admin/audit?actor=viewer')).body.data, []);
}));

test('roles: viewer reads; editor writes config, consumers and credentials but not users or the audit log', () => withHarness(async (h) => {
  // viewer: every read of config is fine, every write is 403.
  for (const url of ['/admin/services', '/admin/routes', '/admin/plugins', '/admin/consumers', '/admin/plans', '/admin/products', '/admin/subscriptions', '/admin/credentials', '/admin/config', '/admin/specs', '/admin/me']) {
    assertOk(await h.call('GET', url, { as: 'viewer' }));
  }
  assertOk(await h.call('POST', '/admin/config/diff', { as: 'viewer', body: {} }));
  const created = await create(h, 'services', serviceBody('svc'), 'editor');
  assertOk(await h.call('GET', `/admin/services/${String(created.id)}`, { as: 'viewer' }), 200, { etag: true });
  assertProblem(await h.call('POST', '/admin/services', { as: 'viewer', body: serviceBody('mine') }), 403, 'forbidden');
  assertProblem(await h.call('PUT', '/admin/services/svc', { as: 'viewer', body: serviceBody('svc') }), 403, 'forbidden');
  assertProblem(await h.call('PATCH', '/admin/services/svc', { as: 'viewer', body: { retries: 0 } }), 403, 'forbidden');
  assertProblem(await h.call('DELETE', '/admin/services/svc', { as: 'viewer' }), 403, 'forbidden');
  assertProblem(await h.call('POST', '/admin/config/apply', { as: 'viewer', body: { services: [] } }), 403, 'forbidden');
  assertProblem(await h.call('POST', '/admin/credentials', { as: 'viewer', body: { consumer: 'acme', type: 'key-auth' } }), 403, 'forbidden');
  assertProblem(await h.call('GET', '/admin/users', { as: 'viewer' }), 403, 'forbidden');
  assert.equal(assertOk(await h.call('GET', '/admin/services/svc', { as: 'viewer' })).version, 1, 'unchanged');

  // editor: config writes go through; users, tokens and the audit log are the admin's.
  assertOk(await h.call('PATCH', '/admin/services/svc', { as: 'editor', body: { retries: 0 } }), 200, { etag: true });
  await create(h, 'consumers', { name: 'acme' }, 'editor');
  assert.equal((await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'basic-auth', username: 'acme', password: 'correct horse battery' } })).status, 201);
  h.secret('correct horse battery');
  assertOk(await h.call('POST', '/admin/config/apply?dry_run=true', { as: 'editor', body: { plans: [] } }));
  assertProblem(await h.call('GET', '/admin/users', { as: 'editor' }), 403, 'forbidden');
  assertProblem(await h.call('GET', '/admin/users/editor', { as: 'editor' }), 403, 'forbidden');
  assertProblem(await h.call('POST', '/admin/users', { as: 'editor', body: { name: 'sneaky', role: 'admin' } }), 403, 'forbidden');
  assertProblem(await h.call('PUT', '/admin/users/editor', { as: 'editor', body: { name: 'editor', role: 'admin' } }), 403, 'forbidden');
  assertProblem(await h.call('POST', '/admin/users/editor/tokens', { as: 'editor', body: { name: 'more' } }), 403, 'forbidden');
  assertProblem(await h.call('GET', '/admin/users/editor/tokens', { as: 'editor' }), 403, 'forbidden');
  assertProblem(await h.call('GET', '/admin/audit', { as: 'editor' }), 403, 'forbidden');
  assertProblem(await h.call('GET', '/admin/audit', { as: 'viewer' }), 403, 'forbidden');
  assert.equal(assertOk(await h.call('GET', '/admin/me', { as: 'editor' })).role, 'editor');

  // admin: all of it.
  assertOk(await h.call('GET', '/admin/users'));
  assertOk(await h.call('GET', '/admin/audit'));
}));

test('authentication comes before validation, 404 and role checks', () => withHarness(async (h) => {
  assertProblem(await h.call('POST', '/admin/services', { as: 'none', body: { bogus: true } }), 401, 'unauthorized');
  assertProblem(await h.call('GET', '/admin/services/ghost', { as: 'none' }), 401, 'unauthorized');
  assertProblem(await h.call('GET', '/admin/audit', { as: 'none' }), 401, 'unauthorized');
  assertProblem(await h.call('POST', '/admin/services', { as: 'viewer', body: { bogus: true } }), 403, 'forbidden');
  assertProblem(await h.call('DELETE', '/admin/services/ghost', { as: 'viewer' }), 403, 'forbidden');
}));

test('read-only (DB-less) mode: every write answers 405 read-only-config; reads still work', () => withHarness(async (h) => {
  const rev = await revision(h);
  const writes = h.operations.filter((op) => op.write);
  assert.ok(writes.length >= 30, `${writes.length} write operations`);
  for (const op of writes) {
    const body = bodyOf(op);
    const r = await h.call(op.method, urlOf(op), body ? { body } : {});
    const problem = assertProblem(r, 405, 'read-only-config');
    assert.equal(problem.title, 'Method Not Allowed');
  }
  // Whoever asks: an editor is refused the same way; a viewer is refused for the role first.
  assertProblem(await h.call('POST', '/admin/services', { as: 'editor', body: serviceBody('svc') }), 405, 'read-only-config');
  assertProblem(await h.call('POST', '/admin/config/apply?dry_run=true', { as: 'editor', body: {} }), 405, 'read-only-config');
  assertProblem(await h.call('POST', '/admin/services', { as: 'viewer', body: serviceBody('svc') }), 403, 'forbidden');
  // Reads (and the diff, which writes nothing) answer as usual.
  assert.deepEqual(assertOk(await h.call('GET', '/admin/services')).data, []);
  assertOk(await h.call('GET', '/admin/config'));
  assertOk(await h.call('POST', '/admin/config/diff', { body: { services: [serviceBody('svc')] } }));
  assertOk(await h.call('GET', '/admin/users'));
  assertOk(await h.call('GET', '/admin/audit'));
  assert.equal(assertOk(await h.call('GET', '/admin/me')).user, 'admin');
  assertProblem(await h.call('GET', '/admin/services/ghost'), 404, 'not-found');
  // Still authenticated first.
  assertProblem(await h.call('POST', '/admin/services', { as: 'none', body: serviceBody('svc') }), 401, 'unauthorized');
  assert.equal(await revision(h), rev);
  // Only the bootstrap of the admin user is in the log: refused writes leave nothing.
  assert.deepEqual((assertOk(await h.call('GET', '/admin/audit')).data as { actor: string; entity: string }[]).map((e) => `${e.actor} ${e.entity}`), ['bootstrap admin_user']);
}, { readOnly: true }));
