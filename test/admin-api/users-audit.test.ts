// Admin users and their tokens (/admin/me, /admin/users, /admin/users/{id}/tokens), the last-admin
// guard, and the audit log (/admin/audit): every write with its actor, before/after and request id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  UUID_RE, assertInvalid, assertOk, assertProblem, create, listAll, routeBody, serviceBody, withHarness, type Harness, type Json,
} from './helpers.ts';

const TOKEN_FIELDS = ['created_at', 'expires_at', 'id', 'last_used_at', 'name'];

async function issue(h: Harness, user: string, body: Json = { name: 'ci' }): Promise<{ token: string; id: string; reply: Json }> {
  const r = await h.call('POST', `/admin/users/${user}/tokens`, { body });
  const b = assertOk(r, 201);
  h.secret(String(b.token), r.index);
  return { token: String(b.token), id: String(b.id), reply: b };
}

test('/admin/me names the token’s user and role', () => withHarness(async (h) => {
  for (const as of ['admin', 'editor', 'viewer'] as const) {
    const me = assertOk(await h.call('GET', '/admin/me', { as }));
    assert.deepEqual(Object.keys(me).sort(), ['role', 'token_id', 'user']);
    assert.equal(me.user, as);
    assert.equal(me.role, as);
  }
}));

test('users: create, read by id and name, list, replace, delete; validation and conflicts', () => withHarness(async (h) => {
  const r = await h.call('POST', '/admin/users', { body: { name: 'dana', email: 'dana@example.com', role: 'editor' } });
  const dana = assertOk(r, 201, { etag: true });
  assert.match(String(dana.id), UUID_RE);
  assert.equal(r.headers.location, `/admin/users/${String(dana.id)}`);
  assert.deepEqual(Object.keys(dana).sort(), ['created_at', 'email', 'id', 'name', 'role', 'updated_at', 'version']);
  assert.deepEqual(assertOk(await h.call('GET', String(r.headers.location)), 200, { etag: true }), dana);
  assert.deepEqual(assertOk(await h.call('GET', '/admin/users/dana'), 200, { etag: true }), dana);
  assert.deepEqual((await listAll(h, '/admin/users?limit=2', 'admin')).map((u) => u.name), ['admin', 'editor', 'viewer', 'dana']);

  assertProblem(await h.call('POST', '/admin/users', { body: { name: 'dana', role: 'viewer' } }), 409, 'conflict');
  assertInvalid(await h.call('POST', '/admin/users', { body: { name: 'x', role: 'root' } }), '/role');
  assertInvalid(await h.call('POST', '/admin/users', { body: { name: 'x', role: 'viewer', email: 'not-an-email' } }), '/email');
  assertInvalid(await h.call('POST', '/admin/users', { body: { name: 'x', role: 'viewer', password: 'hunter2hunter2' } }), '/password');
  assertInvalid(await h.call('POST', '/admin/users', { body: { role: 'viewer' } }), '/name');
  assertProblem(await h.call('GET', '/admin/users/nobody'), 404, 'not-found');

  assertProblem(await h.call('PUT', '/admin/users/dana', { body: { name: 'dana', role: 'viewer' }, headers: { 'if-match': '"v9"' } }), 412, 'precondition-failed');
  const replaced = assertOk(await h.call('PUT', '/admin/users/dana', { body: { name: 'dana-s', role: 'viewer' }, headers: { 'if-match': '"v1"' } }), 200, { etag: true });
  assert.equal(replaced.version, 2);
  assert.equal(replaced.email, undefined, 'PUT replaces: no email now');
  assertProblem(await h.call('PUT', '/admin/users/dana-s', { body: { name: 'editor', role: 'viewer' } }), 409, 'conflict');
  assertProblem(await h.call('DELETE', '/admin/users/dana-s', { headers: { 'if-match': '"v1"' } }), 412, 'precondition-failed');
  assert.equal((await h.call('DELETE', '/admin/users/dana-s', { headers: { 'if-match': '"v2"' } })).status, 204);
  assertProblem(await h.call('GET', `/admin/users/${String(dana.id)}`), 404, 'not-found');
  assertProblem(await h.call('DELETE', '/admin/users/dana-s'), 404, 'not-found');
}));

test('tokens: shown once, listed without secrets, work until deleted', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('svc'));
  assertOk(await h.call('POST', '/admin/users', { body: { name: 'ci-bot', role: 'editor' } }), 201);
  const one = await issue(h, 'ci-bot', { name: 'deploys', expires_at: '2099-01-01T00:00:00Z' });
  const two = await issue(h, 'ci-bot', { name: 'backups' });
  assert.match(one.token, /^pcat_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(one.token, two.token);
  assert.match(one.id, /^[0-9a-f]{32}$/);
  assert.equal(one.reply.name, 'deploys');
  assert.equal(one.reply.expires_at, '2099-01-01T00:00:00Z');

  const me = assertOk(await h.call('GET', '/admin/me', { token: one.token }));
  assert.deepEqual(me, { user: 'ci-bot', role: 'editor', token_id: one.id });
  assertOk(await h.call('PATCH', '/admin/services/svc', { token: two.token, body: { retries: 1 } }));

  const listed = assertOk(await h.call('GET', '/admin/users/ci-bot/tokens'));
  const tokens = listed.data as Json[];
  assert.deepEqual(tokens.map((t) => t.name).sort(), ['backups', 'deploys']);
  for (const t of tokens) {
    assert.deepEqual(Object.keys(t).filter((k) => !TOKEN_FIELDS.includes(k)), [], 'no secret or hash in a token listing');
    assert.doesNotMatch(JSON.stringify(t), /[0-9a-f]{64}|pcat_/);
  }
  assert.equal(typeof tokens.find((t) => t.name === 'deploys')!.last_used_at, 'string', 'last_used_at after use');
  assertInvalid(await h.call('POST', '/admin/users/ci-bot/tokens', { body: { name: '' } }), '/name');
  assertInvalid(await h.call('POST', '/admin/users/ci-bot/tokens', { body: { name: 'x', expires_at: 'soon' } }), '/expires_at');
  assertInvalid(await h.call('POST', '/admin/users/ci-bot/tokens', { body: { name: 'x', token: 'pcat_mine' } }), '/token');
  assertProblem(await h.call('POST', '/admin/users/nobody/tokens', { body: { name: 'x' } }), 404, 'not-found');
  assertProblem(await h.call('GET', '/admin/users/nobody/tokens'), 404, 'not-found');

  // Deleting a token: that one stops working at once; the other does not.
  assertProblem(await h.call('DELETE', `/admin/users/editor/tokens/${one.id}`), 404, 'not-found');
  assertProblem(await h.call('DELETE', '/admin/users/ci-bot/tokens/0123456789abcdef0123456789abcdef'), 404, 'not-found');
  assert.equal((await h.call('DELETE', `/admin/users/ci-bot/tokens/${one.id}`)).status, 204);
  assertProblem(await h.call('GET', '/admin/me', { token: one.token }), 401, 'unauthorized');
  assertProblem(await h.call('PATCH', '/admin/services/svc', { token: one.token, body: { retries: 2 } }), 401, 'unauthorized');
  assert.equal(assertOk(await h.call('GET', '/admin/me', { token: two.token })).user, 'ci-bot');
  assertProblem(await h.call('DELETE', `/admin/users/ci-bot/tokens/${one.id}`), 404, 'not-found');
  assert.deepEqual((assertOk(await h.call('GET', '/admin/users/ci-bot/tokens')).data as Json[]).map((t) => t.name), ['backups']);

  // An expired token is refused like an unknown one.
  const old = await issue(h, 'ci-bot', { name: 'old', expires_at: '2001-01-01T00:00:00Z' });
  assertProblem(await h.call('GET', '/admin/me', { token: old.token }), 401, 'unauthorized');

  // Deleting the user ends all their tokens.
  assert.equal((await h.call('DELETE', '/admin/users/ci-bot')).status, 204);
  assertProblem(await h.call('GET', '/admin/me', { token: two.token }), 401, 'unauthorized');
}));

test('a role change applies to the user’s existing tokens at once', () => withHarness(async (h) => {
  assertOk(await h.call('POST', '/admin/services', { as: 'editor', body: serviceBody('a') }), 201);
  assertOk(await h.call('PUT', '/admin/users/editor', { body: { name: 'editor', role: 'viewer' } }));
  assertProblem(await h.call('POST', '/admin/services', { as: 'editor', body: serviceBody('b') }), 403, 'forbidden');
  assertOk(await h.call('PUT', '/admin/users/viewer', { body: { name: 'viewer', role: 'admin' } }));
  assertOk(await h.call('GET', '/admin/audit', { as: 'viewer' }));
}));

test('the last admin cannot be deleted or demoted, even by two requests at once', () => withHarness(async (h) => {
  assertProblem(await h.call('DELETE', '/admin/users/admin'), 409, 'conflict');
  assertProblem(await h.call('PUT', '/admin/users/admin', { body: { name: 'admin', role: 'editor' } }), 409, 'conflict');
  // Renaming the last admin is fine; it stays an admin.
  assert.equal(assertOk(await h.call('PUT', '/admin/users/admin', { body: { name: 'root', role: 'admin' } })).name, 'root');
  assertOk(await h.call('GET', '/admin/me'));

  assertOk(await h.call('POST', '/admin/users', { body: { name: 'second', role: 'admin' } }), 201);
  const second = await issue(h, 'second');
  // Two admins deleting each other at the same moment: one of them must stay.
  const [a, b] = await Promise.all([
    h.call('DELETE', '/admin/users/second'),
    h.call('DELETE', '/admin/users/root', { token: second.token }),
  ]);
  // The loser is refused by the guard (409) or, when the winner committed before it was even
  // authenticated, for its deleted user's token (401).
  const statuses = [a.status, b.status].sort();
  assert.equal(statuses[0], 204, JSON.stringify(statuses));
  assert.ok([401, 409].includes(statuses[1]!), JSON.stringify(statuses));
  const admins = await h.store.read().listAdminUsers({ limit: 100 });
  assert.equal(admins.data.filter((u) => u.role === 'admin').length, 1);

  // The same race with demotions.
  const survivor = admins.data.find((u) => u.role === 'admin')!;
  const survivorToken = survivor.name === 'root' ? h.tokens.admin : second.token;
  assertOk(await h.call('POST', '/admin/users', { token: survivorToken, body: { name: 'third', role: 'admin' } }), 201);
  const third = await issue2(h, survivorToken, 'third');
  const [c, d] = await Promise.all([
    h.call('PUT', '/admin/users/third', { token: survivorToken, body: { name: 'third', role: 'viewer' } }),
    h.call('PUT', `/admin/users/${survivor.name}`, { token: third, body: { name: survivor.name, role: 'viewer' } }),
  ]);
  const demoted = [c.status, d.status].sort();
  assert.equal(demoted[0], 200, JSON.stringify(demoted));
  assert.ok([403, 409].includes(demoted[1]!), JSON.stringify(demoted));
  const after = await h.store.read().listAdminUsers({ limit: 100 });
  assert.equal(after.data.filter((u) => u.role === 'admin').length, 1);
}));

async function issue2(h: Harness, token: string, user: string): Promise<string> {
  const r = await h.call('POST', `/admin/users/${user}/tokens`, { token, body: { name: 'race' } });
  assert.equal(r.status, 201, r.text);
  h.secret(String(r.body.token), r.index);
  return String(r.body.token);
}

test('audit: every write is logged with its actor, before/after and request id, newest first', () => withHarness(async (h) => {
  // The bootstrap created user "admin"; the harness made users "editor" and "viewer" and their tokens.
  const start = (assertOk(await h.call('GET', '/admin/audit?limit=1000')).data as Json[]).length;
  assert.equal(start, 5, 'the bootstrap admin, then users editor and viewer and their tokens');

  const svc = await create(h, 'services', serviceBody('billing'), 'editor');
  const route = await create(h, 'routes', routeBody('invoices', 'billing'), 'editor');
  const plugin = await create(h, 'plugins', { name: 'ip-restriction', route: 'invoices', config: { deny: ['10.0.0.1'] } }, 'editor');
  assertOk(await h.call('PATCH', '/admin/services/billing', { as: 'editor', body: { retries: 4 } }));
  await create(h, 'consumers', { name: 'acme' }, 'admin');
  const cred = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth' } });
  h.secret(String(cred.body.key), cred.index);
  assertOk(await h.call('PATCH', `/admin/credentials/${String(cred.body.id)}`, { as: 'editor', body: { revoked: true } }));
  assertOk(await h.call('POST', '/admin/config/apply', { as: 'editor', body: { plans: [{ name: 'free' }] } }));
  const delRoute = await h.call('DELETE', '/admin/routes/invoices', { as: 'editor' });
  assert.equal(delRoute.status, 204);
  assertOk(await h.call('POST', '/admin/users', { body: { name: 'erin', role: 'viewer' } }), 201);
  const tok = await issue(h, 'erin');
  assert.equal((await h.call('DELETE', `/admin/users/erin/tokens/${tok.id}`)).status, 204);

  // Refused writes leave no trace.
  assertProblem(await h.call('POST', '/admin/services', { as: 'editor', body: serviceBody('billing') }), 409, 'conflict');
  assertInvalid(await h.call('POST', '/admin/routes', { as: 'editor', body: routeBody('x', 'ghost') }), '/service');
  assertProblem(await h.call('PATCH', '/admin/services/billing', { as: 'editor', body: { retries: 1 }, headers: { 'if-match': '"v1"' } }), 412, 'precondition-failed');
  assertProblem(await h.call('POST', '/admin/services', { as: 'viewer', body: serviceBody('nope') }), 403, 'forbidden');
  assertProblem(await h.call('POST', '/admin/services', { as: 'none', body: serviceBody('anon') }), 401, 'unauthorized');
  assert.equal(assertOk(await h.call('POST', '/admin/config/apply?dry_run=true', { as: 'editor', body: { plans: [] } })).applied, false);

  const entries = (await listAll(h, '/admin/audit?limit=4', 'admin')).slice(0, -start);
  const line = (e: Json) => `${String(e.actor)} ${String(e.action)} ${String(e.entity)} ${String(e.entity_key)}`;
  assert.deepEqual(entries.map(line), [
    'admin delete admin_token erin/ci',
    'admin create admin_token erin/ci',
    'admin create admin_user erin',
    'editor delete plugin ip-restriction@route:invoices',
    'editor delete route invoices',
    'editor create plan free',
    'editor update credential ' + String(cred.body.display),
    'editor create credential ' + String(cred.body.display),
    'admin create consumer acme',
    'editor update service billing',
    'editor create plugin ip-restriction@route:invoices',
    'editor create route invoices',
    'editor create service billing',
  ], 'newest first, and nothing for refused writes or dry runs');

  const all = await listAll(h, '/admin/audit?limit=1000', 'admin');
  for (let i = 1; i < all.length; i++) {
    assert.ok(String(all[i - 1]!.id) > String(all[i]!.id), 'ids descend');
    assert.ok(String(all[i - 1]!.at) >= String(all[i]!.at), 'times do not ascend');
  }
  for (const e of entries) {
    assert.deepEqual(Object.keys(e).sort(), ['action', 'actor', 'after', 'at', 'before', 'entity', 'entity_id', 'entity_key', 'id', 'request_id']);
    assert.match(String(e.request_id), /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(String(e.at))));
  }
  // One request id per request: the cascade shares the delete's; different requests differ.
  const [tokDel, tokCreate, userCreate, pluginDel, routeDel, planCreate, credUpdate, credCreate, , svcUpdate, pluginCreate, routeCreate, svcCreate] = entries as [Json, Json, Json, Json, Json, Json, Json, Json, Json, Json, Json, Json, Json];
  assert.equal(pluginDel.request_id, routeDel.request_id);
  assert.equal(new Set(entries.map((e) => e.request_id)).size, entries.length - 1);
  // No request id of an answered problem was logged (those requests wrote nothing).
  const problemIds = new Set(h.received.filter((r) => r.status >= 400).map((r) => r.body.request_id));
  assert.ok(entries.every((e) => !problemIds.has(e.request_id)));

  // Before and after.
  assert.equal(svcCreate.before, null);
  assert.equal(svcCreate.entity_id, svc.id);
  assert.deepEqual((svcCreate.after as Json).targets, svc.targets);
  assert.equal((svcUpdate.before as Json).retries, 2);
  assert.equal((svcUpdate.after as Json).retries, 4);
  assert.equal(routeCreate.entity_id, route.id);
  assert.equal(pluginCreate.entity_id, plugin.id);
  assert.deepEqual((pluginCreate.after as Json).config, { deny: ['10.0.0.1'] });
  assert.equal(routeDel.after, null);
  assert.equal((routeDel.before as Json).name, 'invoices');
  assert.equal(pluginDel.entity_id, plugin.id);
  assert.match(String(planCreate.entity_id), UUID_RE);
  assert.equal((planCreate.after as Json).name, 'free');
  assert.equal((credCreate.after as Json).display, cred.body.display);
  assert.equal((credUpdate.before as Json).revoked_at, undefined);
  assert.equal(typeof (credUpdate.after as Json).revoked_at, 'string');
  assert.equal((userCreate.after as Json).role, 'viewer');
  assert.equal(tokCreate.entity_id, tok.id);
  assert.equal(tokDel.after, null);

  // Filters.
  const q = async (query: string) => (await listAll(h, `/admin/audit?${query}`, 'admin')).map(line);
  assert.deepEqual(await q('entity=route'), ['editor delete route invoices', 'editor create route invoices']);
  assert.deepEqual(await q(`entity_id=${String(svc.id)}`), ['editor update service billing', 'editor create service billing']);
  assert.deepEqual(await q('actor=admin&limit=2'), [
    'admin delete admin_token erin/ci', 'admin create admin_token erin/ci', 'admin create admin_user erin', 'admin create consumer acme',
    'admin create admin_token viewer/viewer token', 'admin create admin_user viewer', 'admin create admin_token editor/editor token', 'admin create admin_user editor',
  ]);
  assert.deepEqual(await q('actor=viewer'), []);
  assert.deepEqual(await q('entity=credential&actor=editor'), [line(credUpdate), line(credCreate)]);
  assert.deepEqual(await q('since=2999-01-01T00:00:00Z'), []);
  assert.equal((await q(`since=${encodeURIComponent(String(svcCreate.at))}`)).length >= entries.length, true);
  assertInvalid(await h.call('GET', '/admin/audit?since=yesterday'), '');
  assertInvalid(await h.call('GET', '/admin/audit?limit=0'), '');
  assertInvalid(await h.call('GET', '/admin/audit?cursor=bogus'), '');
}));

test('audit: deleting a consumer logs the deletion of its credentials', () => withHarness(async (h) => {
  await create(h, 'consumers', { name: 'acme' });
  const cred = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth' } });
  h.secret(String(cred.body.key), cred.index);
  assert.equal((await h.call('DELETE', '/admin/consumers/acme', { as: 'editor' })).status, 204);
  const history = await listAll(h, `/admin/audit?entity_id=${String(cred.body.id)}`, 'admin');
  assert.deepEqual(history.map((e) => e.action), ['delete', 'create']);
}));
