// Store conformance, the records beside the config: settings, credentials, admin users and
// tokens, the audit log and stored API specs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuplicateKeyError, VersionConflictError, type Store } from '../ports.ts';
import type { AuditRow, CredentialRow } from '../schema.ts';
import { unique, nextMillisecond, allPages, plain, isShareable, type SuiteContext } from './support.ts';

export function recordTests(ctx: SuiteContext): void {
  const { store, url, openAnother, closeAnother } = ctx;
  test('settings: get and put (upsert)', async () => {
    const s = store();
    const key = unique('settings');
    assert.equal(await s.read().getSettings(key), undefined);
    await s.write((tx) => tx.putSettings(key, { portal: { title: 'Dev', enabled: true }, n: 1 }));
    assert.deepEqual(await s.read().getSettings(key), { portal: { title: 'Dev', enabled: true }, n: 1 });
    await s.write((tx) => tx.putSettings(key, { n: 2 }));
    assert.deepEqual(await s.read().getSettings(key), { n: 2 }, 'put replaces');
    for (const value of ['text', 42, [1, 'two'], null, false]) {
      await s.write((tx) => tx.putSettings(key, value));
      assert.deepEqual(await s.read().getSettings(key), value);
    }
    const other = unique('settings');
    await s.write((tx) => tx.putSettings(other, 'x'));
    assert.deepEqual(await s.read().getSettings(key), false, 'keys are independent');
  });

  test('settings for update: made (null) when missing, held to the end of the transaction, even across stores', async () => {
    const s = store();
    const key = unique('settings-hold');
    assert.equal(await s.write((tx) => tx.getSettingsForUpdate(key)), null, 'a key with nothing stored reads as null');
    assert.equal(await s.read().getSettings(key), null, 'and now exists');
    await s.write((tx) => tx.putSettings(key, { n: 1 }));
    assert.deepEqual(await s.write((tx) => tx.getSettingsForUpdate(key)), { n: 1 });
    // Read, then write what was read plus one, many at once on two stores (two nodes): without the
    // hold, two transactions would read the same number and one increment would be lost.
    const counter = unique('settings-hold');
    const stores: Store[] = [s];
    if (isShareable(url())) stores.push(await openAnother());
    try {
      await Promise.all(stores.flatMap((on) => Array.from({ length: 8 }, () => on.write(async (tx) => {
        const n = await tx.getSettingsForUpdate(counter) as number | null;
        await tx.putSettings(counter, (n ?? 0) + 1);
      }))));
      assert.equal(await s.read().getSettings(counter), stores.length * 8);
    } finally {
      if (stores[1]) await closeAnother(stores[1]);
    }
  });

  test('credentials: insert, find by (type, lookup), update, list, delete, uniqueness', async () => {
    const s = store();
    const consumer = unique('cred-consumer');
    const lookup = unique('sha');
    const row = { id: unique('cred'), consumer, type: 'key-auth', lookup, secret_hash: null, display: 'pk_abc…', data: '{"tags":[]}', expires_at: null, revoked_at: null };
    const inserted = await s.write((tx) => tx.insertCredential(row));
    assert.equal(inserted.version, 1);
    assert.deepEqual(await s.read().getCredential(row.id), inserted);
    assert.deepEqual(await s.read().findCredential('key-auth', lookup), inserted);
    assert.equal(await s.read().findCredential('basic-auth', lookup), undefined);
    assert.equal(await s.read().findCredential('key-auth', unique('sha')), undefined);
    assert.equal(await s.read().getCredential(unique('cred')), undefined);

    await assert.rejects(s.write((tx) => tx.insertCredential({ ...row, id: unique('cred') })), DuplicateKeyError, 'same (type, lookup)');
    await assert.rejects(s.write((tx) => tx.insertCredential({ ...row, lookup: unique('sha') })), DuplicateKeyError, 'same id');
    const basic = await s.write((tx) => tx.insertCredential({ ...row, id: unique('cred'), type: 'basic-auth', secret_hash: 'scrypt$…', display: 'user' }));
    assert.deepEqual(await s.read().findCredential('basic-auth', lookup), basic, 'the same lookup under another type is another credential');

    await nextMillisecond();
    const revokedAt = new Date().toISOString();
    const revoked = await s.write((tx) => tx.updateCredential(row.id, { revoked_at: revokedAt }, 1));
    assert.equal(revoked.version, 2);
    assert.equal(revoked.revoked_at, revokedAt);
    assert.ok(revoked.updated_at > inserted.updated_at);
    assert.deepEqual(await s.read().getCredential(row.id), revoked);
    await assert.rejects(s.write((tx) => tx.updateCredential(row.id, { expires_at: revokedAt }, 1)), VersionConflictError);
    await assert.rejects(s.write((tx) => tx.updateCredential(unique('cred'), { expires_at: revokedAt })), VersionConflictError);
    assert.equal((await s.read().getCredential(row.id))?.expires_at, null);

    // Listing by consumer, several pages.
    for (let i = 0; i < 3; i++) await s.write((tx) => tx.insertCredential({ ...row, id: unique('cred'), lookup: unique('sha') }));
    const listed = await allPages((cursor) => s.read().listCredentials({ limit: 2, consumer, cursor }), 2);
    assert.equal(listed.rows.length, 5);
    assert.equal(new Set(listed.rows.map((r: CredentialRow) => r.id)).size, 5);
    assert.ok(listed.rows.every((r) => r.consumer === consumer));

    await assert.rejects(s.write((tx) => tx.deleteCredential(row.id, 1)), VersionConflictError);
    await s.write((tx) => tx.deleteCredential(row.id, 2));
    assert.equal(await s.read().getCredential(row.id), undefined);
    assert.equal(await s.read().findCredential('key-auth', lookup), undefined);
    await assert.rejects(s.write((tx) => tx.deleteCredential(row.id)), VersionConflictError);
    // Its lookup is free again.
    await s.write((tx) => tx.insertCredential({ ...row, id: unique('cred') }));

    const renamed = unique('cred-consumer');
    await s.write((tx) => tx.renameCredentialOwner(consumer, renamed));
    assert.equal((await s.read().listCredentials({ limit: 100, consumer })).data.length, 0);
    assert.equal((await s.read().listCredentials({ limit: 100, consumer: renamed })).data.length, 5);
    assert.equal(await s.write((tx) => tx.deleteCredentialsOf(renamed)), 5);
    assert.equal(await s.write((tx) => tx.deleteCredentialsOf(renamed)), 0);
  });

  test('admin users and tokens: unique names, update, touch, tokens deleted with their user', async () => {
    const s = store();
    const count0 = await s.read().countAdminUsers();
    const name = unique('admin');
    const user = await s.write((tx) => tx.insertAdminUser({ name, email: 'a@example.com', role: 'admin' }));
    assert.equal(user.version, 1);
    assert.equal(await s.read().countAdminUsers(), count0 + 1);
    assert.deepEqual(await s.read().getAdminUser(user.id), user);
    assert.deepEqual(await s.read().getAdminUserByName(name), user);
    assert.equal(await s.read().getAdminUserByName(unique('admin')), undefined);
    await assert.rejects(s.write((tx) => tx.insertAdminUser({ name, email: null, role: 'viewer' })), DuplicateKeyError);
    assert.equal(await s.read().countAdminUsers(), count0 + 1);

    const other = await s.write((tx) => tx.insertAdminUser({ name: unique('admin'), email: null, role: 'viewer', id: unique('user-id') }));
    await assert.rejects(s.write((tx) => tx.updateAdminUser(other.id, { name, email: null, role: 'viewer' })), DuplicateKeyError);
    const updated = await s.write((tx) => tx.updateAdminUser(user.id, { name, email: null, role: 'operator' }, 1));
    assert.equal(updated.version, 2);
    assert.equal(updated.role, 'operator');
    assert.equal(updated.email, null);
    await assert.rejects(s.write((tx) => tx.updateAdminUser(user.id, { name, email: null, role: 'admin' }, 1)), VersionConflictError);

    const users = await allPages((cursor) => s.read().listAdminUsers({ limit: 1, sort: 'name', cursor }), 1);
    const names = users.rows.map((u) => u.name);
    assert.ok(names.includes(name) && names.includes(other.name));
    assert.deepEqual(names, [...names].sort(), 'sorted by name');

    const token = (id: string) => ({ id, user_id: user.id, name: id, secret_hash: `hash-${id}`, expires_at: null });
    const t1 = await s.write((tx) => tx.insertAdminToken(token(unique('tok'))));
    const t2 = await s.write((tx) => tx.insertAdminToken(token(unique('tok'))));
    const t3 = await s.write((tx) => tx.insertAdminToken({ ...token(unique('tok')), user_id: other.id }));
    assert.equal(t1.last_used_at, null);
    assert.deepEqual(plain(await s.read().getAdminToken(t1.id)), t1);
    assert.deepEqual((await s.read().listAdminTokens(user.id)).map((t) => t.id), [t1.id, t2.id].sort());
    const at = new Date().toISOString();
    await s.write((tx) => tx.touchAdminToken(t1.id, at));
    assert.equal((await s.read().getAdminToken(t1.id))?.last_used_at, at);
    await s.write((tx) => tx.touchAdminToken(unique('tok'), at)); // no such token: no error

    assert.equal(await s.write((tx) => tx.deleteAdminToken(t2.id)), true);
    assert.equal(await s.write((tx) => tx.deleteAdminToken(t2.id)), false);
    assert.equal(await s.read().getAdminToken(t2.id), undefined);

    // A stale delete changes nothing: neither the user nor its tokens.
    await assert.rejects(s.write((tx) => tx.deleteAdminUser(user.id, 1)), VersionConflictError);
    await assert.rejects(s.read().deleteAdminUser(user.id, 1), VersionConflictError);
    assert.ok(await s.read().getAdminUser(user.id));
    assert.ok(await s.read().getAdminToken(t1.id), 'a refused delete keeps the tokens');
    await s.write((tx) => tx.deleteAdminUser(user.id, 2));
    assert.equal(await s.read().getAdminUser(user.id), undefined);
    assert.equal(await s.read().getAdminToken(t1.id), undefined, 'tokens go with their user');
    assert.deepEqual(await s.read().listAdminTokens(user.id), []);
    assert.ok(await s.read().getAdminToken(t3.id), 'other users keep their tokens');
    await assert.rejects(s.write((tx) => tx.deleteAdminUser(user.id)), VersionConflictError);
    await s.write((tx) => tx.deleteAdminUser(other.id));
    assert.equal(await s.read().countAdminUsers(), count0);
  });

  test('audit log: append, newest first, filters (entity, entity_id, actor, since), pagination', async () => {
    const s = store();
    const entity = unique('audit-entity');
    const actorA = unique('alice');
    const actorB = unique('bob');
    const base = Date.parse('2030-01-01T00:00:00.000Z');
    const rows: AuditRow[] = [];
    for (let i = 0; i < 7; i++) {
      rows.push(await s.write((tx) => tx.appendAudit({
        at: new Date(base + i * 60_000).toISOString(),
        actor: i % 2 === 0 ? actorA : actorB, action: i === 0 ? 'create' : 'update', entity,
        entity_id: i < 4 ? 'e1' : 'e2', entity_key: i < 4 ? 'one' : 'two',
        before: i === 0 ? null : JSON.stringify({ i: i - 1 }), after: JSON.stringify({ i }), request_id: `req-${i}`,
      })));
    }
    const stamped = await s.write((tx) => tx.appendAudit({ actor: actorB, action: 'delete', entity: unique('audit-entity'), entity_id: null, entity_key: null, before: null, after: null, request_id: null }));
    assert.ok(!Number.isNaN(Date.parse(stamped.at)), 'at defaults to now');

    const newestFirst = rows.toReversed().map((r) => r.id);
    const all = await allPages((cursor) => s.read().listAudit({ limit: 3, entity, cursor }), 3);
    assert.deepEqual(all.rows.map((r) => r.id), newestFirst);
    assert.equal(all.pages, 3);
    assert.deepEqual(plain(all.rows[0]), rows[6], 'rows come back as written');
    const oldestFirst = await allPages((cursor) => s.read().listAudit({ limit: 2, entity, descending: false, cursor }), 2);
    assert.deepEqual(oldestFirst.rows.map((r) => r.id), rows.map((r) => r.id));

    const ids = async (q: { entity?: string; entity_id?: string; actor?: string; since?: string }) => (await allPages((cursor) => s.read().listAudit({ limit: 2, ...q, cursor }), 2)).rows.map((r) => r.id);
    assert.deepEqual(await ids({ entity, entity_id: 'e2' }), newestFirst.slice(0, 3));
    assert.deepEqual(await ids({ entity, actor: actorA }), rows.filter((_, i) => i % 2 === 0).toReversed().map((r) => r.id));
    assert.deepEqual(await ids({ actor: actorB }), [stamped.id, ...rows.filter((_, i) => i % 2 === 1).toReversed().map((r) => r.id)]);
    assert.deepEqual(await ids({ entity, since: rows[5]!.at }), [rows[6]!.id, rows[5]!.id], 'since is inclusive');
    assert.deepEqual(await ids({ entity, entity_id: 'e1', actor: actorB, since: rows[2]!.at }), [rows[3]!.id]);
    assert.deepEqual(await ids({ entity: unique('audit-none') }), []);
  });

  test('audit log: an entry\'s snapshots can be rewritten (redaction); nothing else about it changes', async () => {
    const s = store();
    const entity = unique('audit-entity');
    const row = await s.write((tx) => tx.appendAudit({ actor: unique('alice'), action: 'update', entity, entity_id: 'e1', entity_key: 'one', before: '{"secret":"a"}', after: '{"secret":"b"}', request_id: 'req-1' }));
    const other = await s.write((tx) => tx.appendAudit({ actor: row.actor, action: 'update', entity, entity_id: 'e2', entity_key: 'two', before: '{"secret":"c"}', after: null, request_id: null }));
    assert.equal(await s.write((tx) => tx.rewriteAudit(row.id, { before: '{"secret":"(sealed)"}', after: null })), true);
    const rows = (await s.read().listAudit({ limit: 10, entity, descending: false })).data;
    assert.deepEqual(plain(rows), [{ ...row, before: '{"secret":"(sealed)"}', after: null }, other]);
    assert.equal(await s.write((tx) => tx.rewriteAudit(unique('audit-none'), { before: null, after: null })), false);
  });

  test('api specs: insert, list (without content) per service, get', async () => {
    const s = store();
    const svcA = unique('spec-svc');
    const svcB = unique('spec-svc');
    const a1 = await s.write((tx) => tx.insertSpec({ service: svcA, format: 'openapi-3.1', title: 'A', version: '1.0.0', content: '{"openapi":"3.1.0"}' }));
    const a2 = await s.write((tx) => tx.insertSpec({ service: svcA, format: 'openapi-3.1', title: 'A', version: '1.1.0', content: '{"openapi":"3.1.0","x":1}' }));
    const b1 = await s.write((tx) => tx.insertSpec({ service: svcB, format: 'swagger-2', title: 'B', version: '2', content: 'swagger: "2.0"\n' }));
    const summary = ({ content: _content, ...rest }: typeof a1) => rest;
    assert.deepEqual(plain(await s.read().listSpecs(svcA)), [summary(a1), summary(a2)]);
    assert.deepEqual(plain(await s.read().listSpecs(svcB)), [summary(b1)]);
    assert.deepEqual(await s.read().listSpecs(unique('spec-none')), []);
    const everything = await s.read().listSpecs();
    for (const spec of [a1, a2, b1]) assert.ok(everything.some((x) => x.id === spec.id));
    assert.ok(everything.every((x) => !('content' in x)), 'listings leave the content out');
    assert.deepEqual(plain(await s.read().getSpec(a2.id)), a2);
    assert.equal(await s.read().getSpec(unique('spec')), undefined);
  });


  test('oauth2 signing keys: insert, list oldest first, move windows, delete unpublished', async () => {
    const s = store();
    // Other tests (and runs) share the store: work only with this test's own keys.
    const mine = async () => (await s.read().listSigningKeys()).filter((k) => k.kid.startsWith(prefix));
    const prefix = unique('kid');
    const row = (n: number, signFrom: string, publishUntil: string) => ({
      kid: `${prefix}-${n}`, alg: 'ES256', public_jwk: '{"kty":"EC"}', private_sealed: 'v1.abc', sealed_with: 'f00d',
      created_at: signFrom, sign_from: signFrom, sign_until: '2100-01-01T00:00:00.000Z', publish_until: publishUntil,
    });
    const a = row(1, '2000-01-01T00:00:00.000Z', '2000-06-01T00:00:00.000Z');
    const b = row(2, '2000-02-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z');
    await s.write(async (tx) => { await tx.insertSigningKey(b); await tx.insertSigningKey(a); });
    assert.deepEqual(plain(await mine()), [a, b]);
    await assert.rejects(s.write((tx) => tx.insertSigningKey(a)), DuplicateKeyError);
    await s.write((tx) => tx.updateSigningKey(b.kid, { sign_until: '2000-03-01T00:00:00.000Z' }));
    assert.equal((await mine())[1]!.sign_until, '2000-03-01T00:00:00.000Z');
    const removed = await s.write((tx) => tx.deleteSigningKeysUnpublishedAt('2000-06-01T00:00:00.000Z'));
    assert.ok(removed >= 1);
    assert.deepEqual((await mine()).map((k) => k.kid), [b.kid], 'a key is gone once its publish_until has come');
  });

  test('revoked tokens: idempotent insert, list, forget expired ones', async () => {
    const s = store();
    const jti = unique('jti');
    const row = { jti, client_id: 'pc_client_x', expires_at: '2001-01-01T00:00:00.000Z', revoked_at: '2000-12-31T00:00:00.000Z' };
    assert.equal(await s.write((tx) => tx.insertRevokedToken(row)), true);
    assert.equal(await s.write((tx) => tx.insertRevokedToken({ ...row, revoked_at: '2000-12-31T01:00:00.000Z' })), false, 'a second revocation changes nothing');
    assert.deepEqual(plain((await s.read().listRevokedTokens()).filter((r) => r.jti === jti)), [row]);
    const live = { ...row, jti: unique('jti'), expires_at: '2100-01-01T00:00:00.000Z' };
    await s.write((tx) => tx.insertRevokedToken(live));
    assert.ok(await s.write((tx) => tx.deleteRevokedTokensExpiredAt('2001-01-01T00:00:00.000Z')) >= 1);
    const left = (await s.read().listRevokedTokens()).map((r) => r.jti);
    assert.ok(!left.includes(jti) && left.includes(live.jti));
  });
}
