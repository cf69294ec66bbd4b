// Store conformance for the portal's tables (run by src/store/conformance/suite.ts on every
// adapter): uniqueness, single-use tokens under a race, the last-owner lock, team scoping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuplicateKeyError } from '../ports.ts';
import type { SuiteContext } from '../conformance/support.ts';
import { unique } from '../conformance/support.ts';

export function portalTests(ctx: SuiteContext): void {
  const { store } = ctx;
  const email = () => `${unique('user')}@example.com`;

  test('portal: users are unique by email; updates bump the version', async () => {
    const s = store();
    const address = email();
    const user = await s.write((tx) => tx.portal.insertUser({ email: address, password_hash: 'scrypt$x' }));
    assert.equal(user.version, 1);
    assert.deepEqual(await s.read().portal.getUserByEmail(address), user);
    await assert.rejects(s.write((tx) => tx.portal.insertUser({ email: address, password_hash: 'scrypt$y' })), DuplicateKeyError);
    const at = new Date().toISOString();
    await s.write((tx) => tx.portal.updateUser(user.id, { email_verified_at: at }));
    const after = await s.read().portal.getUser(user.id);
    assert.equal(after?.email_verified_at, at);
    assert.equal(after?.version, 2);
    assert.equal(await s.read().portal.getUser(unique('nobody')), undefined);
  });

  test('portal: sessions are found by id, touched, and ended one, all-but-one, or by expiry', async () => {
    const s = store();
    const user = await s.write((tx) => tx.portal.insertUser({ email: email(), password_hash: 'h' }));
    const now = Date.now();
    const row = (id: string, seen: number, expires: number) => ({ id, user_id: user.id, csrf_token: unique('csrf'), created_at: new Date(now).toISOString(), last_seen_at: new Date(seen).toISOString(), expires_at: new Date(expires).toISOString() });
    const [a, b, c] = [unique('sess'), unique('sess'), unique('sess')];
    await s.write(async (tx) => {
      await tx.portal.insertSession(row(a, now, now + 60_000));
      await tx.portal.insertSession(row(b, now, now + 60_000));
      await tx.portal.insertSession(row(c, now, now + 60_000));
    });
    assert.equal((await s.read().portal.getSession(a))?.user_id, user.id);
    const later = new Date(now + 1000).toISOString();
    await s.write((tx) => tx.portal.touchSession(a, later));
    assert.equal((await s.read().portal.getSession(a))?.last_seen_at, later);
    assert.equal(await s.write((tx) => tx.portal.deleteSessionsOf(user.id, a)), 2);
    assert.ok(await s.read().portal.getSession(a));
    assert.equal(await s.read().portal.getSession(b), undefined);
    const idle = unique('sess');
    const over = unique('sess');
    await s.write(async (tx) => {
      await tx.portal.insertSession(row(idle, now - 10_000, now + 60_000));
      await tx.portal.insertSession(row(over, now, now - 1));
    });
    await s.write((tx) => tx.portal.deleteExpiredSessions(new Date(now).toISOString(), new Date(now - 5000).toISOString()));
    assert.equal(await s.read().portal.getSession(idle), undefined, 'idle too long');
    assert.equal(await s.read().portal.getSession(over), undefined, 'past its absolute end');
    assert.ok(await s.read().portal.getSession(a), 'a live session stays');
    await s.write((tx) => tx.portal.deleteSession(a));
    assert.equal(await s.read().portal.getSession(a), undefined);
  });

  test('portal: a token is spent once, only for its purpose, only before it expires — even when two nodes race', async (t) => {
    const s = store();
    const now = Date.now();
    const id = unique('tok');
    await s.write((tx) => tx.portal.insertToken({ id, purpose: 'verify-email', email: email(), user_id: null, team_id: null, role: null, created_by: null, expires_at: new Date(now + 60_000).toISOString() }));
    const at = new Date(now).toISOString();
    assert.equal(await s.write((tx) => tx.portal.useToken(id, 'reset-password', at)), false, 'another purpose');
    assert.equal(await s.write((tx) => tx.portal.useToken(id, 'verify-email', new Date(now + 60_000).toISOString())), false, 'expired');
    assert.equal(await s.write((tx) => tx.portal.useToken(id, 'verify-email', at)), true);
    assert.equal(await s.write((tx) => tx.portal.useToken(id, 'verify-email', at)), false, 'used');
    assert.equal((await s.read().portal.getToken(id))?.used_at, at);
    await s.write((tx) => tx.portal.deleteExpiredTokens(new Date(now + 59_000).toISOString()));
    assert.ok(await s.read().portal.getToken(id), 'not yet expired: kept');
    assert.ok(await s.write((tx) => tx.portal.deleteExpiredTokens(new Date(now + 61_000).toISOString())) >= 1);
    assert.equal(await s.read().portal.getToken(id), undefined, 'expired: pruned');

    if (!ctx.shareable(t)) return;
    const other = await ctx.openAnother();
    try {
      const raced = unique('tok');
      await s.write((tx) => tx.portal.insertToken({ id: raced, purpose: 'reset-password', email: email(), user_id: null, team_id: null, role: null, created_by: null, expires_at: new Date(now + 60_000).toISOString() }));
      const results = await Promise.all([s, other, s, other].map((st) => st.write((tx) => tx.portal.useToken(raced, 'reset-password', at))));
      assert.equal(results.filter(Boolean).length, 1, `exactly one use wins: ${JSON.stringify(results)}`);
    } finally {
      await ctx.closeAnother(other);
    }
  });

  test('portal: teams, members (unique, roles, owner count), invitations, applications scoped by team', async () => {
    const s = store();
    const [alice, bob] = await s.write(async (tx) => [await tx.portal.insertUser({ email: email(), password_hash: 'h' }), await tx.portal.insertUser({ email: email(), password_hash: 'h' })]);
    const team = await s.write((tx) => tx.portal.insertTeam('Team A'));
    const other = await s.write((tx) => tx.portal.insertTeam('Team B'));
    await s.write(async (tx) => {
      await tx.portal.addMember(team.id, alice!.id, 'owner');
      await tx.portal.addMember(team.id, bob!.id, 'developer');
      await tx.portal.addMember(other.id, bob!.id, 'owner');
    });
    await assert.rejects(s.write((tx) => tx.portal.addMember(team.id, bob!.id, 'owner')), DuplicateKeyError);
    assert.deepEqual((await s.read().portal.teamsOf(bob!.id)).map((m) => [m.team.name, m.role]), [['Team A', 'developer'], ['Team B', 'owner']]);
    assert.equal(await s.read().portal.roleIn(other.id, alice!.id), undefined);
    assert.deepEqual((await s.read().portal.listMembers(team.id)).map((m) => [m.email, m.role]), [[alice!.email, 'owner'], [bob!.email, 'developer']]);
    assert.equal(await s.write((tx) => tx.portal.countOwnersLocked(team.id)), 1);
    assert.equal(await s.write((tx) => tx.portal.setMemberRole(team.id, bob!.id, 'owner')), true);
    assert.equal(await s.write((tx) => tx.portal.countOwnersLocked(team.id)), 2);
    assert.equal(await s.write((tx) => tx.portal.removeMember(team.id, alice!.id)), true);
    assert.equal(await s.write((tx) => tx.portal.removeMember(team.id, alice!.id)), false);
    await s.write((tx) => tx.portal.renameTeam(team.id, 'Team A2'));
    assert.equal((await s.read().portal.getTeam(team.id))?.version, 2);

    const now = Date.now();
    const invite = unique('inv');
    await s.write((tx) => tx.portal.insertToken({ id: invite, purpose: 'invite', email: email(), user_id: null, team_id: team.id, role: 'developer', created_by: bob!.id, expires_at: new Date(now + 60_000).toISOString() }));
    assert.deepEqual((await s.read().portal.listInvitations(team.id, new Date(now).toISOString())).map((r) => r.id), [invite]);
    assert.deepEqual(await s.read().portal.listInvitations(other.id, new Date(now).toISOString()), []);
    assert.equal(await s.write((tx) => tx.portal.deleteInvitation(other.id, invite)), false, 'another team cannot withdraw it');
    assert.equal(await s.write((tx) => tx.portal.deleteInvitation(team.id, invite)), true);

    const consumer = unique('app');
    const app = await s.write((tx) => tx.portal.insertApp({ team_id: team.id, consumer, name: 'My app', description: '' }));
    await assert.rejects(s.write((tx) => tx.portal.insertApp({ team_id: other.id, consumer, name: 'x', description: '' })), DuplicateKeyError);
    assert.equal(await s.read().portal.getApp(other.id, app.id), undefined, 'another team does not see it');
    assert.equal((await s.read().portal.appByConsumer(consumer))?.id, app.id);
    assert.equal((await s.write((tx) => tx.portal.updateApp(team.id, app.id, { name: 'Renamed' })))?.version, 2);
    assert.equal(await s.write((tx) => tx.portal.updateApp(other.id, app.id, { name: 'Hijack' })), undefined);
    assert.equal((await s.read().portal.getApp(team.id, app.id))?.name, 'Renamed');
    assert.deepEqual((await s.read().portal.listApps(team.id)).map((a) => a.id), [app.id]);
    assert.equal(await s.write((tx) => tx.portal.deleteApp(other.id, app.id)), false);
    assert.equal(await s.write((tx) => tx.portal.deleteApp(team.id, app.id)), true);
  });
}
