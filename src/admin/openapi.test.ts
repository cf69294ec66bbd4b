// The checked-in admin OpenAPI document is exactly what the code generates (regenerate with
// `npx node src/admin/openapi.ts --write`), it is a valid OpenAPI 3.1 document, and it describes
// every mounted operation with its auth and error responses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { documentOperations } from './document-operations.ts';
import { OPENAPI_FILE, buildOpenApi, openApiText } from './openapi.ts';

test('docs/admin-openapi.json is up to date with the operation table', async () => {
  const { operations, version } = await documentOperations();
  assert.equal(readFileSync(OPENAPI_FILE, 'utf8'), openApiText(operations, version), 'docs/admin-openapi.json is stale: run `npx node src/admin/openapi.ts --write`');
});

test('the document validates as OpenAPI 3.1', async () => {
  const { operations, version } = await documentOperations();
  const doc = buildOpenApi(operations, version);
  await SwaggerParser.validate(structuredClone(doc) as never, { resolve: { external: false } });
});

test('every operation is there, once, with its security, role and problem responses', async () => {
  const { operations, version } = await documentOperations();
  const doc = buildOpenApi(operations, version) as { paths: Record<string, Record<string, { operationId: string; security: unknown[]; 'x-required-role'?: string; responses: Record<string, { content?: Record<string, unknown> }> }>> };
  const ids = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
  assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
  assert.equal(ids.length, operations.length);
  for (const op of operations) {
    const entry = doc.paths[op.path]?.[op.method.toLowerCase()];
    assert.ok(entry, `${op.method} ${op.path} is documented`);
    if (op.role) {
      assert.equal(entry['x-required-role'], op.role);
      assert.ok(entry.responses['401']?.content?.['application/problem+json'], `${op.id} documents 401`);
      assert.ok(entry.responses['403'], `${op.id} documents 403`);
    }
    if (op.write && ['PUT', 'PATCH', 'DELETE'].includes(op.method) && op.path.includes('{id}') && !op.path.includes('/tokens')) assert.ok(entry.responses['412'], `${op.id} documents 412`);
  }
  for (const collection of ['services', 'routes', 'plugins', 'consumers', 'plans', 'products', 'subscriptions']) {
    for (const method of ['get', 'post']) assert.ok(doc.paths[`/admin/${collection}`]?.[method], `${method} /admin/${collection}`);
    for (const method of ['get', 'put', 'patch', 'delete']) assert.ok(doc.paths[`/admin/${collection}/{id}`]?.[method], `${method} /admin/${collection}/{id}`);
  }
});
