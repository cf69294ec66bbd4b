// Trading partners in the admin API: the generic entity CRUD (roles, ETags, audit), validation of
// identities and routes, and the declarative config round trip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertInvalid, assertOk, assertProblem, create, routeBody, serviceBody, withHarness, type Json } from './admin-api/helpers.ts';

const partner = (over: Json = {}): Json => ({ name: 'acme', x12: { qualifier: 'ZZ', id: 'ACME' }, document_types: ['856'], routes: ['asn'], ...over });

test('trading partners: create, read, patch with If-Match, delete; viewers read only; every write audited', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('carrier'));
  await create(h, 'routes', routeBody('asn', 'carrier'));
  assertProblem(await h.call('POST', '/admin/trading_partners', { as: 'viewer', body: partner() }), 403, 'forbidden');
  const created = await h.call('POST', '/admin/trading_partners', { as: 'editor', body: partner() });
  const c = assertOk(created, 201, { etag: true });
  assert.equal(c.acknowledgement, 'always');
  assert.equal(c.enabled, true);
  assert.deepEqual(assertOk(await h.call('GET', '/admin/trading_partners/acme', { as: 'viewer' }), 200, { etag: true }), c);

  const etag = String(created.headers.etag);
  const patched = assertOk(await h.call('PATCH', `/admin/trading_partners/${String(c.id)}`, { as: 'editor', body: { enabled: false, acknowledgement: 'on-error' }, headers: { 'if-match': etag } }));
  assert.equal(patched.version, 2);
  assert.equal(patched.enabled, false);
  assertProblem(await h.call('PATCH', `/admin/trading_partners/${String(c.id)}`, { as: 'editor', body: { enabled: true }, headers: { 'if-match': etag } }), 412, 'precondition-failed');

  // The partner is part of the declarative config.
  const doc = assertOk(await h.call('GET', '/admin/config', { as: 'viewer' }));
  assert.deepEqual((doc.trading_partners as Json[]).map((p) => [p.name, p.enabled]), [['acme', false]]);

  const audit = assertOk(await h.call('GET', '/admin/audit?entity=trading_partner', { as: 'admin' }));
  assert.deepEqual((audit.data as Json[]).map((e) => e.action).sort(), ['create', 'update']);

  assert.equal((await h.call('DELETE', `/admin/trading_partners/${String(c.id)}`, { as: 'editor' })).status, 204);
  assertProblem(await h.call('GET', '/admin/trading_partners/acme', { as: 'viewer' }), 404, 'not-found');
}));

test('trading partners: identities, document types and routes are validated; identities are unique', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('carrier'));
  await create(h, 'routes', routeBody('asn', 'carrier'));
  assertInvalid(await h.call('POST', '/admin/trading_partners', { as: 'editor', body: partner({ x12: { qualifier: 'Z', id: 'ACME' } }) }), '/x12/qualifier');
  assertInvalid(await h.call('POST', '/admin/trading_partners', { as: 'editor', body: partner({ document_types: ['85'] }) }), '/document_types/0');
  assertInvalid(await h.call('POST', '/admin/trading_partners', { as: 'editor', body: partner({ routes: ['ghost'] }) }), '/routes/0');
  assertInvalid(await h.call('POST', '/admin/trading_partners', { as: 'editor', body: partner({ x12: undefined }) }), '');
  await create(h, 'trading_partners', partner());
  assertInvalid(await h.call('POST', '/admin/trading_partners', { as: 'editor', body: partner({ name: 'acme-2' }) }), '');
  assertProblem(await h.call('POST', '/admin/trading_partners', { as: 'editor', body: partner() }), 409, 'conflict');
}));
