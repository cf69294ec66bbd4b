// Accounts and sessions through the real admin server: sign-up without account enumeration, email
// verification (single use, expiry), login and the session cookie (flags, rotation, idle and
// absolute expiry), logout, CSRF (token and origin), password change and reset (revoking
// sessions), throttling per address and per account.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, PUBLIC_URL, assertProblem, withPortal, type Reply } from './helpers.ts';

const sansRequest = (r: Reply) => {
  const { request_id: _r, instance: _i, ...rest } = r.body;
  return rest;
};
const HOUR = 3_600_000;

test('sign-up answers alike for a new and a taken address; only the new one gets a verification link', async () => {
  await withPortal(async (h) => {
    const c = h.client();
    const first = await c.post('/portal/api/signup', { email: 'Ada@Example.com', password: PASSWORD });
    const again = await c.post('/portal/api/signup', { email: 'ada@example.com', password: 'another password!!' });
    assert.equal(first.status, 202);
    assert.equal(again.status, 202);
    assert.deepEqual(first.body, again.body);
    assert.deepEqual(h.mails.map((m) => [m.kind, m.to, m.link !== undefined]), [['verify-email', 'ada@example.com', true], ['account-exists', 'ada@example.com', false]]);
    assert.ok(h.mails[0]!.link!.startsWith(`${PUBLIC_URL}/verify-email?token=`));
    // The stored token is a hash: the link's token is nowhere in the database.
    const token = h.tokenFrom('ada@example.com', 'verify-email');
    assert.equal(await h.store.read().portal.getToken(token), undefined);

    const short = await c.post('/portal/api/signup', { email: 'bob@example.com', password: 'too short' });
    assertProblem(short, 400, 'validation-failed');
    assertProblem(await c.post('/portal/api/signup', { email: 'not an address', password: PASSWORD }), 400, 'validation-failed');
  });
});

test('login: unknown address and wrong password fail alike; unverified users log in; the cookie has its flags', async () => {
  await withPortal(async (h) => {
    await h.user('dev@example.com', { verified: false });
    const c = h.client();
    const unknown = await c.post('/portal/api/session', { email: 'nobody@example.com', password: PASSWORD });
    const wrong = await c.post('/portal/api/session', { email: 'dev@example.com', password: 'wrong password 123' });
    assertProblem(unknown, 401, 'invalid-credentials');
    assert.deepEqual(sansRequest(unknown), sansRequest(wrong));
    assert.equal(unknown.headers['set-cookie'], undefined);

    const ok = await c.login('DEV@example.com');
    const cookie = String(ok.headers['set-cookie']);
    assert.match(cookie, /^portcullis_session=[A-Za-z0-9_-]{43}; /);
    for (const flag of ['HttpOnly', 'SameSite=Lax', 'Path=/portal/api', `Max-Age=${h.settings.sessionMaxMs / 1000}`]) assert.ok(cookie.includes(flag), `${flag} in ${cookie}`);
    assert.ok(!cookie.includes('Secure'), 'not Secure over plain http unless the node says so');
    assert.equal((ok.body.account as { verified: boolean }).verified, false);
    const session = await c.get('/portal/api/session');
    assert.equal(session.body.authenticated, true);
    assert.equal(session.body.csrf_token, c.csrf);
    assert.equal((await h.client().get('/portal/api/session')).body.authenticated, false);
    assertProblem(await h.client().get('/portal/api/account'), 401, 'unauthorized');
  });
  await withPortal(async (h) => {
    const { client } = await h.user('secure@example.com');
    const r = await client.login('secure@example.com');
    assert.match(String(r.headers['set-cookie']), /; Secure$/);
  }, { settings: { secureCookies: true } });
});

test('verification: the link works once, and not after it expires', async () => {
  await withPortal(async (h) => {
    const { client } = await h.user('v@example.com', { verified: false });
    const token = h.tokenFrom('v@example.com', 'verify-email');
    const anon = h.client();
    assert.equal((await anon.post('/portal/api/account/verify', { token })).status, 200);
    assertProblem(await anon.post('/portal/api/account/verify', { token }), 400, 'token-invalid');
    assert.equal(((await client.get('/portal/api/account')).body).verified, true);

    const { client: late } = await h.user('late@example.com', { verified: false });
    const first = h.tokenFrom('late@example.com', 'verify-email');
    assert.equal((await late.post('/portal/api/account/verification')).status, 202);
    const second = h.tokenFrom('late@example.com', 'verify-email');
    assert.notEqual(first, second);
    h.advance(h.settings.verifyTtlMs + 1000);
    assertProblem(await anon.post('/portal/api/account/verify', { token: first }), 400, 'token-invalid');
    assertProblem(await anon.post('/portal/api/account/verify', { token: second }), 400, 'token-invalid');
    assertProblem(await anon.post('/portal/api/account/verify', { token: 'made-up' }), 400, 'token-invalid');
  });
});

test('sessions: rotated on login, ended by logout, expire when idle and at their absolute end', async () => {
  await withPortal(async (h) => {
    const { client } = await h.user('s@example.com');
    const before = client.cookie!;
    await client.login('s@example.com');
    assert.notEqual(client.cookie, before, 'a new session id on every login');
    const stale = h.client();
    stale.cookie = before;
    assertProblem(await stale.get('/portal/api/account'), 401, 'unauthorized');
    const cleared = await stale.get('/portal/api/session');
    assert.equal(cleared.body.authenticated, false);
    assert.match(String(cleared.headers['set-cookie']), /^portcullis_session=; .*Max-Age=0/, 'a dead session’s cookie is cleared');

    const kept = client.cookie!;
    assert.equal((await client.delete('/portal/api/session')).status, 204);
    assert.equal(client.cookie, undefined, 'the cookie is cleared');
    const replay = h.client();
    replay.cookie = kept;
    assertProblem(await replay.get('/portal/api/account'), 401, 'unauthorized');

    await client.login('s@example.com');
    h.advance(h.settings.sessionIdleMs - 60_000);
    assert.equal((await client.get('/portal/api/account')).status, 200, 'still within the idle window');
    h.advance(h.settings.sessionIdleMs + 1000);
    assertProblem(await client.get('/portal/api/account'), 401, 'unauthorized');
    const idleId = (await h.store.read().portal.getUserByEmail('s@example.com'))!.id;
    const pruned = await h.portal.prune();
    assert.ok(pruned.sessions >= 1 && pruned.tokens >= 0, JSON.stringify(pruned));
    assert.equal(await h.store.write((tx) => tx.portal.deleteSessionsOf(idleId)), 0, 'the idle session row is gone');

    await client.login('s@example.com');
    const step = Math.min(h.settings.sessionIdleMs / 2, HOUR);
    for (let t = step; t < h.settings.sessionMaxMs; t += step) {
      h.advance(step);
      assert.equal((await client.get('/portal/api/account')).status, 200);
    }
    h.advance(step);
    assertProblem(await client.get('/portal/api/account'), 401, 'unauthorized');
  }, { settings: { sessionIdleMs: 2 * HOUR, sessionMaxMs: 12 * HOUR } });
});

test('CSRF: a logged-in unsafe request needs the session’s token and a same-site origin', async () => {
  await withPortal(async (h) => {
    const { client } = await h.user('c@example.com');
    const create = (o: Parameters<typeof client.post>[2] = {}) => client.post('/portal/api/teams', { name: 'Team' }, o);
    assertProblem(await create({ noCsrf: true }), 403, 'csrf-failed');
    assertProblem(await create({ noCsrf: true, headers: { 'x-csrf-token': 'x'.repeat(43) } }), 403, 'csrf-failed');
    const { client: other } = await h.user('other@example.com');
    assertProblem(await create({ noCsrf: true, headers: { 'x-csrf-token': other.csrf! } }), 403, 'csrf-failed');
    assertProblem(await create({ headers: { origin: 'https://evil.example' } }), 403, 'csrf-failed');
    assertProblem(await create({ headers: { 'sec-fetch-site': 'cross-site' } }), 403, 'csrf-failed');
    assertProblem(await create({ headers: { 'sec-fetch-site': 'same-site' } }), 403, 'csrf-failed');
    assert.equal((await create({ headers: { 'sec-fetch-site': 'same-origin' } })).status, 201);
    assert.equal((await create({ headers: { origin: 'http://localhost:80' } })).status, 201, 'the origin the request was sent to counts as own');
    // Logging in from another site is refused too (login CSRF), and reads need no token.
    assertProblem(await h.client().post('/portal/api/session', { email: 'c@example.com', password: PASSWORD }, { headers: { origin: 'https://evil.example' } }), 403, 'csrf-failed');
    assert.equal((await client.get('/portal/api/teams', { headers: { origin: 'https://evil.example' } })).status, 200);
    // What an HTML form could send cross-site without a preflight is not accepted as a body.
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const form = await h.app.inject({ method: 'POST', url: '/portal/api/session', headers: { 'content-type': type }, payload: 'email=c%40example.com' });
      assert.equal(form.statusCode, 415, `${type}: ${form.body}`);
    }
  });
});

test('password change ends the other sessions; reset by mail ends them all and works once', async () => {
  await withPortal(async (h) => {
    const { client } = await h.user('p@example.com');
    const laptop = h.client();
    await laptop.login('p@example.com');
    assertProblem(await client.post('/portal/api/account/password', { current_password: 'wrong password!!', new_password: 'a brand new password' }), 401, 'invalid-credentials');
    assert.equal((await client.post('/portal/api/account/password', { current_password: PASSWORD, new_password: 'a brand new password' })).status, 204);
    assert.equal((await client.get('/portal/api/account')).status, 200, 'the session that changed it stays');
    assertProblem(await laptop.get('/portal/api/account'), 401, 'unauthorized');

    const anon = h.client();
    const unknown = await anon.post('/portal/api/password-reset', { email: 'nobody@example.com' });
    const known = await anon.post('/portal/api/password-reset', { email: 'p@example.com' });
    assert.equal(unknown.status, 202);
    assert.deepEqual(unknown.body, known.body);
    assert.deepEqual(h.mails.filter((m) => m.kind === 'reset-password').map((m) => m.to), ['p@example.com']);
    const token = h.tokenFrom('p@example.com', 'reset-password');
    assertProblem(await anon.post('/portal/api/password-reset/confirm', { token, password: 'short' }), 400, 'validation-failed');
    assert.equal((await anon.post('/portal/api/password-reset/confirm', { token, password: 'reset password 456' })).status, 204);
    assertProblem(await client.get('/portal/api/account'), 401, 'unauthorized');
    assertProblem(await anon.post('/portal/api/password-reset/confirm', { token, password: 'again password 789' }), 400, 'token-invalid');
    await anon.login('p@example.com', 'reset password 456');

    await anon.post('/portal/api/password-reset', { email: 'p@example.com' });
    const late = h.tokenFrom('p@example.com', 'reset-password');
    h.advance(h.settings.resetTtlMs + 1000);
    assertProblem(await anon.post('/portal/api/password-reset/confirm', { token: late, password: 'too late password' }), 400, 'token-invalid');
  });
});

test('throttling: login per address and per account, sign-up and reset per address, with Retry-After', async () => {
  await withPortal(async (h) => {
    await h.user('t@example.com');
    const a = h.client();
    a.ip = '10.1.1.1';
    for (let i = 0; i < 3; i++) assertProblem(await a.post('/portal/api/session', { email: 't@example.com', password: 'wrong password 000' }), 401, 'invalid-credentials');
    const blocked = await a.post('/portal/api/session', { email: 't@example.com', password: PASSWORD });
    assertProblem(blocked, 429, 'too-many-attempts');
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    // Another address, same account: still blocked (per account); another account from a: blocked per address.
    const b = h.client();
    b.ip = '127.0.0.2';
    assertProblem(await b.post('/portal/api/session', { email: 't@example.com', password: PASSWORD }), 429, 'too-many-attempts');
    await h.user('u@example.com');
    assertProblem(await a.post('/portal/api/session', { email: 'u@example.com', password: 'wrong password 000' }), 401, 'invalid-credentials');
    assertProblem(await a.post('/portal/api/session', { email: 'u@example.com', password: PASSWORD }), 429, 'too-many-attempts');
    // The window ends: allowed again.
    h.advance(15 * 60_000 + 1000);
    await b.login('t@example.com');

    const s = h.client();
    s.ip = '10.0.0.9';
    for (let i = 0; i < 2; i++) assert.equal((await s.post('/portal/api/signup', { email: `n${i}@example.com`, password: PASSWORD })).status, 202);
    assertProblem(await s.post('/portal/api/signup', { email: 'n9@example.com', password: PASSWORD }), 429, 'too-many-attempts');
    for (let i = 0; i < 2; i++) assert.equal((await s.post('/portal/api/password-reset', { email: 't@example.com' })).status, 202);
    assertProblem(await s.post('/portal/api/password-reset', { email: 't@example.com' }), 429, 'too-many-attempts');
  }, {
    throttle: {
      loginPerIp: { max: 5, windowMs: 15 * 60_000 },
      loginPerAccount: { max: 4, windowMs: 15 * 60_000 }, // h.user's own login counts too
      signupPerIp: { max: 2, windowMs: HOUR },
      resetPerAccount: { max: 2, windowMs: HOUR },
    },
  });
});

test('throttling: mail to one address and invitations per user are bounded (no mail-bombing through the portal)', async () => {
  await withPortal(async (h) => {
    for (const [i, ip] of ['10.0.0.1', '10.0.0.2'].entries()) {
      const c = h.client();
      c.ip = ip;
      assert.equal((await c.post('/portal/api/signup', { email: 'victim@example.com', password: PASSWORD })).status, 202, `sign-up #${i + 1}`);
    }
    const third = h.client();
    third.ip = '10.0.0.3';
    assertProblem(await third.post('/portal/api/signup', { email: 'victim@example.com', password: PASSWORD }), 429, 'too-many-attempts');
    assert.equal(h.mails.filter((m) => m.to === 'victim@example.com').length, 2);

    const { client, team } = await h.user('owner@example.com');
    assert.equal((await client.post(`/portal/api/teams/${team}/invitations`, { email: 'a@example.com' })).status, 201);
    assert.equal((await client.post(`/portal/api/teams/${team}/invitations`, { email: 'b@example.com' })).status, 201);
    assertProblem(await client.post(`/portal/api/teams/${team}/invitations`, { email: 'c@example.com' }), 429, 'too-many-attempts');
  }, { throttle: { mailPerAddress: { max: 2, windowMs: HOUR }, invitesPerUser: { max: 2, windowMs: HOUR } } });
});
