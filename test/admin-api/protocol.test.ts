// HTTP behaviour of the admin API as a whole: 405 with Allow on known paths, 415 for bodies that are
// not JSON, 400 for broken JSON, problem+json for unknown paths, and the OpenAPI document (served
// without a token, valid OpenAPI 3.1, one operation per mounted route).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { buildOpenApi } from '../../src/admin/openapi.ts';
import {
  assertInvalid, assertOk, assertProblem, create, revision, serviceBody, withHarness, type Json,
} from './helpers.ts';

test('an unsupported method on a known path answers 405 with Allow', () => withHarness(async (h) => {
  const cases: [string, string, string][] = [
    ['PUT', '/admin/services', 'GET, POST, HEAD'],
    ['DELETE', '/admin/services', 'GET, POST, HEAD'],
    ['PATCH', '/admin/routes', 'GET, POST, HEAD'],
    ['POST', '/admin/services/billing', 'GET, PUT, PATCH, DELETE, HEAD'],
    ['DELETE', '/admin/config', 'GET, HEAD'],
    ['GET', '/admin/config/apply', 'POST'],
    ['PUT', '/admin/credentials/abc', 'GET, PATCH, DELETE, HEAD'],
    ['PATCH', '/admin/users/editor', 'GET, PUT, DELETE, HEAD'],
    ['DELETE', '/admin/me', 'GET, HEAD'],
    ['POST', '/admin/audit', 'GET, HEAD'],
  ];
  for (const [method, url, allow] of cases) {
    for (const as of ['admin', 'none'] as const) {
      const r = await h.call(method, url, { as });
      assertProblem(r, 405, 'method-not-allowed');
      assert.equal(r.headers.allow, allow, `${method} ${url}`);
    }
  }
  // HEAD goes with GET.
  const head = await h.call('HEAD', '/admin/services', { as: 'viewer' });
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  assert.equal((await h.call('HEAD', '/admin/services', { as: 'none' })).status, 401);
}));

test('a write body that is not JSON answers 415 unsupported-media-type', () => withHarness(async (h) => {
  const rev = await revision(h);
  const json = JSON.stringify(serviceBody('billing'));
  for (const contentType of ['text/plain', 'text/plain; charset=utf-8', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream']) {
    for (const [method, url] of [['POST', '/admin/services'], ['PUT', '/admin/services/billing'], ['PATCH', '/admin/services/billing'], ['POST', '/admin/credentials'], ['POST', '/admin/users']]) {
      assertProblem(await h.call(method!, url!, { raw: json, contentType }), 415, 'unsupported-media-type');
    }
  }
  // YAML is for config documents; JSON with parameters is JSON.
  assertOk(await h.call('POST', '/admin/services', { raw: json, contentType: 'application/json; charset=utf-8' }), 201);
  assert.equal(await revision(h), rev + 1);
}));

test('broken, empty or non-object JSON answers 400 validation-failed', () => withHarness(async (h) => {
  await create(h, 'services', serviceBody('billing'));
  const rev = await revision(h);
  for (const [method, url] of [['POST', '/admin/services'], ['PUT', '/admin/services/billing'], ['PATCH', '/admin/services/billing'], ['POST', '/admin/config/apply'], ['POST', '/admin/credentials']]) {
    for (const raw of ['{"name": "x",', '{name: "x"}', "{'a':1}", 'undefined', '{"a":1}{"b":2}']) {
      const errors = assertInvalid(await h.call(method!, url!, { raw, contentType: 'application/json' }), '');
      assert.ok(errors.some((e) => /not valid JSON/.test(e.detail)), JSON.stringify(errors));
    }
    assertInvalid(await h.call(method!, url!, { raw: '', contentType: 'application/json' }), '');
    assertInvalid(await h.call(method!, url!), '');
    for (const raw of ['null', '"text"', '42', '[]', 'true']) assertInvalid(await h.call(method!, url!, { raw, contentType: 'application/json' }), '');
  }
  assert.equal(await revision(h), rev);
}));

test('unknown admin paths answer 404 problem+json', () => withHarness(async (h) => {
  for (const url of ['/admin/nothing', '/admin/services/a/b', '/admin', '/admin/users/editor/tokens/x/y']) {
    const r = await h.call('GET', url);
    assert.equal(r.status, 404);
    assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
    assert.equal(r.body.type, 'https://portcullis.dev/problems/route-not-found');
    assert.equal(r.body.instance, url);
  }
}));

test('/admin/openapi.json is served without a token and is a valid OpenAPI 3.1 document of every operation', () => withHarness(async (h) => {
  const r = await h.call('GET', '/admin/openapi.json', { as: 'none' });
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const doc = JSON.parse(r.text) as Json;
  assert.equal(doc.openapi, '3.1.0');
  assert.equal((doc.info as Json).version, '0.0.0-test');
  assert.deepEqual(doc, JSON.parse(JSON.stringify(buildOpenApi(h.operations, '0.0.0-test'))));
  await SwaggerParser.validate(structuredClone(doc) as never);

  const paths = doc.paths as Record<string, Record<string, Json>>;
  const ids = new Set<string>();
  for (const op of h.operations) {
    const entry = paths[op.path]?.[op.method.toLowerCase()];
    assert.ok(entry, `${op.method} ${op.path} is not in the document`);
    assert.equal(entry.operationId, op.id);
    assert.equal(entry['x-required-role'], op.role);
    assert.ok(!ids.has(op.id), `duplicate operationId ${op.id}`);
    ids.add(op.id);
    // Every documented path answers (not a fastify 404) for the documented method.
    const url = op.path.replace(/\{[^}]+\}/g, 'x');
    const answer = await h.call(op.method, url, { as: 'none' });
    assert.notEqual(answer.body.type, 'https://portcullis.dev/problems/route-not-found', `${op.method} ${url} is not mounted`);
  }
  const documented = Object.values(paths).reduce((n, p) => n + Object.keys(p).length, 0);
  assert.equal(documented, h.operations.length, 'nothing documented that is not mounted');
  for (const collection of ['services', 'routes', 'plugins', 'consumers', 'plans', 'products', 'subscriptions']) {
    assert.deepEqual(Object.keys(paths[`/admin/${collection}`]!).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(paths[`/admin/${collection}/{id}`]!).sort(), ['delete', 'get', 'patch', 'put']);
  }
  for (const p of ['/admin/credentials', '/admin/credentials/{id}', '/admin/me', '/admin/users', '/admin/users/{id}', '/admin/users/{id}/tokens', '/admin/users/{id}/tokens/{token_id}', '/admin/config', '/admin/config/diff', '/admin/config/apply', '/admin/audit', '/admin/specs', '/admin/specs/{id}']) {
    assert.ok(paths[p], `${p} documented`);
  }
  // Secrets stay out of the document's examples and defaults.
  assert.ok(!r.text.includes('pcat_test'));
}));
