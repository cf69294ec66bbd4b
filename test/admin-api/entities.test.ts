// Generic entity CRUD of the admin API (/admin/<collection>): happy paths for every kind, body
// validation with pointers into the request, If-Match concurrency, 404/409, cascades and renames,
// keyset pagination under every sort order, and list filters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  UUID_RE, assertInvalid, assertOk, assertProblem, assertSubset, create, listAll, revision, routeBody, serviceBody, withHarness,
  type Harness, type Json,
} from './helpers.ts';

interface KindCase {
  readonly collection: string;
  /** Creates what the entity refers to. */
  setup?(h: Harness): Promise<void>;
  readonly body: Json;
  /** The natural key (GET /admin/<collection>/<key>). */
  readonly key: string;
  readonly patch: Json;
  /** A full replacement (PUT). */
  readonly replace: Json;
}

const KIND_CASES: KindCase[] = [
  { collection: 'services', body: serviceBody('billing', { tags: ['team-a'] }), key: 'billing', patch: { retries: 5 }, replace: serviceBody('billing', { path: '/v2', tags: ['team-b'] }) },
  {
    collection: 'routes', setup: async (h) => { await create(h, 'services', serviceBody('billing')); },
    body: routeBody('invoices', 'billing', { methods: ['GET'] }), key: 'invoices', patch: { priority: 10 }, replace: routeBody('invoices', 'billing', { paths: ['/v2/invoices'] }),
  },
  {
    collection: 'plugins', body: { name: 'request-termination', config: { message: 'down for maintenance' } }, key: 'request-termination@global',
    patch: { enabled: false }, replace: { name: 'request-termination', config: { status_code: 418, body: 'teapot' } },
  },
  { collection: 'consumers', body: { name: 'acme', groups: ['partners'] }, key: 'acme', patch: { custom_id: 'crm-42' }, replace: { name: 'acme', tags: ['gold'] } },
  { collection: 'plans', body: { name: 'free', rate_limits: [{ window: 'minute', limit: 60 }] }, key: 'free', patch: { title: 'Free tier' }, replace: { name: 'free', requires_approval: true } },
  {
    collection: 'products', setup: async (h) => { await create(h, 'plans', { name: 'free' }); },
    body: { name: 'payments', plans: ['free'] }, key: 'payments', patch: { status: 'published' }, replace: { name: 'payments', title: 'Payments API', plans: ['free'] },
  },
  {
    collection: 'subscriptions',
    setup: async (h) => {
      await create(h, 'consumers', { name: 'acme' });
      await create(h, 'plans', { name: 'free' });
      await create(h, 'products', { name: 'payments', plans: ['free'] });
    },
    body: { consumer: 'acme', product: 'payments', plan: 'free' }, key: 'acme/payments', patch: { status: 'suspended' }, replace: { consumer: 'acme', product: 'payments', plan: 'free', status: 'cancelled' },
  },
];

for (const kc of KIND_CASES) {
  test(`${kc.collection}: create, read by id and key, list, patch, replace, delete`, () => withHarness(async (h) => {
    await kc.setup?.(h);
    const base = `/admin/${kc.collection}`;
    const created = await h.call('POST', base, { as: 'editor', body: kc.body });
    const c = assertOk(created, 201, { etag: true });
    assert.match(String(c.id), UUID_RE);
    assert.equal(created.headers.location, `${base}/${String(c.id)}`);
    assert.equal(c.version, 1);
    assert.equal(typeof c.created_at, 'string');
    assert.equal(c.created_at, c.updated_at);
    assertSubset(c, kc.body);

    // Location resolves; the natural key works as well as the id (URL-encoded when it has a "/").
    const byLocation = await h.call('GET', String(created.headers.location), { as: 'viewer' });
    assert.deepEqual(assertOk(byLocation, 200, { etag: true }), c);
    const byKey = await h.call('GET', `${base}/${encodeURIComponent(kc.key)}`, { as: 'viewer' });
    assert.deepEqual(assertOk(byKey, 200, { etag: true }), c);

    const list = assertOk(await h.call('GET', base, { as: 'viewer' }));
    assert.deepEqual(list.data, [c]);
    assert.equal(list.next_cursor, undefined);

    const patched = assertOk(await h.call('PATCH', `${base}/${String(c.id)}`, { as: 'editor', body: kc.patch }), 200, { etag: true });
    assert.equal(patched.version, 2);
    assert.equal(patched.id, c.id);
    assert.equal(patched.created_at, c.created_at);
    assertSubset(patched, kc.patch);
    for (const k of Object.keys(kc.body)) if (!(k in kc.patch)) assert.deepEqual(patched[k], c[k], `PATCH keeps ${k}`);

    const replaced = assertOk(await h.call('PUT', `${base}/${encodeURIComponent(kc.key)}`, { as: 'editor', body: kc.replace }), 200, { etag: true });
    assert.equal(replaced.version, 3);
    assertSubset(replaced, kc.replace);
    // PUT replaces: what the patch set and the replacement leaves out is back to its default.
    for (const k of Object.keys(kc.patch)) if (!(k in kc.replace)) assert.notDeepEqual(replaced[k], kc.patch[k], `PUT resets ${k}`);

    const deleted = await h.call('DELETE', `${base}/${String(c.id)}`, { as: 'editor' });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assert.equal(deleted.headers['cache-control'], 'no-store');
    assertProblem(await h.call('GET', `${base}/${String(c.id)}`, { as: 'viewer' }), 404, 'not-found');
    assertProblem(await h.call('DELETE', `${base}/${String(c.id)}`, { as: 'editor' }), 404, 'not-found');
    assert.deepEqual(assertOk(await h.call('GET', base, { as: 'viewer' })).data, []);
  }));
}

test('validation errors answer 400 problem+json with pointers into the body, and write nothing', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('billing'));
  await create(h, 'routes', routeBody('invoices', 'billing'));
  const before = await revision(h);
  const cases: { collection: string; body: unknown; pointers: string[] }[] = [
    { collection: 'services', body: serviceBody('bad', { targets: [{ url: 'ftp://example.com' }] }), pointers: ['/targets/0/url'] },
    { collection: 'services', body: serviceBody('bad', { targets: [{ url: 'http://user:pw@example.com' }] }), pointers: ['/targets/0/url'] },
    { collection: 'services', body: serviceBody('bad', { bogus: true }), pointers: ['/bogus'] },
    { collection: 'services', body: serviceBody('bad', { targets: [{ url: 'http://a:1', colour: 'red' }] }), pointers: ['/targets/0/colour'] },
    { collection: 'services', body: { name: 'bad' }, pointers: ['/targets'] },
    { collection: 'services', body: serviceBody('bad', { retries: 'many' }), pointers: ['/retries'] },
    { collection: 'services', body: serviceBody('bad name with spaces'), pointers: ['/name'] },
    { collection: 'services', body: serviceBody('bad', { targets: [{ url: 'nope' }], retries: 99 }), pointers: ['/targets/0/url', '/retries'] },
    { collection: 'routes', body: routeBody('r-regex', 'billing', { paths: ['~^/(a+)+$'] }), pointers: ['/paths/0'] },
    { collection: 'routes', body: routeBody('r-ghost', 'ghost'), pointers: ['/service'] },
    { collection: 'routes', body: routeBody('r-method', 'billing', { methods: ['get'] }), pointers: ['/methods/0'] },
    { collection: 'plugins', body: { name: 'request-size-limiting', service: 'billing', config: { allowed_payload_size: -1 } }, pointers: ['/config/allowed_payload_size'] },
    { collection: 'plugins', body: { name: 'request-size-limiting', config: { size_unit: 'gigabytes', allowed_payload_size: 1 } }, pointers: ['/config/size_unit'] },
    { collection: 'plugins', body: { name: 'request-transformer', route: 'invoices', config: { add: { headers: { 'x-ok': 'line\nbreak' } } } }, pointers: ['/config/add/headers/x-ok'] },
    { collection: 'plugins', body: { name: 'ip-restriction', config: { allow: ['10.0.0.0/8'], mode: 'strict' } }, pointers: ['/config/mode'] },
    { collection: 'plugins', body: { name: 'request-termination', config: { status_code: 200 } }, pointers: ['/config'] },
    { collection: 'plugins', body: { name: 'no-such-plugin' }, pointers: ['/name'] },
    { collection: 'plugins', body: { name: 'ip-restriction', service: 'ghost', config: { deny: ['10.0.0.1'] } }, pointers: ['/service'] },
    { collection: 'plugins', body: { name: 'ip-restriction', route: 'ghost', config: { deny: ['10.0.0.1'] } }, pointers: ['/route'] },
    { collection: 'plugins', body: { name: 'ip-restriction', service: 'billing', route: 'invoices', config: {} }, pointers: ['/route'] },
    { collection: 'consumers', body: { name: 'c', groups: ['a', 'a'] }, pointers: ['/groups'] },
    { collection: 'plans', body: { name: 'p', price: { currency: 'euro' } }, pointers: ['/price/currency'] },
    { collection: 'products', body: { name: 'prod', plans: ['ghost-plan'] }, pointers: ['/plans/0'] },
    { collection: 'subscriptions', body: { consumer: 'ghost', product: 'x', plan: 'y' }, pointers: ['/consumer'] },
    { collection: 'services', body: [serviceBody('array')], pointers: [''] },
  ];
  for (const c of cases) {
    const errors = assertInvalid(await h.call('POST', `/admin/${c.collection}`, { as: 'editor', body: c.body }), ...c.pointers);
    // Pointers name the request body, never the assembled config document.
    for (const e of errors) assert.doesNotMatch(e.pointer, /^\/(services|routes|plugins)\/\d+\//, JSON.stringify(e));
  }

  // Replace and merge-patch are checked just the same, pointing into what was sent.
  assertInvalid(await h.call('PUT', '/admin/routes/invoices', { as: 'editor', body: routeBody('invoices', 'ghost') }), '/service');
  assertInvalid(await h.call('PATCH', '/admin/routes/invoices', { as: 'editor', body: { paths: ['/ok', '~(x+x+)+y'] } }), '/paths/1');
  assertInvalid(await h.call('PATCH', '/admin/services/billing', { as: 'editor', body: { targets: [{ url: 'gopher://x' }] } }), '/targets/0/url');
  assertInvalid(await h.call('PATCH', '/admin/services/billing', { as: 'editor', body: { name: null } }), '/name');
  assertInvalid(await h.call('PATCH', '/admin/services/billing', { as: 'editor', body: { unknown_field: 1 } }), '/unknown_field');
  assertInvalid(await h.call('PATCH', '/admin/services/billing', { as: 'editor', body: [1, 2] }), '');

  assert.equal(await revision(h), before, 'no rejected write moved the revision');
  assert.equal((await listAll(h, '/admin/services')).length, 1);
  assert.equal((await listAll(h, '/admin/plugins')).length, 0);
}));

test('If-Match: a stale ETag answers 412 and changes nothing; the current one or * succeeds', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('billing'));
  const read = await h.call('GET', '/admin/services/billing', { as: 'viewer' });
  const etag = String(read.headers.etag);
  assert.equal(etag, '"v1"');

  const ok = await h.call('PATCH', '/admin/services/billing', { as: 'editor', body: { retries: 3 }, headers: { 'if-match': etag } });
  assert.equal(assertOk(ok, 200, { etag: true }).version, 2);
  assert.equal(ok.headers.etag, '"v2"');

  // Someone else's change happened since v1 was read.
  for (const method of ['PATCH', 'PUT'] as const) {
    const stale = await h.call(method, '/admin/services/billing', { as: 'editor', body: method === 'PUT' ? serviceBody('billing') : { retries: 9 }, headers: { 'if-match': etag } });
    assertProblem(stale, 412, 'precondition-failed');
  }
  assertProblem(await h.call('DELETE', '/admin/services/billing', { as: 'editor', headers: { 'if-match': etag } }), 412, 'precondition-failed');
  // Weak tags never match (strong comparison), nor do garbage tags.
  assertProblem(await h.call('PATCH', '/admin/services/billing', { as: 'editor', body: { retries: 9 }, headers: { 'if-match': 'W/"v2"' } }), 412, 'precondition-failed');
  assertProblem(await h.call('PATCH', '/admin/services/billing', { as: 'editor', body: { retries: 9 }, headers: { 'if-match': 'v2' } }), 412, 'precondition-failed');
  const unchanged = assertOk(await h.call('GET', '/admin/services/billing', { as: 'viewer' }), 200, { etag: true });
  assert.equal(unchanged.version, 2);
  assert.equal(unchanged.retries, 3);

  // A list of tags matches if any does; * matches whatever the version.
  const listed = await h.call('PUT', '/admin/services/billing', { as: 'editor', body: serviceBody('billing', { retries: 4 }), headers: { 'if-match': '"v1", "v2"' } });
  assert.equal(assertOk(listed, 200, { etag: true }).version, 3);
  const star = await h.call('PATCH', '/admin/services/billing', { as: 'editor', body: { retries: 5 }, headers: { 'if-match': '*' } });
  assert.equal(assertOk(star, 200, { etag: true }).version, 4);
  assert.equal((await h.call('DELETE', '/admin/services/billing', { as: 'editor', headers: { 'if-match': '"v4"' } })).status, 204);
}));

test('If-Match: of two concurrent writes based on the same version exactly one wins', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('svc'));
  await create(h, 'routes', routeBody('r', 'svc'));
  const answers = await Promise.all([1, 2, 3].map((p) => h.call('PATCH', '/admin/routes/r', { as: 'editor', body: { priority: p }, headers: { 'if-match': '"v1"' } })));
  assert.deepEqual(answers.map((a) => a.status).sort(), [200, 412, 412]);
  const winner = answers.find((a) => a.status === 200)!;
  const now = assertOk(await h.call('GET', '/admin/routes/r', { as: 'viewer' }), 200, { etag: true });
  assert.equal(now.version, 2);
  assert.equal(now.priority, winner.body.priority);
}));

test('unknown ids and names answer 404 not-found on every entity method', () => withHarness(async (h) => {
  for (const ref of ['ghost', '01900000-0000-7000-8000-000000000000']) {
    for (const collection of ['services', 'routes', 'plugins', 'consumers', 'plans', 'products', 'subscriptions']) {
      const url = `/admin/${collection}/${ref}`;
      const body = assertProblem(await h.call('GET', url, { as: 'viewer' }), 404, 'not-found');
      assert.match(String(body.detail), new RegExp(ref));
      assertProblem(await h.call('PATCH', url, { as: 'editor', body: {} }), 404, 'not-found');
      assertProblem(await h.call('DELETE', url, { as: 'editor' }), 404, 'not-found');
    }
    assertProblem(await h.call('PUT', `/admin/services/${ref}`, { as: 'editor', body: serviceBody('x') }), 404, 'not-found');
  }
}));

test('duplicate names answer 409 conflict, on create and on rename', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('a'));
  await create(h, 'services', serviceBody('b'));
  assertProblem(await h.call('POST', '/admin/services', { as: 'editor', body: serviceBody('a') }), 409, 'conflict');
  assertProblem(await h.call('PATCH', '/admin/services/b', { as: 'editor', body: { name: 'a' } }), 409, 'conflict');
  assertProblem(await h.call('PUT', '/admin/services/b', { as: 'editor', body: serviceBody('a') }), 409, 'conflict');
  await create(h, 'plugins', { name: 'ip-restriction', service: 'a', config: { deny: ['10.0.0.1'] } });
  // The same plugin on another scope is another instance; twice on one scope is a conflict.
  await create(h, 'plugins', { name: 'ip-restriction', service: 'b', config: { deny: ['10.0.0.1'] } });
  await create(h, 'plugins', { name: 'ip-restriction', config: { deny: ['10.0.0.1'] } });
  assertProblem(await h.call('POST', '/admin/plugins', { as: 'editor', body: { name: 'ip-restriction', service: 'a', config: {} } }), 409, 'conflict');
  await create(h, 'consumers', { name: 'acme' });
  assertProblem(await h.call('POST', '/admin/consumers', { as: 'editor', body: { name: 'acme' } }), 409, 'conflict');
  assert.deepEqual((await listAll(h, '/admin/services')).map((s) => s.name), ['a', 'b']);
}));

test('deleting or renaming what others refer to answers 409 entity-in-use and keeps it', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('billing'));
  await create(h, 'routes', routeBody('invoices', 'billing'));
  await create(h, 'plans', { name: 'free' });
  await create(h, 'products', { name: 'payments', plans: ['free'] });
  const rev = await revision(h);

  const del = assertProblem(await h.call('DELETE', '/admin/services/billing', { as: 'editor' }), 409, 'entity-in-use');
  assert.match(String(del.detail), /route "invoices"/);
  assert.ok(Array.isArray(del.errors) && (del.errors as Json[]).length > 0);
  assertProblem(await h.call('PATCH', '/admin/services/billing', { as: 'editor', body: { name: 'billing-v2' } }), 409, 'entity-in-use');
  assertProblem(await h.call('DELETE', '/admin/plans/free', { as: 'editor' }), 409, 'entity-in-use');
  assert.equal(await revision(h), rev);
  assertOk(await h.call('GET', '/admin/services/billing', { as: 'viewer' }));
  assertOk(await h.call('GET', '/admin/plans/free', { as: 'viewer' }));

  // Once nothing refers to it, it goes.
  assert.equal((await h.call('DELETE', '/admin/routes/invoices', { as: 'editor' })).status, 204);
  assert.equal((await h.call('DELETE', '/admin/services/billing', { as: 'editor' })).status, 204);
}));

test('deleting a route or a service deletes the plugins scoped to it, and only those', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('billing'));
  await create(h, 'services', serviceBody('orders'));
  await create(h, 'routes', routeBody('invoices', 'billing'));
  await create(h, 'routes', routeBody('refunds', 'billing'));
  const onRoute = await create(h, 'plugins', { name: 'request-transformer', route: 'invoices', config: { add: { headers: { 'x-a': '1' } } } });
  const onRoute2 = await create(h, 'plugins', { name: 'ip-restriction', route: 'invoices', config: { deny: ['10.0.0.1'] } });
  const onOther = await create(h, 'plugins', { name: 'request-transformer', route: 'refunds', config: {} });
  const onService = await create(h, 'plugins', { name: 'request-size-limiting', service: 'billing', config: { allowed_payload_size: 1 } });
  const global = await create(h, 'plugins', { name: 'ip-restriction', config: { deny: ['10.0.0.2'] } });
  const onOrders = await create(h, 'plugins', { name: 'request-size-limiting', service: 'orders', config: { allowed_payload_size: 2 } });

  assert.equal((await h.call('DELETE', '/admin/routes/invoices', { as: 'editor' })).status, 204);
  for (const p of [onRoute, onRoute2]) assertProblem(await h.call('GET', `/admin/plugins/${String(p.id)}`, { as: 'viewer' }), 404, 'not-found');
  assert.deepEqual(assertOk(await h.call('GET', '/admin/plugins?route=invoices', { as: 'viewer' })).data, []);
  const left = (await listAll(h, '/admin/plugins')).map((p) => p.id);
  assert.deepEqual(left, [onOther.id, onService.id, global.id, onOrders.id]);

  assert.equal((await h.call('DELETE', '/admin/routes/refunds', { as: 'editor' })).status, 204);
  assert.equal((await h.call('DELETE', '/admin/services/billing', { as: 'editor' })).status, 204);
  assert.deepEqual((await listAll(h, '/admin/plugins')).map((p) => p.id), [global.id, onOrders.id]);
  // The export agrees: nothing dangling.
  const doc = assertOk(await h.call('GET', '/admin/config', { as: 'viewer' }));
  assert.deepEqual((doc.services as Json[]).map((s) => [s.name, (s.plugins as Json[]).map((p) => p.name)]), [['orders', ['request-size-limiting']]]);
  assert.deepEqual(doc.routes, []);
}));

test('renaming a service or route carries its scoped plugins along', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('billing'));
  await create(h, 'services', serviceBody('orders'));
  const p1 = await create(h, 'plugins', { name: 'ip-restriction', service: 'billing', config: { deny: ['10.0.0.1'] } });
  const p2 = await create(h, 'plugins', { name: 'request-size-limiting', service: 'billing', config: { allowed_payload_size: 5 } });
  const other = await create(h, 'plugins', { name: 'ip-restriction', service: 'orders', config: { deny: ['10.0.0.1'] } });

  const renamed = assertOk(await h.call('PATCH', '/admin/services/billing', { as: 'editor', body: { name: 'payments' } }), 200, { etag: true });
  assert.equal(renamed.name, 'payments');
  assertProblem(await h.call('GET', '/admin/services/billing', { as: 'viewer' }), 404, 'not-found');
  for (const p of [p1, p2]) {
    const now = assertOk(await h.call('GET', `/admin/plugins/${String(p.id)}`, { as: 'viewer' }), 200, { etag: true });
    assert.equal(now.service, 'payments');
    assert.equal(now.version, 2);
    assert.deepEqual(now.config, p.config);
  }
  assertOk(await h.call('GET', '/admin/plugins/ip-restriction@service:payments', { as: 'viewer' }));
  assertProblem(await h.call('GET', '/admin/plugins/ip-restriction@service:billing', { as: 'viewer' }), 404, 'not-found');
  assert.deepEqual(assertOk(await h.call('GET', `/admin/plugins/${String(other.id)}`, { as: 'viewer' })).service, 'orders');
  assert.deepEqual((assertOk(await h.call('GET', '/admin/plugins?service=payments', { as: 'viewer' })).data as Json[]).map((p) => p.id), [p1.id, p2.id]);

  await create(h, 'routes', routeBody('invoices', 'payments'));
  const rp = await create(h, 'plugins', { name: 'request-transformer', route: 'invoices', config: {} });
  assertOk(await h.call('PUT', '/admin/routes/invoices', { as: 'editor', body: routeBody('bills', 'payments') }));
  assert.equal(assertOk(await h.call('GET', `/admin/plugins/${String(rp.id)}`, { as: 'viewer' })).route, 'bills');
  const doc = assertOk(await h.call('GET', '/admin/config', { as: 'viewer' }));
  assert.deepEqual((doc.routes as Json[]).map((r) => [r.name, (r.plugins as Json[]).map((p) => p.name)]), [['bills', ['request-transformer']]]);
}));

test('pagination: every sort order walks all items once, in order, with limit=7', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('svc'));
  // Names out of creation order, so that name order differs from position and time order.
  const names = Array.from({ length: 25 }, (_, i) => `route-${String((i * 11) % 25).padStart(2, '0')}`);
  const created: Json[] = [];
  for (const n of names) created.push(await create(h, 'routes', routeBody(n, 'svc')));
  // Touch a few, so that updated_at order differs from created_at order.
  for (const n of [names[3], names[0], names[17]]) assertOk(await h.call('PATCH', `/admin/routes/${n!}`, { as: 'editor', body: { priority: 1 } }));
  const all = await listAll(h, '/admin/routes?limit=1000');
  assert.equal(all.length, 25);
  assert.deepEqual(all.map((r) => r.id), created.map((r) => r.id), 'default order: position (declaration order)');

  const byId = (a: Json, b: Json) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0);
  const byField = (f: string) => (a: Json, b: Json) => (String(a[f]) < String(b[f]) ? -1 : String(a[f]) > String(b[f]) ? 1 : byId(a, b));
  const expected: Record<string, Json[]> = {
    position: created.map((c) => all.find((a) => a.id === c.id)!),
    name: [...all].sort(byField('name')),
    created_at: [...all].sort(byField('created_at')),
    updated_at: [...all].sort(byField('updated_at')),
  };
  for (const [field, order] of Object.entries(expected)) {
    for (const desc of [false, true]) {
      const sort = `${desc ? '-' : ''}${field}`;
      const want = (desc ? order.toReversed() : order).map((r) => r.id);
      const pages: number[] = [];
      const seen: unknown[] = [];
      let cursor: string | undefined;
      do {
        const r = await h.call('GET', `/admin/routes?limit=7&sort=${sort}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { as: 'viewer' });
        const page = assertOk(r);
        pages.push((page.data as Json[]).length);
        seen.push(...(page.data as Json[]).map((x) => x.id));
        cursor = page.next_cursor as string | undefined;
      } while (cursor && pages.length < 10);
      assert.deepEqual(pages, [7, 7, 7, 4], `sort=${sort}: page sizes`);
      assert.equal(new Set(seen).size, 25, `sort=${sort}: no duplicates`);
      assert.deepEqual(seen, want, `sort=${sort}: order without gaps`);
    }
  }
  // Exactly one page: no next_cursor.
  assert.equal(assertOk(await h.call('GET', '/admin/routes?limit=25', { as: 'viewer' })).next_cursor, undefined);
  assert.equal(typeof assertOk(await h.call('GET', '/admin/routes?limit=24', { as: 'viewer' })).next_cursor, 'string');
}));

test('pagination: bad cursors, limits and sort fields answer 400 validation-failed', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('svc'));
  for (const n of ['a', 'b', 'c']) await create(h, 'routes', routeBody(n, 'svc'));
  const byName = assertOk(await h.call('GET', '/admin/routes?limit=1&sort=name', { as: 'viewer' }));
  const byPosition = assertOk(await h.call('GET', '/admin/routes?limit=1', { as: 'viewer' }));
  const bad = [
    'cursor=garbage', 'cursor=', `cursor=${Buffer.from('{"a":1}').toString('base64url')}`, `cursor=${Buffer.from('[1]').toString('base64url')}`,
    // A cursor is only good for the sort order it came from.
    `cursor=${encodeURIComponent(String(byName.next_cursor))}`,
    `sort=name&cursor=${encodeURIComponent(String(byPosition.next_cursor))}`,
    'limit=0', 'limit=abc', 'limit=-1', 'limit=1.5', 'limit=1001', 'limit=', 'limit=1e2',
    'sort=bogus', 'sort=-bogus', 'sort=--name', 'sort=service',
  ];
  for (const q of bad) assertInvalid(await h.call('GET', `/admin/routes?${q}`, { as: 'viewer' }), '');
  assert.equal((assertOk(await h.call('GET', '/admin/routes?limit=1000', { as: 'viewer' })).data as Json[]).length, 3);
  assert.equal((assertOk(await h.call('GET', '/admin/routes?limit=1', { as: 'viewer' })).data as Json[]).length, 1);
}));

test('filters: ?service=, ?tag=, ?name= and the per-kind columns', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('billing', { tags: ['team-a', 'env:prod'] }));
  await create(h, 'services', serviceBody('orders', { tags: ['team-b'] }));
  await create(h, 'routes', routeBody('invoices', 'billing', { tags: ['public'] }));
  await create(h, 'routes', routeBody('refunds', 'billing', { tags: ['internal'] }));
  await create(h, 'routes', routeBody('carts', 'orders', { tags: ['public', 'beta'] }));
  await create(h, 'routes', routeBody('public', 'orders'));
  const names = async (url: string) => (await listAll(h, url)).map((e) => e.name ?? e.consumer);

  assert.deepEqual(await names('/admin/routes?service=billing'), ['invoices', 'refunds']);
  assert.deepEqual(await names('/admin/routes?service=orders'), ['carts', 'public']);
  assert.deepEqual(await names('/admin/routes?service=ghost'), []);
  assert.deepEqual(await names('/admin/routes?tag=public'), ['invoices', 'carts'], 'a tag, not a substring of names');
  assert.deepEqual(await names('/admin/routes?tag=pub'), [], 'tags match whole');
  assert.deepEqual(await names('/admin/routes?tag=PUBLIC'), [], 'tags are case-sensitive');
  assert.deepEqual(await names('/admin/routes?tag=public,beta'), []);
  assert.deepEqual(await names('/admin/routes?tag=public&service=orders'), ['carts']);
  assert.deepEqual(await names('/admin/routes?name=refunds'), ['refunds']);
  assert.deepEqual(await names('/admin/routes?name=ref'), []);
  assert.deepEqual(await names('/admin/services?tag=env:prod'), ['billing']);
  assert.deepEqual(await names('/admin/services?tag=team-b&sort=-name'), ['orders']);
  assert.deepEqual(await names('/admin/routes?tag=public&limit=1'), ['invoices', 'carts'], 'filters hold across pages');
  assert.deepEqual(await names('/admin/routes?sort=-name&service=billing&limit=1'), ['refunds', 'invoices']);

  await create(h, 'plugins', { name: 'ip-restriction', service: 'billing', config: { deny: ['10.0.0.1'] } });
  await create(h, 'plugins', { name: 'ip-restriction', route: 'carts', config: { deny: ['10.0.0.1'] } });
  await create(h, 'plugins', { name: 'request-size-limiting', config: { allowed_payload_size: 1 } });
  const plugins = async (q: string) => (await listAll(h, `/admin/plugins?${q}`)).map((p) => `${String(p.name)}@${String(p.service ?? p.route ?? 'global')}`);
  assert.deepEqual(await plugins('scope=service'), ['ip-restriction@billing']);
  assert.deepEqual(await plugins('scope=route'), ['ip-restriction@carts']);
  assert.deepEqual(await plugins('scope=global'), ['request-size-limiting@global']);
  assert.deepEqual(await plugins('plugin=ip-restriction'), ['ip-restriction@billing', 'ip-restriction@carts']);
  assert.deepEqual(await plugins('route=carts'), ['ip-restriction@carts']);
  assert.deepEqual(await plugins('name=ip-restriction@service:billing'), [], '?name= on plugins is the plugin name, not the natural key');

  await create(h, 'consumers', { name: 'acme', custom_id: 'crm-1' });
  await create(h, 'consumers', { name: 'globex', custom_id: 'crm-2' });
  await create(h, 'plans', { name: 'free' });
  await create(h, 'products', { name: 'p1', plans: ['free'], status: 'published' });
  await create(h, 'products', { name: 'p2', plans: ['free'] });
  await create(h, 'subscriptions', { consumer: 'acme', product: 'p1', plan: 'free' });
  await create(h, 'subscriptions', { consumer: 'globex', product: 'p2', plan: 'free', status: 'pending' });
  assert.deepEqual(await names('/admin/consumers?custom_id=crm-2'), ['globex']);
  assert.deepEqual(await names('/admin/products?status=published'), ['p1']);
  assert.deepEqual(await names('/admin/products?status=draft'), ['p2']);
  assert.deepEqual(await names('/admin/subscriptions?consumer=globex'), ['globex']);
  assert.deepEqual(await names('/admin/subscriptions?status=active'), ['acme']);
  assert.deepEqual(await names('/admin/subscriptions?product=p1&plan=free'), ['acme']);
}));

test('filters: ?name= on plugins matches the plugin name shown in the body', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('billing'));
  await create(h, 'plugins', { name: 'ip-restriction', service: 'billing', config: { deny: ['10.0.0.1'] } });
  assert.equal((await listAll(h, '/admin/plugins?name=ip-restriction')).length, 1);
}));
