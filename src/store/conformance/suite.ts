// The store conformance suite: what every Store adapter must do, whichever database serves it.
// A runner calls defineStoreConformance with a way to open a migrated store on a throwaway
// database; the tests share that database (each uses its own names), and open more stores on the
// same URL where they need a second node or a reopen. An in-memory SQLite database cannot be
// opened twice, so those tests are skipped for it.
import { after, before as beforeAll, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import type { EntityData, KindName } from '../../core/entities/kinds.ts';
import { LATEST_SCHEMA_VERSION, SchemaTooNewError } from '../migrations/index.ts';
import { openStore, parseDbUrl } from '../open.ts';
import {
  DuplicateKeyError, InvalidCursorError, SORT_FIELDS, VersionConflictError,
  type ListQuery, type SortField, type Store, type StoredEntity,
} from '../ports.ts';
import type { AuditRow, CredentialRow } from '../schema.ts';

export interface ConformanceTarget {
  /** A migrated store on a database the suite may fill with test data. */
  readonly store: Store;
  /** The URL `store` was opened with: the suite opens more stores on it. */
  readonly url: string;
  /** Closes `store` and disposes of the database. */
  cleanup(): Promise<void>;
}

/** The feed poll of the extra stores the suite opens (SQLite; Postgres is told by NOTIFY). */
const POLL_MS = 50;
/** How long a change may take to reach another store: a few polls, or one NOTIFY. */
const PROPAGATION_MS = 3000;

const RUN = randomBytes(3).toString('hex');
let seq = 0;
/** A name no other test in this run uses: lower-case letters, digits and '-' only, so that every collation sorts it alike. */
const unique = (prefix: string) => `${prefix}-${RUN}-${String(++seq).padStart(3, '0')}`;

const service = (name: string, extra: EntityData = {}): EntityData => ({ name, url: 'http://127.0.0.1:9', tags: [], ...extra });
const route = (name: string, svc: string, extra: EntityData = {}): EntityData => ({ name, service: svc, paths: [`/${name}`], tags: [], ...extra });

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = PROPAGATION_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits until the clock has moved on, so that the next timestamp written differs from the last. */
async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  while (Date.now() === now) await sleep(1);
}

const isShareable = (url: string) => parseDbUrl(url).target !== ':memory:';

/** One statement on its own connection, behind the store's back (to plant a future schema). */
async function rawQuery(url: string, statement: string): Promise<unknown[]> {
  const loc = parseDbUrl(url);
  if (loc.dialect === 'sqlite') {
    const db = new DatabaseSync(loc.target, { timeout: 5000 });
    try {
      return db.prepare(statement).all();
    } finally {
      db.close();
    }
  }
  const client = new Client({ connectionString: loc.target });
  await client.connect();
  try {
    return (await client.query(statement)).rows as unknown[];
  } finally {
    await client.end();
  }
}

/** Every page of a listing, checking the page contract on the way. */
async function allPages<T extends { id: string }>(fetch: (cursor: string | undefined) => Promise<{ data: T[]; next_cursor?: string }>, limit: number): Promise<{ rows: T[]; pages: number }> {
  const rows: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await fetch(cursor);
    pages += 1;
    assert.ok(page.data.length <= limit, `page ${pages} has ${page.data.length} rows, limit ${limit}`);
    if (page.next_cursor !== undefined) assert.equal(page.data.length, limit, `page ${pages} is short but says there is more`);
    rows.push(...page.data);
    cursor = page.next_cursor;
    assert.ok(pages <= 1000, 'pagination does not end');
  } while (cursor !== undefined);
  return { rows, pages };
}

function expectedOrder(entities: readonly StoredEntity[], sort: SortField, descending: boolean): string[] {
  const value = (e: StoredEntity): string | number => (sort === 'name' ? e.key : e[sort]);
  const cmp = (a: StoredEntity, b: StoredEntity): number => {
    const va = value(a);
    const vb = value(b);
    if (va !== vb) return va < vb ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
  const sorted = [...entities].sort(cmp);
  if (descending) sorted.reverse();
  return sorted.map((e) => e.id);
}

/** A row as plain data: node:sqlite returns rows as null-prototype objects, pg as plain ones. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

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
      assert.deepEqual(rows.map((r) => Number(r.version)), Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
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

    test('entities: insert, get, getByKey, update and delete, with versions', async () => {
      const s = store();
      const name = unique('crud');
      const position = await s.read().nextPosition('service');
      const inserted = await s.write((tx) => tx.insert('service', service(name, { retries: 1 }), position), { bump: true });
      assert.equal(inserted.key, name);
      assert.equal(inserted.version, 1);
      assert.equal(inserted.position, position);
      assert.equal(inserted.created_at, inserted.updated_at);
      assert.match(inserted.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(await s.read().nextPosition('service'), position + 1);

      assert.deepEqual(await s.read().get('service', inserted.id), inserted);
      assert.deepEqual(await s.read().getByKey('service', name), inserted);
      assert.equal(await s.read().get('service', '00000000-0000-7000-8000-000000000000'), undefined);
      assert.equal(await s.read().getByKey('service', unique('absent')), undefined);
      assert.ok((await s.read().all('service')).some((e) => e.id === inserted.id));

      await nextMillisecond();
      const updated = await s.write((tx) => tx.update('service', inserted.id, service(name, { retries: 2 }), 1), { bump: true });
      assert.equal(updated.version, 2);
      assert.equal(updated.created_at, inserted.created_at);
      assert.ok(updated.updated_at > inserted.updated_at, 'updated_at moves on');
      assert.equal(updated.position, position);
      assert.deepEqual(await s.read().get('service', inserted.id), updated);

      // Unconditional update, a new position and a new natural key.
      const renamed = unique('crud');
      const moved = await s.write((tx) => tx.update('service', inserted.id, service(renamed, { retries: 3 }), undefined, position + 100), { bump: true });
      assert.equal(moved.version, 3);
      assert.equal(moved.position, position + 100);
      assert.equal(await s.read().getByKey('service', name), undefined);
      assert.deepEqual((await s.read().getByKey('service', renamed))?.data, service(renamed, { retries: 3 }));

      // An explicit id is kept.
      const id = '01900000-0000-7000-8000-0000000000aa';
      const withId = await s.write((tx) => tx.insert('service', service(unique('crud')), 0, id), { bump: true });
      assert.equal(withId.id, id);

      await s.write((tx) => tx.delete('service', inserted.id, 3), { bump: true });
      await s.write((tx) => tx.delete('service', id), { bump: true });
      assert.equal(await s.read().get('service', inserted.id), undefined);
      assert.equal(await s.read().getByKey('service', renamed), undefined);
      assert.equal(await s.read().get('service', id), undefined);
    });

    test('update and delete with a stale version, or of a missing row: VersionConflictError, nothing changed', async () => {
      const s = store();
      const e = await s.write((tx) => tx.insert('route', route(unique('conflict'), 'svc'), 0), { bump: true });
      const revision = await s.read().revision();
      await assert.rejects(s.write((tx) => tx.update('route', e.id, { ...e.data, paths: ['/changed'] }, 2), { bump: true }), VersionConflictError);
      await assert.rejects(s.write((tx) => tx.delete('route', e.id, 2), { bump: true }), VersionConflictError);
      await assert.rejects(s.write((tx) => tx.delete('route', e.id, 0)), VersionConflictError);
      const missing = '00000000-0000-7000-8000-00000000dead';
      await assert.rejects(s.write((tx) => tx.update('route', missing, route(unique('conflict'), 'svc'))), VersionConflictError);
      await assert.rejects(s.write((tx) => tx.delete('route', missing)), VersionConflictError);
      assert.deepEqual(await s.read().get('route', e.id), e);
      assert.equal(await s.read().revision(), revision, 'failed writes roll their revision bump back');
      // The right version still works.
      const updated = await s.write((tx) => tx.update('route', e.id, { ...e.data, paths: ['/changed'] }, 1));
      assert.equal(updated.version, 2);
      await assert.rejects(s.write((tx) => tx.update('route', e.id, e.data, 1)), VersionConflictError);
      await s.write((tx) => tx.delete('route', e.id, 2));
    });

    test('a taken natural key: DuplicateKeyError on insert and on rename', async () => {
      const s = store();
      const a = unique('dup');
      const b = unique('dup');
      await s.write((tx) => tx.insert('service', service(a), 0));
      const eb = await s.write((tx) => tx.insert('service', service(b), 1));
      await assert.rejects(s.write((tx) => tx.insert('service', service(a, { retries: 5 }), 2)), DuplicateKeyError);
      await assert.rejects(s.write((tx) => tx.update('service', eb.id, service(a))), DuplicateKeyError);
      assert.equal((await s.read().getByKey('service', b))?.version, 1);
      // Keys are per kind: a route may share a service's name.
      await s.write((tx) => tx.insert('route', route(a, a), 0));
      // Composite keys (subscription: consumer/product).
      const consumer = unique('dup-consumer');
      await s.write((tx) => tx.insert('subscription', { consumer, product: 'p1', plan: 'free', status: 'active' }, 0));
      await s.write((tx) => tx.insert('subscription', { consumer, product: 'p2', plan: 'free', status: 'active' }, 1));
      await assert.rejects(s.write((tx) => tx.insert('subscription', { consumer, product: 'p1', plan: 'gold', status: 'active' }, 2)), DuplicateKeyError);
    });

    test('list: cursor pagination for every sort field, ascending and descending', async () => {
      const s = store();
      const svc = unique('pages-svc');
      const prefix = unique('pages');
      // Names, positions and creation order all disagree; two positions tie (broken by id).
      const letters = ['g', 'c', 'a', 'f', 'b', 'e', 'd'];
      const positions = [4, 0, 6, 2, 2, 5, 1];
      const ids: string[] = [];
      for (const [i, letter] of letters.entries()) {
        if (i === 3) await nextMillisecond(); // two created_at groups: ties and differences
        const e = await s.write((tx) => tx.insert('route', route(`${prefix}-${letter}`, svc), positions[i]!));
        ids.push(e.id);
      }
      // updated_at in yet another order; the first entity keeps its creation time.
      for (const i of [5, 1, 3, 6]) {
        await nextMillisecond();
        const current = (await s.read().get('route', ids[i]!))!;
        await s.write((tx) => tx.update('route', current.id, { ...current.data, paths: ['/again'] }, current.version));
      }
      const entities = (await s.read().all('route')).filter((e) => ids.includes(e.id));
      assert.equal(entities.length, ids.length);

      for (const sort of SORT_FIELDS) {
        for (const descending of [false, true]) {
          const expected = expectedOrder(entities, sort, descending);
          for (const limit of [1, 3, 7, 50]) {
            const query: ListQuery = { limit, sort, descending, filters: { service: svc } };
            const { rows, pages } = await allPages((cursor) => s.read().list('route', { ...query, cursor }), limit);
            const got = rows.map((e) => e.id);
            assert.equal(new Set(got).size, got.length, `${sort} ${descending ? 'desc' : 'asc'} limit ${limit}: duplicates`);
            assert.deepEqual(got, expected, `${sort} ${descending ? 'desc' : 'asc'} limit ${limit}: order, gaps`);
            assert.equal(pages, Math.max(1, Math.ceil(ids.length / limit)), `${sort} limit ${limit}: page count`);
            // Stable: the same query gives the same pages.
            const again = await allPages((cursor) => s.read().list('route', { ...query, cursor }), limit);
            assert.deepEqual(again.rows.map((e) => e.id), got);
          }
        }
      }
      // The default sort is by position, ascending.
      const first = await s.read().list('route', { limit: 50, filters: { service: svc } });
      assert.deepEqual(first.data.map((e) => e.id), expectedOrder(entities, 'position', false));
      assert.equal(first.next_cursor, undefined);
      // Rows listed carry everything a get returns.
      const listed = first.data.find((e) => e.id === ids[0]);
      assert.deepEqual(listed, await s.read().get('route', ids[0]!));
    });

    test('list: a row inserted behind the cursor is not returned twice, nor a later one skipped', async () => {
      const s = store();
      const svc = unique('live-svc');
      const prefix = unique('live');
      for (const [i, letter] of ['b', 'd', 'f', 'h'].entries()) await s.write((tx) => tx.insert('route', route(`${prefix}-${letter}`, svc), i));
      const query: ListQuery = { limit: 2, sort: 'name', filters: { service: svc } };
      const page1 = await s.read().list('route', query);
      assert.deepEqual(page1.data.map((e) => e.key), [`${prefix}-b`, `${prefix}-d`]);
      await s.write((tx) => tx.insert('route', route(`${prefix}-a`, svc), 10)); // before the cursor
      await s.write((tx) => tx.insert('route', route(`${prefix}-e`, svc), 11)); // after it
      const rest = await allPages((cursor) => s.read().list('route', { ...query, cursor: cursor ?? page1.next_cursor }), 2);
      assert.deepEqual(rest.rows.map((e) => e.key), [`${prefix}-e`, `${prefix}-f`, `${prefix}-h`]);
    });

    test('list: filters on indexed columns and on name', async () => {
      const s = store();
      const svcA = unique('filter-svc');
      const svcB = unique('filter-svc');
      const routes = await s.write(async (tx) => [
        await tx.insert('route', route(unique('filter-r'), svcA), 0),
        await tx.insert('route', route(unique('filter-r'), svcA), 1),
        await tx.insert('route', route(unique('filter-r'), svcB), 2),
      ]);
      const ids = async (kind: KindName, filters: Record<string, string>) => (await s.read().list(kind, { limit: 100, filters })).data.map((e) => e.id).sort();
      assert.deepEqual(await ids('route', { service: svcA }), [routes[0]!.id, routes[1]!.id].sort());
      assert.deepEqual(await ids('route', { service: svcB }), [routes[2]!.id]);
      assert.deepEqual(await ids('route', { service: unique('filter-none') }), []);
      assert.deepEqual(await ids('route', { name: routes[1]!.key }), [routes[1]!.id]);
      assert.deepEqual(await ids('route', { name: routes[1]!.key, service: svcB }), []);

      const consumerA = unique('filter-consumer');
      const consumerB = unique('filter-consumer');
      const product = unique('filter-product');
      const subs = await s.write(async (tx) => [
        await tx.insert('subscription', { consumer: consumerA, product, plan: 'free', status: 'active' }, 0),
        await tx.insert('subscription', { consumer: consumerA, product: unique('filter-product'), plan: 'gold', status: 'pending' }, 1),
        await tx.insert('subscription', { consumer: consumerB, product, plan: 'gold', status: 'active' }, 2),
      ]);
      assert.equal(subs[0]!.key, `${consumerA}/${product}`);
      assert.deepEqual(await ids('subscription', { consumer: consumerA }), [subs[0]!.id, subs[1]!.id].sort());
      assert.deepEqual(await ids('subscription', { product }), [subs[0]!.id, subs[2]!.id].sort());
      assert.deepEqual(await ids('subscription', { product, plan: 'gold' }), [subs[2]!.id]);
      assert.deepEqual(await ids('subscription', { consumer: consumerA, status: 'pending' }), [subs[1]!.id]);

      const plugins = await s.write(async (tx) => [
        await tx.insert('plugin', { name: 'cors', service: svcA, config: {} }, 0),
        await tx.insert('plugin', { name: 'cors', route: routes[0]!.key, config: {} }, 1),
        await tx.insert('plugin', { name: 'rate-limiting', service: svcA, config: {} }, 2),
      ]);
      assert.equal(plugins[0]!.key, `cors@service:${svcA}`);
      assert.equal(plugins[1]!.key, `cors@route:${routes[0]!.key}`);
      assert.deepEqual(await ids('plugin', { service: svcA }), [plugins[0]!.id, plugins[2]!.id].sort());
      assert.deepEqual(await ids('plugin', { route: routes[0]!.key }), [plugins[1]!.id]);
      assert.deepEqual(await ids('plugin', { service: svcA, plugin: 'cors', scope: 'service' }), [plugins[0]!.id]);

      const customId = unique('ext');
      const consumer = await s.write((tx) => tx.insert('consumer', { name: unique('filter-c'), custom_id: customId, groups: [], tags: [] }, 0));
      assert.deepEqual(await ids('consumer', { custom_id: customId }), [consumer.id]);
      const product2 = await s.write((tx) => tx.insert('product', { name: unique('filter-p'), status: 'published', services: [svcB], plans: [], tags: [] }, 0));
      assert.ok((await ids('product', { status: 'published' })).includes(product2.id));
      assert.ok(!(await ids('product', { status: 'draft' })).includes(product2.id));

      // deleteWhere: what nested entities go with their owner.
      const gone = await s.write((tx) => tx.deleteWhere('plugin', 'service', svcA));
      assert.deepEqual(gone.map((e) => e.id).sort(), [plugins[0]!.id, plugins[2]!.id].sort());
      assert.deepEqual(await ids('plugin', { service: svcA }), []);
      assert.deepEqual(await s.write((tx) => tx.deleteWhere('plugin', 'service', svcA)), []);
    });

    test('list: tag filter matches whole tags exactly (no LIKE wildcards, case-sensitive)', async () => {
      const s = store();
      const svc = unique('tags-svc');
      const t = RUN; // tags unique to this run
      const make = (tags: string[]) => s.write(async (tx) => tx.insert('route', route(unique('tags'), svc, { tags }), 0));
      const underscore = await make([`a_${t}`]);
      const x = await make([`ax${t}`]); // would match "a_…" if "_" were a wildcard
      const percent = await make([`p%${t}`]);
      const pq = await make([`pq${t}`]); // would match "p%…" if "%" were a wildcard
      const several = await make(['first', `mid-${t}`, 'last']);
      const upper = await make([`Case-${t}`]);
      const backslash = await make([`b\\${t}`]);
      await make([]);
      const tagged = async (tag: string, filters: Record<string, string> = { service: svc }) => (await s.read().list('route', { limit: 100, tag, filters })).data.map((e) => e.id).sort();
      assert.deepEqual(await tagged(`a_${t}`), [underscore.id]);
      assert.deepEqual(await tagged(`ax${t}`), [x.id]);
      assert.deepEqual(await tagged(`a_`), []);
      assert.deepEqual(await tagged(`p%${t}`), [percent.id]);
      assert.deepEqual(await tagged(`pq${t}`), [pq.id]);
      assert.deepEqual(await tagged(`p%`), []);
      assert.deepEqual(await tagged(`%`), []);
      assert.deepEqual(await tagged(`_`), []);
      assert.deepEqual(await tagged(`b\\${t}`), [backslash.id]);
      assert.deepEqual(await tagged(`mid-${t}`), [several.id]);
      assert.deepEqual(await tagged('first'), [several.id]);
      assert.deepEqual(await tagged('last'), [several.id]);
      assert.deepEqual(await tagged(`mid`), [], 'a tag matches whole, not a prefix');
      assert.deepEqual(await tagged(`first,mid-${t}`), [], 'one tag per filter');
      assert.deepEqual(await tagged(`Case-${t}`), [upper.id]);
      assert.deepEqual(await tagged(`case-${t}`), [], 'tags are case-sensitive');
      assert.deepEqual(await tagged(`CASE-${t}`), [], 'tags are case-sensitive');
      // Without the service filter the tag alone finds it; with pagination too.
      assert.deepEqual(await tagged(`a_${t}`, {}), [underscore.id]);
      const { rows } = await allPages((cursor) => s.read().list('route', { limit: 1, tag: 'first', filters: { service: svc }, cursor }), 1);
      assert.deepEqual(rows.map((e) => e.id), [several.id]);
      // Updating the tags updates what the filter finds.
      await s.write((tx) => tx.update('route', several.id, { ...several.data, tags: ['other'] }));
      assert.deepEqual(await tagged('first'), []);
      assert.deepEqual(await tagged('other'), [several.id]);
    });

    test('list: a cursor this API did not issue is an InvalidCursorError', async () => {
      const s = store();
      const svc = unique('cursor-svc');
      for (let i = 0; i < 3; i++) await s.write((tx) => tx.insert('route', route(unique('cursor'), svc), i));
      const page = await s.read().list('route', { limit: 1, filters: { service: svc } });
      assert.ok(page.next_cursor);
      const bad = [
        'not a cursor!', '', '%%%', Buffer.from('not json').toString('base64url'), forged({ a: 1 }), forged([1]), forged([1, 2]), forged([null, 'x']), forged([1, 'x', 3]),
        forged(['text', 'x']), // a string where a position (number) belongs
        forged([1.5, 'x']), forged([2 ** 40, 'x']), // not a stored position
      ];
      for (const cursor of bad) {
        await assert.rejects(s.read().list('route', { limit: 1, cursor, filters: { service: svc } }), InvalidCursorError, `cursor ${JSON.stringify(cursor)}`);
      }
      // A name cursor is text: a number there is not one this API issued either.
      await assert.rejects(s.read().list('route', { limit: 1, sort: 'name', cursor: forged([5, 'x']), filters: { service: svc } }), InvalidCursorError);
      await assert.rejects(s.read().list('route', { limit: 1, sort: 'name', cursor: forged(['a\u0000b', 'x']), filters: { service: svc } }), InvalidCursorError);
      await assert.rejects(s.read().listAudit({ limit: 1, cursor: 'garbage!' }), InvalidCursorError);
      await assert.rejects(s.read().listCredentials({ limit: 1, cursor: forged([7, 'x']) }), InvalidCursorError);
      // The issued cursor still works after all that.
      assert.equal((await s.read().list('route', { limit: 1, cursor: page.next_cursor, filters: { service: svc } })).data.length, 1);
    });

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
