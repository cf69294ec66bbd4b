// Declarative sync over the admin API: export (JSON and YAML) round-trips through diff and apply
// with no changes, dry runs write nothing, YAML bodies, broken documents point at their problems,
// and sections absent from a document are left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import {
  assertInvalid, assertOk, assertProblem, create, listAll, revision, routeBody, serviceBody, withHarness, type Harness, type Json,
} from './helpers.ts';

/** A store with something of every kind, made through the entity API. */
async function populate(h: Harness): Promise<void> {
  await create(h, 'services', serviceBody('billing', { tags: ['team-a'], retries: 1 }));
  await create(h, 'services', serviceBody('orders', { targets: [{ url: 'http://10.0.0.5:8000', weight: 5 }, { url: 'https://orders.internal' }] }));
  await create(h, 'routes', routeBody('invoices', 'billing', { methods: ['GET', 'POST'], paths: ['/invoices', '/invoices/{id}'] }));
  await create(h, 'routes', routeBody('orders', 'orders', { hosts: ['api.example.com'], paths: ['~^/orders/[0-9]+$'], priority: 5 }));
  await create(h, 'plugins', { name: 'ip-restriction', config: { deny: ['192.0.2.0/24'] } });
  await create(h, 'plugins', { name: 'request-size-limiting', service: 'billing', config: { allowed_payload_size: 2 } });
  await create(h, 'plugins', { name: 'request-transformer', route: 'invoices', config: { add: { headers: { 'x-from': 'gateway' } } } });
  await create(h, 'consumers', { name: 'acme', custom_id: 'crm-1', groups: ['partners'] });
  await create(h, 'plans', { name: 'free', rate_limits: [{ window: 'minute', limit: 60 }] });
  await create(h, 'products', { name: 'payments', services: ['billing'], plans: ['free'], status: 'published' });
  await create(h, 'subscriptions', { consumer: 'acme', product: 'payments', plan: 'free' });
}

test('GET /admin/config exports a document that diffs and applies back with no changes', () => withHarness(async (h) => {
  await populate(h);
  const exported = await h.call('GET', '/admin/config', { as: 'viewer' });
  const doc = assertOk(exported);
  const rev = Number(exported.headers['x-config-revision']);
  assert.equal(rev, 11, 'one revision per write');
  assert.equal(doc.format_version, 1);
  assert.deepEqual(Object.keys(doc).sort(), ['consumers', 'format_version', 'gateway', 'plans', 'plugins', 'products', 'routes', 'services', 'subscriptions', 'trading_partners']);
  assert.deepEqual((doc.services as Json[]).map((s) => s.name), ['billing', 'orders']);
  assert.deepEqual(((doc.services as Json[])[0]!.plugins as Json[]).map((p) => p.name), ['request-size-limiting']);
  assert.deepEqual(((doc.routes as Json[])[0]!.plugins as Json[]).map((p) => p.name), ['request-transformer']);
  assert.deepEqual((doc.plugins as Json[]).map((p) => p.name), ['ip-restriction']);
  assert.doesNotMatch(exported.text, /"(id|version|created_at|updated_at)"/, 'the document has no store bookkeeping');

  const diff = assertOk(await h.call('POST', '/admin/config/diff', { as: 'viewer', body: doc }));
  assert.deepEqual(diff, { changes: [], revision: rev, applied: false });
  const applied = assertOk(await h.call('POST', '/admin/config/apply', { as: 'editor', body: doc }));
  assert.deepEqual(applied, { changes: [], revision: rev, applied: false });
  assert.equal(await revision(h), rev, 'applying the export changed nothing');
  assert.deepEqual(assertOk(await h.call('GET', '/admin/config', { as: 'viewer' })), doc);
}));

test('YAML: export with ?format=yaml or Accept, and diff/apply YAML bodies', () => withHarness(async (h) => {
  await populate(h);
  const json = assertOk(await h.call('GET', '/admin/config', { as: 'viewer' }));
  const rev = await revision(h);
  for (const opts of [{ url: '/admin/config?format=yaml', headers: {} }, { url: '/admin/config', headers: { accept: 'application/yaml' } }] as { url: string; headers: Record<string, string> }[]) {
    const r = await h.call('GET', opts.url, { as: 'viewer', headers: opts.headers });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/yaml/);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['x-config-revision'], String(rev));
    assert.deepEqual(YAML.parse(r.text), json);
  }
  const yamlText = (await h.call('GET', '/admin/config?format=yaml', { as: 'viewer' })).text;
  for (const contentType of ['application/yaml', 'application/x-yaml', 'text/yaml']) {
    assert.deepEqual(assertOk(await h.call('POST', '/admin/config/diff', { as: 'viewer', raw: yamlText, contentType })).changes, []);
  }

  // A YAML apply: adds a plan and changes a consumer; nothing else is touched (sections absent).
  const body = 'plans:\n  - name: free\n    rate_limits: [{ window: minute, limit: 60 }]\n  - name: gold\n    title: Gold\nconsumers:\n  - name: acme\n    custom_id: crm-2\n    groups: [partners]\n';
  const applied = assertOk(await h.call('POST', '/admin/config/apply', { as: 'editor', raw: body, contentType: 'application/yaml' }));
  assert.equal(applied.applied, true);
  assert.equal(applied.revision, rev + 1);
  assert.deepEqual((applied.changes as Json[]).map((c) => `${String(c.action)} ${String(c.kind)} ${String(c.key)}`).sort(), ['create plan gold', 'update consumer acme']);
  const update = (applied.changes as Json[]).find((c) => c.action === 'update')!;
  assert.deepEqual(update.fields, [{ path: 'custom_id', before: 'crm-1', after: 'crm-2' }]);
  assert.equal(assertOk(await h.call('GET', '/admin/plans/gold', { as: 'viewer' })).title, 'Gold');
  assert.equal(await revision(h), rev + 1);

  // Invalid YAML is a 400, not a 500.
  assertInvalid(await h.call('POST', '/admin/config/apply', { as: 'editor', raw: 'services: [\n', contentType: 'application/yaml' }));
  assertInvalid(await h.call('POST', '/admin/config/diff', { as: 'viewer', raw: 'services: 3\n', contentType: 'application/yaml' }), '/services');
}));

test('apply with dry_run=true plans the changes and writes nothing', () => withHarness(async (h) => {
  await populate(h);
  const before = assertOk(await h.call('GET', '/admin/config', { as: 'viewer' }));
  const rev = await revision(h);
  const auditBefore = (assertOk(await h.call('GET', '/admin/audit?limit=1000')).data as Json[]).length;
  const target = structuredClone(before);
  (target.routes as Json[]).splice(1, 1); // delete route "orders"
  (target.services as Json[]).push(serviceBody('shipping'));
  ((target.services as Json[])[0]!).retries = 4;

  for (const flag of ['true', '1']) {
    const plan = assertOk(await h.call('POST', `/admin/config/apply?dry_run=${flag}`, { as: 'editor', body: target }));
    assert.equal(plan.applied, false);
    assert.equal(plan.revision, rev);
    assert.deepEqual((plan.changes as Json[]).map((c) => `${String(c.action)} ${String(c.kind)} ${String(c.key)}`), ['update service billing', 'create service shipping', 'delete route orders']);
    assert.deepEqual((plan.changes as Json[])[0]!.fields, [{ path: 'retries', before: 1, after: 4 }]);
    assert.equal(await revision(h), rev, `dry_run=${flag} moved the revision`);
    assert.deepEqual(assertOk(await h.call('GET', '/admin/config', { as: 'viewer' })), before);
  }
  // The diff says the same as a dry run.
  const diff = assertOk(await h.call('POST', '/admin/config/diff', { as: 'viewer', body: target }));
  assert.equal((diff.changes as Json[]).length, 3);
  assert.equal((assertOk(await h.call('GET', '/admin/audit?limit=1000')).data as Json[]).length, auditBefore, 'a dry run leaves no audit entries');

  // For real, now.
  const done = assertOk(await h.call('POST', '/admin/config/apply', { as: 'editor', body: target }));
  assert.equal(done.applied, true);
  assert.equal(done.revision, rev + 1);
  assert.equal(await revision(h), rev + 1, 'one apply is one revision');
  assertProblem(await h.call('GET', '/admin/routes/orders', { as: 'viewer' }), 404, 'not-found');
  assertOk(await h.call('GET', '/admin/services/shipping', { as: 'viewer' }));
  assert.equal(assertOk(await h.call('GET', '/admin/services/billing', { as: 'viewer' })).retries, 4);
  const entries = (assertOk(await h.call('GET', '/admin/audit?limit=3')).data as Json[]);
  assert.deepEqual(entries.map((e) => `${String(e.actor)} ${String(e.action)} ${String(e.entity)} ${String(e.entity_key)}`).sort(), ['editor create service shipping', 'editor delete route orders', 'editor update service billing']);
  assert.equal(new Set(entries.map((e) => e.request_id)).size, 1, 'one request id for the whole apply');
}));

test('a broken document answers 400 with pointers into it, and nothing is written', () => withHarness(async (h) => {
  await populate(h);
  const rev = await revision(h);
  const good = assertOk(await h.call('GET', '/admin/config', { as: 'viewer' }));
  const broken = (mutate: (d: Json) => void): Json => {
    const d = structuredClone(good);
    mutate(d);
    return d;
  };
  const cases: [Json, string[]][] = [
    [{ routes: [routeBody('r', 'ghost')] }, ['/routes/0/service']],
    [broken((d) => { ((d.routes as Json[])[1]!).service = 'ghost'; }), ['/routes/1/service']],
    [broken((d) => { ((d.services as Json[])[0]!.targets as Json[])[0]!.url = 'ftp://nope'; }), ['/services/0/targets/0/url']],
    [broken((d) => { (d.routes as Json[])[0]!.paths = ['/ok', '~^/(a+)+$']; }), ['/routes/0/paths/1']],
    [broken((d) => { (d.plugins as Json[])[0]!.config = { deny: 'all' }; }), ['/plugins/0/config/deny']],
    [broken((d) => { ((d.services as Json[])[0]!.plugins as Json[])[0]!.config = { allowed_payload_size: 'big' }; }), ['/services/0/plugins/0/config/allowed_payload_size']],
    [broken((d) => { d.bogus = true; }), ['/bogus']],
    [{ services: [serviceBody('a'), serviceBody('a')] }, ['/services/1/name']],
    [{ products: [{ name: 'p', plans: ['nope'] }] }, ['/products/0/plans/0']],
    [{ subscriptions: [{ consumer: 'ghost', product: 'payments', plan: 'free' }] }, ['/subscriptions/0/consumer']],
    [{ format_version: 2 }, ['/format_version']],
  ];
  for (const [doc, pointers] of cases) {
    const errors = assertInvalid(await h.call('POST', '/admin/config/apply', { as: 'editor', body: doc }), ...pointers);
    assert.ok(errors.every((e) => e.detail.length > 0));
    assertInvalid(await h.call('POST', '/admin/config/diff', { as: 'viewer', body: doc }), ...pointers);
    assertInvalid(await h.call('POST', '/admin/config/apply?dry_run=true', { as: 'editor', body: doc }), ...pointers);
  }
  // Several problems at once are all reported.
  assertInvalid(await h.call('POST', '/admin/config/apply', { as: 'editor', body: { services: [serviceBody('x', { retries: -1 })], routes: [routeBody('y', 'x', { paths: ['~(a+)+'] })] } }), '/services/0/retries', '/routes/0/paths/0');
  assertInvalid(await h.call('POST', '/admin/config/apply', { as: 'editor', body: [] }), '');
  assertInvalid(await h.call('POST', '/admin/config/apply', { as: 'editor', raw: '{"services": [', contentType: 'application/json' }), '');
  // Dropping a service that the (absent, kept) routes section still uses is refused too.
  assertInvalid(await h.call('POST', '/admin/config/apply', { as: 'editor', body: { services: [serviceBody('orders')] } }));
  assert.equal(await revision(h), rev);
  assert.deepEqual(assertOk(await h.call('GET', '/admin/config', { as: 'viewer' })), good);
}));

test('sections absent from the document are left alone; present ones are synced exactly', () => withHarness(async (h) => {
  await populate(h);
  const r1 = await h.call('POST', '/admin/credentials', { as: 'editor', body: { consumer: 'acme', type: 'key-auth' } });
  h.secret(String(r1.body.key), r1.index);
  const before = assertOk(await h.call('GET', '/admin/config', { as: 'viewer' }));

  // Only plans: services, routes, plugins, consumers... untouched.
  const plans = assertOk(await h.call('POST', '/admin/config/apply', { as: 'editor', body: { plans: [...(before.plans as Json[]), { name: 'gold' }] } }));
  assert.deepEqual((plans.changes as Json[]).map((c) => `${String(c.action)} ${String(c.key)}`), ['create gold']);
  const after = assertOk(await h.call('GET', '/admin/config', { as: 'viewer' }));
  for (const section of ['gateway', 'services', 'routes', 'plugins', 'consumers', 'products', 'subscriptions']) assert.deepEqual(after[section], before[section], section);

  // A routes section replaces all routes (and the plugins nested in them); the services section,
  // sent unchanged, changes nothing; global plugins (absent) stay.
  const routes = assertOk(await h.call('POST', '/admin/config/apply', { as: 'editor', body: { services: before.services, routes: [routeBody('only', 'orders')] } }));
  assert.deepEqual((routes.changes as Json[]).map((c) => `${String(c.action)} ${String(c.kind)} ${String(c.key)}`).sort(), [
    'create route only', 'delete plugin request-transformer@route:invoices', 'delete route invoices', 'delete route orders',
  ]);
  assert.deepEqual((await listAll(h, '/admin/routes')).map((r) => r.name), ['only']);
  assert.deepEqual((await listAll(h, '/admin/services')).map((s) => s.name), ['billing', 'orders']);
  assert.deepEqual((await listAll(h, '/admin/plugins')).map((p) => `${String(p.name)}@${String(p.service ?? 'global')}`).sort(), ['ip-restriction@global', 'request-size-limiting@billing']);

  // Gateway settings are a section too.
  const gw = assertOk(await h.call('POST', '/admin/config/apply', { as: 'editor', body: { gateway: { max_headers: 50 } } }));
  assert.deepEqual(gw.changes, [{ action: 'update', kind: 'settings', key: 'gateway', fields: [{ path: 'max_headers', before: 100, after: 50 }] }]);
  assert.equal((assertOk(await h.call('GET', '/admin/config', { as: 'viewer' })).gateway as Json).max_headers, 50);

  // An empty consumers section deletes the consumers, their subscriptions and credentials.
  const gone = assertOk(await h.call('POST', '/admin/config/apply', { as: 'editor', body: { consumers: [], subscriptions: [] } }));
  assert.deepEqual((gone.changes as Json[]).map((c) => `${String(c.action)} ${String(c.kind)}`).sort(), ['delete consumer', 'delete subscription']);
  assertProblem(await h.call('GET', `/admin/credentials/${String(r1.body.id)}`, { as: 'viewer' }), 404, 'not-found');
  assert.deepEqual(await listAll(h, '/admin/credentials'), []);
  // Re-applying the same is a no-op.
  assert.deepEqual(assertOk(await h.call('POST', '/admin/config/apply', { as: 'editor', body: { consumers: [], subscriptions: [] } })).changes, []);
}));

test('a reorder of routes is a change (route order matters)', () => withHarness(async (h) => {
  await populate(h);
  const doc = assertOk(await h.call('GET', '/admin/config', { as: 'viewer' }));
  (doc.routes as Json[]).reverse();
  const plan = assertOk(await h.call('POST', '/admin/config/diff', { as: 'viewer', body: doc }));
  assert.deepEqual((plan.changes as Json[]).map((c) => [c.key, c.moved]), [['orders', true], ['invoices', true]]);
  assertOk(await h.call('POST', '/admin/config/apply', { as: 'editor', body: doc }));
  assert.deepEqual((await listAll(h, '/admin/routes')).map((r) => r.name), ['orders', 'invoices']);
  assert.deepEqual(assertOk(await h.call('POST', '/admin/config/diff', { as: 'viewer', body: doc })).changes, []);
}));

test('a document with only some sections may refer to what the store has in the others', () => withHarness(async (h) => {
  await populate(h);
  const rev = await revision(h);
  const plan = await h.call('POST', '/admin/config/diff', { as: 'viewer', body: { routes: [routeBody('only', 'orders')] } });
  assertOk(plan);
  const applied = assertOk(await h.call('POST', '/admin/config/apply', { as: 'editor', body: { routes: [routeBody('only', 'orders')] } }));
  assert.equal(applied.applied, true);
  assert.equal(await revision(h), rev + 1);
  assert.deepEqual((await listAll(h, '/admin/services')).map((s) => s.name), ['billing', 'orders']);
  assertOk(await h.call('POST', '/admin/config/apply', { as: 'editor', body: { subscriptions: [{ consumer: 'acme', product: 'payments', plan: 'free', status: 'suspended' }] } }));
}));
