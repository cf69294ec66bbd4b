// The console's browser session: POST /admin/session exchanges an admin token for an HttpOnly
// cookie; the cookie authenticates when there is no Authorization header; cookie-authenticated
// unsafe requests need a same-origin Origin (or Sec-Fetch-Site: same-origin) AND
// X-Requested-With: portcullis (CSRF); bearer requests are unaffected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, createHarness, serviceBody, type Harness, type Reply } from '../admin-api/helpers.ts';

const HOST = 'console.example.test';
const SAME = { host: HOST, origin: `http://${HOST}`, 'x-requested-with': 'portcullis' };

async function withSession(fn: (h: Harness, signIn: (role: 'admin' | 'editor' | 'viewer', headers?: Record<string, string>) => Promise<{ reply: Reply; cookie: string }>) => Promise<void>): Promise<void> {
  const h = await createHarness();
  try {
    const signIn = async (role: 'admin' | 'editor' | 'viewer', headers: Record<string, string> = SAME) => {
      // A fresh token per sign-in, allowed to appear only in the answer that sets it as a cookie.
      const user = await h.store.read().getAdminUserByName(role);
      const { token } = await h.auth.issue(user!.id, `session ${Math.random()}`, null);
      const reply = await h.call('POST', '/admin/session', { as: 'none', body: { token }, headers });
      h.secret(token, reply.index);
      return { reply, cookie: `pc_admin=${token}` };
    };
    await fn(h, signIn);
    h.assertNoLeaks();
  } finally {
    await h.close();
  }
}

const setCookie = (r: Reply) => String(r.headers['set-cookie']);

test('sign-in sets an HttpOnly, SameSite=Strict cookie on /admin (Secure over https) and names the user', () => withSession(async (h, signIn) => {
  const { reply, cookie } = await signIn('editor');
  assert.equal(reply.status, 200, reply.text);
  assert.deepEqual(reply.body, { user: 'editor', role: 'editor' });
  assert.equal(reply.text.includes(cookie.slice('pc_admin='.length)), false, 'the token is not in the body');
  const header = setCookie(reply);
  assert.ok(header.startsWith(`${cookie};`), header);
  for (const attr of ['Path=/admin', 'HttpOnly', 'SameSite=Strict']) assert.ok(header.split('; ').includes(attr), `${attr} in ${header}`);
  assert.equal(header.includes('Secure'), false, 'no Secure over plain http (the cookie would never come back)');

  const https = await signIn('viewer', { ...SAME, origin: `https://${HOST}` });
  assert.equal(https.reply.status, 200, https.reply.text);
  assert.ok(setCookie(https.reply).split('; ').includes('Secure'));
  const proxied = await signIn('viewer', { ...SAME, 'x-forwarded-proto': 'https' });
  assert.ok(setCookie(proxied.reply).split('; ').includes('Secure'));
}));

test('sign-in refuses a bad token (401, no cookie), a missing X-Requested-With or a foreign origin (403)', () => withSession(async (h) => {
  const bad = await h.call('POST', '/admin/session', { as: 'none', body: { token: 'pcat_' + 'x'.repeat(43) }, headers: SAME });
  assertProblem(bad, 401, 'unauthorized');
  assert.equal(bad.headers['set-cookie'], undefined);
  const empty = await h.call('POST', '/admin/session', { as: 'none', body: { token: '' }, headers: SAME });
  assertProblem(empty, 400, 'validation-failed');
  for (const headers of [{ host: HOST, origin: `http://${HOST}` }, { ...SAME, origin: 'http://evil.example' }, { host: HOST, 'x-requested-with': 'portcullis' }] as Record<string, string>[]) {
    const r = await h.call('POST', '/admin/session', { as: 'none', body: { token: h.tokens.admin }, headers });
    assertProblem(r, 403, 'forbidden');
    assert.equal(r.headers['set-cookie'], undefined);
  }
}));

test('the cookie authenticates reads; unsafe requests need a same origin AND X-Requested-With', () => withSession(async (h, signIn) => {
  const { cookie } = await signIn('editor');
  const me = await h.call('GET', '/admin/me', { as: 'none', headers: { cookie, host: HOST } });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.user, 'editor');
  // Among other cookies, with spaces.
  assert.equal((await h.call('GET', '/admin/services', { as: 'none', headers: { cookie: `theme=dark; ${cookie}; other=1`, host: HOST } })).status, 200);

  const refused: Record<string, string>[] = [
    { cookie, host: HOST }, // neither Origin nor Sec-Fetch-Site
    { cookie, host: HOST, 'x-requested-with': 'portcullis' }, // no Origin / Sec-Fetch-Site
    { cookie, host: HOST, origin: `http://${HOST}` }, // no X-Requested-With
    { cookie, host: HOST, origin: 'http://evil.example', 'x-requested-with': 'portcullis' }, // another site
    { cookie, host: HOST, origin: `http://${HOST}:8081`, 'x-requested-with': 'portcullis' }, // another port is another origin
    { cookie, host: HOST, origin: 'null', 'x-requested-with': 'portcullis' }, // sandboxed or file origin
    { cookie, host: HOST, 'sec-fetch-site': 'cross-site', 'x-requested-with': 'portcullis' },
    { cookie, host: HOST, 'sec-fetch-site': 'same-site', 'x-requested-with': 'portcullis' },
    { cookie, host: HOST, origin: `http://${HOST}`, 'x-requested-with': 'XMLHttpRequest' },
  ];
  for (const headers of refused) {
    const r = await h.call('POST', '/admin/services', { as: 'none', body: serviceBody('csrf'), headers });
    assertProblem(r, 403, 'forbidden');
    for (const method of ['PATCH', 'DELETE'] as const) assertProblem(await h.call(method, '/admin/services/csrf', { as: 'none', ...(method === 'PATCH' ? { body: { path: '/x' } } : {}), headers }), 403, 'forbidden');
  }
  assert.equal((await h.call('GET', '/admin/services/csrf')).status, 404, 'nothing was created');

  const byOrigin = await h.call('POST', '/admin/services', { as: 'none', body: serviceBody('via-origin'), headers: { cookie, ...SAME } });
  assert.equal(byOrigin.status, 201, byOrigin.text);
  const byFetchMetadata = await h.call('POST', '/admin/services', { as: 'none', body: serviceBody('via-fetch-site'), headers: { cookie, host: HOST, 'sec-fetch-site': 'same-origin', 'x-requested-with': 'portcullis' } });
  assert.equal(byFetchMetadata.status, 201, byFetchMetadata.text);
  // The audit log names the session's user.
  const audit = await h.call('GET', '/admin/audit?entity=service');
  assert.ok((audit.body.data as { actor: string; entity_key: string }[]).some((e) => e.actor === 'editor' && e.entity_key === 'via-origin'));
}));

test('bearer tokens are unaffected by the CSRF checks, and an Authorization header wins over the cookie', () => withSession(async (h, signIn) => {
  const { cookie } = await signIn('admin');
  // A bearer write needs no Origin or X-Requested-With (browsers never attach Authorization by themselves).
  assert.equal((await h.call('POST', '/admin/services', { body: serviceBody('bearer') })).status, 201);
  // A wrong bearer with a valid cookie: the header decides, so 401.
  const r = await h.call('GET', '/admin/me', { authorization: 'Bearer pcat_wrong-token-0000000000000000000', headers: { cookie } });
  assertProblem(r, 401, 'unauthorized');
}));

test('roles still apply to a session; a cookie of a revoked token stops working; sign-out clears the cookie', () => withSession(async (h, signIn) => {
  const viewer = await signIn('viewer');
  assert.equal((await h.call('GET', '/admin/services', { as: 'none', headers: { cookie: viewer.cookie } })).status, 200);
  assertProblem(await h.call('POST', '/admin/services', { as: 'none', body: serviceBody('nope'), headers: { cookie: viewer.cookie, ...SAME } }), 403, 'forbidden');

  const admin = await signIn('admin');
  const tokens = await h.call('GET', '/admin/users/admin/tokens');
  const session = (tokens.body.data as { id: string; name: string }[]).find((t) => t.name.startsWith('session'));
  assert.ok(session);
  assert.equal((await h.call('DELETE', `/admin/users/admin/tokens/${session.id}`)).status, 204);
  assertProblem(await h.call('GET', '/admin/me', { as: 'none', headers: { cookie: admin.cookie } }), 401, 'unauthorized');

  const out = await h.call('DELETE', '/admin/session', { as: 'none', headers: { cookie: viewer.cookie, ...SAME } });
  assert.equal(out.status, 204);
  const cleared = setCookie(out);
  assert.ok(cleared.startsWith('pc_admin=;'), cleared);
  assert.ok(cleared.split('; ').includes('Max-Age=0'));
  assert.ok(cleared.split('; ').includes('Path=/admin'));
}));
