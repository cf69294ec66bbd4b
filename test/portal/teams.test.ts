// Teams: the sign-up team, invitations by mail (single use, for the invited address only),
// several teams per user, roles, removal, and the last owner who cannot leave.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, withPortal, type Json } from './helpers.ts';

test('sign-up makes the user owner of a new team; more teams can be created', async () => {
  await withPortal(async (h) => {
    const { client, team } = await h.user('owner@example.com');
    const teams = (await client.get('/portal/api/teams')).body.data as Json[];
    assert.deepEqual(teams.map((t) => [t.id, t.name, t.role]), [[team, "owner's team", 'owner']]);
    const created = await client.post('/portal/api/teams', { name: 'Side project' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.role, 'owner');
    assert.equal(((await client.get('/portal/api/teams')).body.data as Json[]).length, 2);
    const renamed = await client.patch(`/portal/api/teams/${team}`, { name: 'Acme' });
    assert.equal(renamed.body.name, 'Acme');
    assertProblem(await client.post('/portal/api/teams', { name: '' }), 400, 'validation-failed');
  });
});

test('invitations: mailed to the address, accepted once by that address only, joining with the role', async () => {
  await withPortal(async (h) => {
    const { client: owner, team } = await h.user('owner@example.com');
    const { client: dev, account: devAccount } = await h.user('dev@example.com');
    const { client: stranger } = await h.user('stranger@example.com');

    const invited = await owner.post(`/portal/api/teams/${team}/invitations`, { email: 'Dev@Example.com' });
    assert.equal(invited.status, 201, invited.text);
    assert.deepEqual([invited.body.email, invited.body.role], ['dev@example.com', 'developer']);
    const token = h.tokenFrom('dev@example.com', 'invite');
    assert.ok(!invited.text.includes(token), 'the token is only in the mail');
    assert.deepEqual(((await owner.get(`/portal/api/teams/${team}/invitations`)).body.data as Json[]).map((i) => i.id), [invited.body.id]);

    assertProblem(await stranger.post('/portal/api/invitations/accept', { token }), 400, 'token-invalid');
    const joined = await dev.post('/portal/api/invitations/accept', { token });
    assert.equal(joined.status, 200, joined.text);
    assert.deepEqual([joined.body.id, joined.body.role], [team, 'developer']);
    assertProblem(await dev.post('/portal/api/invitations/accept', { token }), 400, 'token-invalid');
    assert.deepEqual(((await dev.get('/portal/api/teams')).body.data as Json[]).map((t) => t.role), ['owner', 'developer'], 'a user can be in several teams');
    assert.deepEqual(((await owner.get(`/portal/api/teams/${team}/invitations`)).body.data as Json[]), []);

    // Developers cannot manage the team; strangers do not see it at all.
    assertProblem(await dev.post(`/portal/api/teams/${team}/invitations`, { email: 'x@example.com' }), 403, 'forbidden');
    assertProblem(await dev.patch(`/portal/api/teams/${team}`, { name: 'Mine' }), 403, 'forbidden');
    assertProblem(await stranger.get(`/portal/api/teams/${team}`), 404, 'not-found');
    assertProblem(await stranger.get(`/portal/api/teams/${team}/members`), 404, 'not-found');
    assert.deepEqual(((await dev.get(`/portal/api/teams/${team}/members`)).body.data as Json[]).map((m) => [m.email, m.role]), [['owner@example.com', 'owner'], ['dev@example.com', 'developer']]);

    // Withdrawn and expired invitations cannot be accepted.
    const second = await owner.post(`/portal/api/teams/${team}/invitations`, { email: 'stranger@example.com', role: 'owner' });
    assert.equal((await owner.delete(`/portal/api/teams/${team}/invitations/${String(second.body.id)}`)).status, 204);
    assertProblem(await stranger.post('/portal/api/invitations/accept', { token: h.tokenFrom('stranger@example.com', 'invite') }), 400, 'token-invalid');
    await owner.post(`/portal/api/teams/${team}/invitations`, { email: 'stranger@example.com' });
    h.advance(h.settings.inviteTtlMs + 1000);
    await stranger.login('stranger@example.com');
    assertProblem(await stranger.post('/portal/api/invitations/accept', { token: h.tokenFrom('stranger@example.com', 'invite') }), 400, 'token-invalid');
    assert.ok(devAccount.id);
  });
});

test('roles and removal: owners change roles and remove members; the last owner can neither leave nor step down', async () => {
  await withPortal(async (h) => {
    const { client: owner, team, account: ownerAccount } = await h.user('owner@example.com');
    const { client: dev, account: devAccount } = await h.user('dev@example.com');
    await owner.post(`/portal/api/teams/${team}/invitations`, { email: 'dev@example.com' });
    await dev.post('/portal/api/invitations/accept', { token: h.tokenFrom('dev@example.com', 'invite') });
    const ownerId = String(ownerAccount.id);
    const devId = String(devAccount.id);

    assertProblem(await owner.delete(`/portal/api/teams/${team}/members/${ownerId}`), 409, 'last-owner');
    assertProblem(await owner.patch(`/portal/api/teams/${team}/members/${ownerId}`, { role: 'developer' }), 409, 'last-owner');
    assertProblem(await dev.patch(`/portal/api/teams/${team}/members/${devId}`, { role: 'owner' }), 403, 'forbidden');
    assertProblem(await dev.delete(`/portal/api/teams/${team}/members/${ownerId}`), 403, 'forbidden');
    assertProblem(await owner.patch(`/portal/api/teams/${team}/members/not-a-member`, { role: 'owner' }), 404, 'not-found');

    const promoted = await owner.patch(`/portal/api/teams/${team}/members/${devId}`, { role: 'owner' });
    assert.equal(promoted.body.role, 'owner');
    assert.equal((await owner.delete(`/portal/api/teams/${team}/members/${ownerId}`)).status, 204, 'with another owner, leaving is fine');
    assertProblem(await owner.get(`/portal/api/teams/${team}`), 404, 'not-found');
    assertProblem(await dev.delete(`/portal/api/teams/${team}/members/${devId}`), 409, 'last-owner');
  });
});
