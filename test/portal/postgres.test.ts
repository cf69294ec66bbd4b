// The portal API on Postgres: one walk through every area (accounts, sessions, teams, invitations,
// applications, subscriptions, keys, webhooks, the catalog) on a fresh database on the server
// PORTCULLIS_TEST_POSTGRES names. Skipped locally without it; fails on CI without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, onCi, POSTGRES_ENV, postgresUrl } from '../harness/postgres.ts';
import { assertProblem, catalogFixture, withPortal, type Json } from './helpers.ts';

if (postgresUrl() !== undefined) {
  test('portal API on Postgres: accounts, teams, applications, subscriptions, keys, webhooks, catalog', async () => {
    const db = await createTestDatabase();
    try {
      await withPortal(async (h) => {
        await catalogFixture(h);
        const { client: owner, team } = await h.user('owner@example.com');
        const { client: dev } = await h.user('dev@example.com');
        assert.equal((await owner.post(`/portal/api/teams/${team}/invitations`, { email: 'dev@example.com' })).status, 201);
        const token = h.tokenFrom('dev@example.com', 'invite');
        assert.equal((await dev.post('/portal/api/invitations/accept', { token })).status, 200);
        assertProblem(await dev.post('/portal/api/invitations/accept', { token }), 400, 'token-invalid');
        assertProblem(await owner.delete(`/portal/api/teams/${team}/members/${String((await owner.get('/portal/api/account')).body.id)}`), 409, 'last-owner');

        const app = await dev.post(`/portal/api/teams/${team}/apps`, { name: 'Shop' });
        assert.equal(app.status, 201, app.text);
        const base = `/portal/api/teams/${team}/apps/${String(app.body.id)}`;
        assert.equal((await dev.post(`${base}/subscriptions`, { product: 'shipping', plan: 'gold' })).body.status, 'pending');
        const key = await dev.post(`${base}/keys`, {});
        assert.equal(key.status, 201, key.text);
        const rotated = await dev.post(`${base}/keys/${String(key.body.id)}/rotate`, { overlap_seconds: 60 });
        assert.equal(rotated.status, 201, rotated.text);
        assert.equal(((await dev.get(`${base}/keys`)).body.data as Json[]).length, 2);
        const endpoint = await dev.post(`${base}/webhooks/endpoints`, { url: 'https://hooks.example.com/x' });
        assert.equal(endpoint.status, 201, endpoint.text);

        const { client: outsider } = await h.user('outsider@example.com');
        assertProblem(await outsider.get(`${base}/keys`), 404, 'not-found');
        assert.deepEqual(((await h.client().get('/portal/api/catalog')).body.data as Json[]).map((p) => p.name), ['shipping']);

        h.advance(h.settings.sessionIdleMs + 1000);
        assertProblem(await dev.get('/portal/api/account'), 401, 'unauthorized');
        assert.ok((await h.portal.prune()).sessions >= 3);
      }, { db: db.url });
    } finally {
      await db.drop();
    }
  });
} else if (onCi()) {
  test('portal API on Postgres', () => {
    assert.fail(`${POSTGRES_ENV} is not set: CI must run the portal API on Postgres`);
  });
} else {
  test('portal API on Postgres', { skip: `${POSTGRES_ENV} is not set: the portal API was not run on Postgres` }, () => undefined);
}
