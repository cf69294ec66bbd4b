// The public catalog: published products only (drafts and what only they sell stay hidden), plans
// side by side, search and tag filter, one API's page (documents by version, versions' deprecation
// and sunset, a changelog from the stored documents), no login needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, catalogFixture, withPortal, type Json } from './helpers.ts';

const openapi = (version: string, paths: string[], description = 'Track parcels.') => JSON.stringify({ openapi: '3.1.0', info: { title: 'Carrier API', version, description }, paths: Object.fromEntries(paths.map((p) => [p, {}])) });

test('catalog: published products with APIs and plans side by side; search and tags; no login', async () => {
  await withPortal(async (h) => {
    await catalogFixture(h);
    assert.equal((await h.admin('POST', '/admin/services', { name: 'billing', targets: [{ url: 'http://127.0.0.1:9' }], tags: ['finance'] })).status, 201);
    assert.equal((await h.admin('POST', '/admin/products', { name: 'money', title: 'Money', description: 'Invoices and payments', services: ['billing'], plans: ['free'], status: 'published', tags: ['fintech'] })).status, 201);
    await h.store.write((tx) => tx.insertSpec({ service: 'carrier', format: 'openapi-3.1', title: 'Carrier API', version: '1.0.0', content: openapi('1.0.0', ['/parcels']) }));

    const anon = h.client();
    const all = await anon.get('/portal/api/catalog');
    assert.equal(all.status, 200, all.text);
    const products = all.body.data as Json[];
    assert.deepEqual(products.map((p) => p.name), ['shipping', 'money'], 'the draft product is not listed');
    const shipping = products[0]!;
    assert.deepEqual((shipping.apis as Json[]).map((a) => [a.name, a.title, a.description, a.version, a.protocol, a.status, a.tags]), [['carrier', 'Carrier API', 'Track parcels.', '1.0.0', 'http', 'active', ['logistics']]]);
    const plans = shipping.plans as Json[];
    assert.deepEqual(plans.map((p) => [p.name, p.requires_approval, (p.quota as Json | null)?.limit ?? null, (p.price as Json).model]), [['free', false, 1000, 'free'], ['gold', true, null, 'per_call']]);

    const names = async (query: string) => (((await anon.get(`/portal/api/catalog${query}`)).body.data) as Json[]).map((p) => p.name);
    assert.deepEqual(await names('?q=parcels'), ['shipping'], 'search reaches API descriptions');
    assert.deepEqual(await names('?q=INVOICES'), ['money']);
    assert.deepEqual(await names('?q=nothing-like-this'), []);
    assert.deepEqual(await names('?tag=logistics'), ['shipping'], 'an API’s tag');
    assert.deepEqual(await names('?tag=fintech'), ['money'], 'a product’s tag');

    assert.equal((await anon.get('/portal/api/catalog/products/money')).body.title, 'Money');
    assertProblem(await anon.get('/portal/api/catalog/products/secret-beta'), 404, 'not-found');
  });
});

test('an API’s page: documents by version, a changelog from them, deprecation and sunset of its versions', async () => {
  await withPortal(async (h) => {
    await catalogFixture(h);
    const hidden = await h.admin('POST', '/admin/services', { name: 'internal', targets: [{ url: 'http://127.0.0.1:9' }] });
    assert.equal(hidden.status, 201);
    const past = new Date(Date.now() - 86_400_000).toISOString();
    const future = new Date(Date.now() + 30 * 86_400_000).toISOString();
    for (const route of [
      { name: 'carrier-v1', service: 'carrier', paths: ['/v1'], version: { name: '1', by: 'path', deprecated_at: past, sunset_at: future, link: 'https://docs.example.com/migrate' } },
      { name: 'carrier-v2', service: 'carrier', paths: ['/v2'], version: { name: '2', by: 'path' } },
    ]) assert.equal((await h.admin('POST', '/admin/routes', route)).status, 201);
    const first = await h.store.write((tx) => tx.insertSpec({ service: 'carrier', format: 'openapi-3.1', title: 'Carrier API', version: '1.0.0', content: openapi('1.0.0', ['/parcels', '/rates']) }));
    const second = await h.store.write((tx) => tx.insertSpec({ service: 'carrier', format: 'openapi-3.1', title: 'Carrier API', version: '2.0.0', content: openapi('2.0.0', ['/parcels', '/pickups']) }));

    const anon = h.client();
    const page = await anon.get('/portal/api/catalog/apis/carrier');
    assert.equal(page.status, 200, page.text);
    assert.equal(page.body.version, '2.0.0');
    assert.deepEqual(page.body.products, ['shipping']);
    assert.deepEqual((page.body.documents as Json[]).map((d) => [d.id, d.version]), [[first.id, '1.0.0'], [second.id, '2.0.0']]);
    assert.deepEqual((page.body.changelog as Json[]).map((c) => [c.version, c.added_paths, c.removed_paths]), [['2.0.0', ['/pickups'], ['/rates']], ['1.0.0', ['/parcels', '/rates'], []]]);
    const versions = page.body.versions as Json[];
    assert.deepEqual(versions.map((v) => [v.name, v.state, v.sunset_at ?? null, v.link ?? null]), [['1', 'deprecated', future, 'https://docs.example.com/migrate'], ['2', 'active', null, null]]);
    assert.equal(page.body.status, 'active', 'one version is still active');

    const doc = await anon.get(`/portal/api/catalog/apis/carrier/documents/${first.id}`);
    assert.equal(JSON.parse(String(doc.body.content)).info.version, '1.0.0');
    assertProblem(await anon.get(`/portal/api/catalog/apis/internal/documents/${first.id}`), 404, 'not-found');
    assertProblem(await anon.get('/portal/api/catalog/apis/internal'), 404, 'not-found');
    assertProblem(await anon.get('/portal/api/catalog/apis/no-such-api'), 404, 'not-found');
  });
});
