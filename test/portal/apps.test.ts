// Applications (consumers made through the config service), subscriptions (active, or pending when
// the plan needs approval; cancel), and keys (verified users only; API keys and OAuth2 clients shown
// once, listed by prefix, rotated with an overlap, expiry set, revoked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, catalogFixture, withPortal, type Json } from './helpers.ts';

test('applications are consumers on the gateway, linked to the team', async () => {
  await withPortal(async (h) => {
    const { client, team } = await h.user('dev@example.com');
    const created = await client.post(`/portal/api/teams/${team}/apps`, { name: 'My shop', description: 'Online shop' });
    assert.equal(created.status, 201, created.text);
    const consumer = String(created.body.consumer);
    assert.match(consumer, /^app-[0-9a-f]{16}$/);
    const viaAdmin = await h.admin('GET', `/admin/consumers/${consumer}`);
    assert.equal(viaAdmin.status, 200, viaAdmin.text);
    const audit = await h.admin('GET', '/admin/audit?entity=consumer');
    assert.ok((audit.body.data as Json[]).some((e) => e.actor === 'portal:dev@example.com' && e.entity_key === consumer), 'the audit log names the portal user');
    const app = `/portal/api/teams/${team}/apps/${String(created.body.id)}`;
    assert.equal((await client.patch(app, { name: 'Shop' })).body.name, 'Shop');
    assert.deepEqual(((await client.get(`/portal/api/teams/${team}/apps`)).body.data as Json[]).map((a) => a.name), ['Shop']);
    assertProblem(await client.post(`/portal/api/teams/${team}/apps`, { name: '' }), 400, 'validation-failed');
    assert.equal((await client.delete(app)).status, 204);
    assert.equal((await h.admin('GET', `/admin/consumers/${consumer}`)).status, 404, 'the consumer goes with it');
    assertProblem(await client.get(app), 404, 'not-found');
  });
});

test('subscriptions: active at once, pending when the plan needs approval, cancelled; only published products', async () => {
  await withPortal(async (h) => {
    await catalogFixture(h);
    const { client, team } = await h.user('dev@example.com');
    const app = `/portal/api/teams/${team}/apps/${String((await client.post(`/portal/api/teams/${team}/apps`, { name: 'A' })).body.id)}`;
    const free = await client.post(`${app}/subscriptions`, { product: 'shipping', plan: 'free' });
    assert.equal(free.status, 201, free.text);
    assert.equal(free.body.status, 'active');
    assertProblem(await client.post(`${app}/subscriptions`, { product: 'shipping', plan: 'gold' }), 409, 'conflict');
    assertProblem(await client.post(`${app}/subscriptions`, { product: 'secret-beta', plan: 'free' }), 404, 'not-found');
    assertProblem(await client.post(`${app}/subscriptions`, { product: 'shipping', plan: 'nope' }), 404, 'not-found');
    const cancelled = await client.delete(`${app}/subscriptions/${String(free.body.id)}`);
    assert.equal(cancelled.body.status, 'cancelled');
    const gold = await client.post(`${app}/subscriptions`, { product: 'shipping', plan: 'gold' });
    assert.deepEqual([gold.status, gold.body.status, gold.body.plan], [201, 'pending', 'gold']);
    const viaAdmin = await h.admin('GET', `/admin/subscriptions/${String(gold.body.id)}`);
    assert.equal(viaAdmin.body.status, 'pending', 'an admin sees it pending (and approves it there)');
    assert.deepEqual(((await client.get(`${app}/subscriptions`)).body.data as Json[]).map((s) => [s.product, s.status]), [['shipping', 'pending']]);
  });
});

test('keys: verified users only; shown once, listed by prefix; OAuth2 clients; rotation with overlap; expiry; revoke', async () => {
  await withPortal(async (h) => {
    const { client: unverified, team: uteam } = await h.user('new@example.com', { verified: false });
    const uapp = `/portal/api/teams/${uteam}/apps/${String((await unverified.post(`/portal/api/teams/${uteam}/apps`, { name: 'U' })).body.id)}`;
    assertProblem(await unverified.post(`${uapp}/keys`, {}), 403, 'email-not-verified');

    const { client, team } = await h.user('dev@example.com');
    const app = `/portal/api/teams/${team}/apps/${String((await client.post(`/portal/api/teams/${team}/apps`, { name: 'A' })).body.id)}`;
    const created = await client.post(`${app}/keys`);
    assert.equal(created.status, 201, created.text);
    const key = String(created.body.key);
    assert.match(key, /^pk_live_/);
    assert.equal(created.headers['cache-control'], 'no-store');
    const listed = await client.get(`${app}/keys`);
    assert.ok(!listed.text.includes(key), 'never listed');
    assert.deepEqual((listed.body.data as Json[]).map((k) => k.display), [`${key.slice(0, 12)}…`]);

    const oauth = await client.post(`${app}/keys`, { type: 'oauth2', client_name: 'backend' });
    assert.equal(oauth.status, 201, oauth.text);
    assert.match(String(oauth.body.client_id), /^pc_client_/);
    assert.match(String(oauth.body.client_secret), /^pcs_/);
    assert.ok(!(await client.get(`${app}/keys`)).text.includes(String(oauth.body.client_secret)));

    const before = h.settings.now();
    const rotated = await client.post(`${app}/keys/${String(created.body.id)}/rotate`, { overlap_seconds: 3600 });
    assert.equal(rotated.status, 201, rotated.text);
    assert.notEqual(rotated.body.key, key);
    assert.equal(rotated.body.rotated_from, created.body.id);
    const oldExpires = Date.parse(String(rotated.body.old_expires_at));
    assert.ok(oldExpires >= before + 3_600_000 && oldExpires <= h.settings.now() + 3_600_000);

    const expires = new Date(Date.now() + 86_400_000).toISOString();
    assert.equal((await client.patch(`${app}/keys/${String(rotated.body.id)}`, { expires_at: expires })).body.expires_at, expires);
    const revoked = await client.delete(`${app}/keys/${String(rotated.body.id)}`);
    assert.ok(revoked.body.revoked_at);
    assertProblem(await client.post(`${app}/keys/${String(rotated.body.id)}/rotate`, {}), 400, 'validation-failed');
    assertProblem(await client.post(`${app}/keys`, { type: 'basic-auth' }), 400, 'validation-failed');
  });
});
