// Store conformance, entities: CRUD with versions, unique keys, listing (cursor pagination for
// every sort order, filters, tags), cursors the API did not issue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KindName } from '../../core/entities/kinds.ts';
import { DuplicateKeyError, InvalidCursorError, SORT_FIELDS, VersionConflictError, type ListQuery } from '../ports.ts';
import { RUN, unique, service, route, nextMillisecond, allPages, expectedOrder, forged, type SuiteContext } from './support.ts';

export function entityTests(ctx: SuiteContext): void {
  const { store } = ctx;
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

}
