// The store conformance suite: what every Store adapter must do, whichever database serves it.
// A runner calls defineStoreConformance with a way to open a migrated store on a throwaway
// database; the tests share that database (each uses its own names), and open more stores on the
// same URL where they need a second node or a reopen. An in-memory SQLite database cannot be
// opened twice, so those tests are skipped for it.
import { after, before as beforeAll, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { MIGRATIONS, SchemaTooNewError } from '../migrations/index.ts';
import { openStore, parseDbUrl } from '../open.ts';
import { DuplicateKeyError, type Store } from '../ports.ts';
import { entityTests } from './entities.ts';
import { recordTests } from './records.ts';
import { quotaTests } from './quotas.ts';
import { usageTests } from '../usage/conformance.ts';
import { portalTests } from '../portal/conformance.ts';
import { billingTests } from '../billing/conformance.ts';
import { brandingTests } from '../branding/conformance.ts';
import { ediTests } from './edi.ts';
import { type ConformanceTarget, POLL_MS, unique, service, waitFor, isShareable, rawQuery, type SuiteContext } from './support.ts';

export type { ConformanceTarget };

export function defineStoreConformance(adapter: string, open: () => Promise<ConformanceTarget>): void {
  describe(`store conformance: ${adapter}`, () => {
    let target: ConformanceTarget | undefined;
    const extra: Store[] = [];
    const store = (): Store => {
      assert.ok(target, 'the store did not open');
      return target.store;
    };
    const url = (): string => {
      assert.ok(target, 'the store did not open');
      return target.url;
    };
    /** Another store (another node) on the same database; closed after the suite if the test fails. */
    const openAnother = async (): Promise<Store> => {
      const s = await openStore(url(), { pollMs: POLL_MS });
      extra.push(s);
      return s;
    };
    const closeAnother = async (s: Store): Promise<void> => {
      extra.splice(extra.indexOf(s), 1);
      await s.close();
    };
    /** False (and the test skipped) when the database cannot be opened a second time. */
    const shareable = (t: TestContext): boolean => {
      if (isShareable(url())) return true;
      t.skip('an in-memory database cannot be opened by a second store');
      return false;
    };

    beforeAll(async () => { target = await open(); });
    after(async () => {
      for (const s of extra.splice(0)) await s.close().catch(() => undefined);
      await target?.cleanup();
    });

    const ctx: SuiteContext = { store, url, openAnother, closeAnother, shareable };

    test('opens migrated: revision, ping, dialect', async () => {
      const s = store();
      assert.equal(s.dialect, parseDbUrl(url()).dialect);
      await s.ping();
      assert.equal(typeof await s.read().revision(), 'number');
      assert.deepEqual(s.feed.health().up, true);
    });

    test('migrations are idempotent: opening the same database again changes nothing', async (t) => {
      if (!shareable(t)) return;
      const name = unique('mig');
      await store().write((tx) => tx.insert('service', service(name), 0), { bump: true });
      const revision = await store().read().revision();
      for (let i = 0; i < 2; i++) {
        const again = await openAnother();
        try {
          assert.equal(await again.read().revision(), revision);
          assert.equal((await again.read().getByKey('service', name))?.key, name);
        } finally {
          await closeAnother(again);
        }
      }
      const rows = await rawQuery(url(), 'select version from schema_migrations order by version') as { version: number | string }[];
      // Numbers are reserved per issue (005 EDI, 006 metering, 007 portal, 008 billing): every migration, once, in order.
      assert.deepEqual(rows.map((r) => Number(r.version)), MIGRATIONS.map((m) => m.version));
      assert.equal((await store().read().getByKey('service', name))?.version, 1);
    });

    test('refuses a database with a newer schema (SchemaTooNewError), and leaves it alone', async (t) => {
      if (!shareable(t)) return;
      await rawQuery(url(), `insert into schema_migrations (version, name, applied_at) values (999, 'from-the-future', '${new Date().toISOString()}')`);
      try {
        await assert.rejects(openStore(url(), { pollMs: POLL_MS }), (err: unknown) => {
          assert.ok(err instanceof SchemaTooNewError, `expected SchemaTooNewError, got ${String(err)}`);
          assert.match(err.message, /999/);
          return true;
        });
        const rows = await rawQuery(url(), 'select version from schema_migrations where version = 999');
        assert.equal(rows.length, 1);
      } finally {
        await rawQuery(url(), 'delete from schema_migrations where version = 999');
      }
      const again = await openAnother();
      await closeAnother(again);
    });

    entityTests(ctx);

    test('a transaction whose callback throws rolls back completely, revision bump included', async () => {
      const s = store();
      const heard: number[] = [];
      const off = s.feed.onChange((r) => heard.push(r));
      try {
        const before = await s.read().revision();
        const name = unique('rollback');
        const settingsKey = unique('rollback-settings');
        const consumer = unique('rollback-consumer');
        const existing = await s.write((tx) => tx.insert('service', service(unique('rollback')), 0));
        heard.length = 0;
        const boom = new Error('boom');
        await assert.rejects(s.write(async (tx, revision) => {
          assert.equal(revision, before + 1);
          await tx.insert('service', service(name), 0);
          await tx.update('service', existing.id, service(existing.key, { retries: 9 }), 1);
          await tx.putSettings(settingsKey, { a: 1 });
          await tx.insertCredential({ id: unique('cred'), consumer, type: 'key-auth', lookup: unique('lookup'), secret_hash: null, display: 'k', data: '{}', expires_at: null, revoked_at: null });
          await tx.appendAudit({ actor: name, action: 'create', entity: 'services', entity_id: null, entity_key: name, before: null, after: null, request_id: null });
          await tx.insertSpec({ service: name, format: 'openapi-3', title: 't', version: '1', content: '{}' });
          assert.equal(await tx.revision(), before + 1, 'the bump is visible inside the transaction');
          assert.ok(await tx.getByKey('service', name), 'writes are visible inside the transaction');
          throw boom;
        }, { bump: true }), (err) => err === boom);
        assert.equal(await s.read().revision(), before);
        assert.equal(await s.read().getByKey('service', name), undefined);
        assert.deepEqual(await s.read().get('service', existing.id), existing);
        assert.equal(await s.read().getSettings(settingsKey), undefined);
        assert.equal((await s.read().listCredentials({ limit: 10, consumer })).data.length, 0);
        assert.equal((await s.read().listAudit({ limit: 10, actor: name })).data.length, 0);
        assert.equal((await s.read().listSpecs(name)).length, 0);
        assert.deepEqual(heard.filter((r) => r > before), [], 'a rolled-back revision is not announced');

        // A failing statement in the middle (a duplicate key) rolls back the statements before it.
        const first = unique('rollback');
        await assert.rejects(s.write(async (tx) => {
          await tx.insert('service', service(first), 0);
          await tx.insert('service', service(existing.key), 0);
        }, { bump: true }), DuplicateKeyError);
        assert.equal(await s.read().getByKey('service', first), undefined);
        assert.equal(await s.read().revision(), before);
        // And the store is fine afterwards.
        await s.write((tx) => tx.insert('service', service(first), 0), { bump: true });
        assert.equal(await s.read().revision(), before + 1);
      } finally {
        off();
      }
    });

    test('the revision increments with bump only, and the callback is told it', async () => {
      const s = store();
      const r0 = await s.read().revision();
      const seen = await s.write(async (_tx, revision) => revision);
      assert.equal(seen, r0);
      await s.write((tx) => tx.putSettings(unique('norev'), { x: 1 }));
      await s.write((tx) => tx.insert('service', service(unique('norev')), 0));
      assert.equal(await s.read().revision(), r0, 'writes without bump leave the revision');
      const bumped = await s.write(async (tx, revision) => ({ revision, inside: await tx.revision() }), { bump: true });
      assert.deepEqual(bumped, { revision: r0 + 1, inside: r0 + 1 });
      assert.equal(await s.read().revision(), r0 + 1);
      await s.write(async () => undefined, { bump: true });
      assert.equal(await s.read().revision(), r0 + 2, 'a bump with no other change still counts');
    });

    test('the change feed announces a bumped write to onChange listeners; unsubscribe stops it', async () => {
      const s = store();
      const heard: number[] = [];
      const heard2: number[] = [];
      const off = s.feed.onChange((r) => heard.push(r));
      const off2 = s.feed.onChange((r) => heard2.push(r));
      try {
        const revision = await s.write(async (tx, r) => { await tx.insert('service', service(unique('feed')), 0); return r; }, { bump: true });
        await waitFor(`revision ${revision} on the feed`, () => heard.includes(revision) && heard2.includes(revision));
        off2();
        const next = await s.write(async (_tx, r) => r, { bump: true });
        assert.equal(next, revision + 1);
        await waitFor(`revision ${next} on the feed`, () => heard.includes(next));
        assert.ok(!heard2.includes(next), 'an unsubscribed listener hears nothing more');
        assert.deepEqual([...heard].sort((a, b) => a - b), heard, 'revisions arrive in order');
        assert.equal(new Set(heard).size, heard.length, 'each revision once');
        assert.equal(s.feed.health().up, true);
      } finally {
        off();
        off2();
      }
    });

    test('a second store on the same database sees the first one\'s writes, and its feed announces them', async (t) => {
      if (!shareable(t)) return;
      const a = store();
      const b = await openAnother();
      try {
        const heardB: number[] = [];
        const heardA: number[] = [];
        const offB = b.feed.onChange((r) => heardB.push(r));
        const offA = a.feed.onChange((r) => heardA.push(r));
        const name = unique('nodes');
        const revA = await a.write(async (tx, r) => { await tx.insert('service', service(name), 0); return r; }, { bump: true });
        await waitFor(`store B to hear revision ${revA}`, () => heardB.includes(revA));
        assert.equal((await b.read().getByKey('service', name))?.key, name);
        assert.equal(await b.read().revision(), revA);
        // And the other way round.
        const other = unique('nodes');
        const revB = await b.write(async (tx, r) => { await tx.insert('service', service(other), 0); return r; }, { bump: true });
        assert.equal(revB, revA + 1);
        await waitFor(`store A to hear revision ${revB}`, () => heardA.includes(revB));
        assert.equal((await a.read().getByKey('service', other))?.key, other);
        offA();
        offB();
        assert.equal(b.feed.health().up, true);
      } finally {
        await closeAnother(b);
      }
    });

    recordTests(ctx);
    quotaTests(ctx);
    usageTests(ctx);
    portalTests(ctx);
    billingTests(ctx);
    brandingTests(ctx);
    ediTests(ctx);

    test('concurrent bumped writes from two stores on one database are serialised', async (t) => {
      if (!shareable(t)) return;
      const a = store();
      const b = await openAnother();
      try {
        const r0 = await a.read().revision();
        const prefix = unique('race');
        const writes = 20;
        const revisions = await Promise.all(Array.from({ length: writes }, (_, i) => (i % 2 === 0 ? a : b).write(async (tx, revision) => {
          const position = await tx.nextPosition('service');
          await tx.insert('service', service(`${prefix}-${String(i).padStart(2, '0')}`, { revision }), position);
          return revision;
        }, { bump: true })));
        assert.deepEqual([...revisions].sort((x, y) => x - y), Array.from({ length: writes }, (_, i) => r0 + i + 1), 'each write got its own revision');
        assert.equal(await a.read().revision(), r0 + writes);
        assert.equal(await b.read().revision(), r0 + writes);
        const mine = (await a.read().all('service')).filter((e) => e.key.startsWith(`${prefix}-`));
        assert.equal(mine.length, writes);
        assert.equal(new Set(mine.map((e) => e.position)).size, writes, 'reads inside a bumped write see the writes serialised before it');
      } finally {
        await closeAnother(b);
      }
    });
  });
}
