// The checked-in portal OpenAPI document is exactly what the code generates (regenerate with
// `npx node src/portal/openapi.ts --write`), valid OpenAPI 3.1, served at /portal/api/openapi.json,
// and describes every portal operation with its session security and problems.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { PORTAL_OPENAPI_FILE, buildPortalOpenApi, portalDocumentOperations, portalOpenApiText } from '../../src/portal/openapi.ts';
import { withPortal } from './helpers.ts';

test('docs/portal-openapi.json is up to date with the operation table', async () => {
  const { operations, version } = await portalDocumentOperations();
  assert.equal(readFileSync(PORTAL_OPENAPI_FILE, 'utf8'), portalOpenApiText(operations, version), 'docs/portal-openapi.json is stale: run `npx node src/portal/openapi.ts --write`');
});

test('the portal document validates as OpenAPI 3.1 and lists every operation once, under /portal/api', async () => {
  const { operations, version } = await portalDocumentOperations();
  const doc = buildPortalOpenApi(operations, version) as { paths: Record<string, Record<string, { operationId: string; security: unknown[]; responses: Record<string, unknown> }>> };
  await SwaggerParser.validate(structuredClone(doc) as never, { resolve: { external: false } });
  const ids = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(ids.length, operations.length);
  for (const op of operations) {
    assert.ok(op.path.startsWith('/portal/api/'), op.path);
    const entry = doc.paths[op.path]![op.method.toLowerCase()]!;
    if (op.role) {
      assert.deepEqual(entry.security, [{ session: [] }]);
      assert.ok(entry.responses['401'], `${op.id} documents 401`);
      assert.ok(entry.responses['403'], `${op.id} documents 403 (CSRF)`);
    } else assert.deepEqual(entry.security, []);
  }
});

test('a node serves the document at /portal/api/openapi.json', async () => {
  await withPortal(async (h) => {
    const r = await h.client().get('/portal/api/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.body.openapi, '3.1.0');
    assert.equal((r.body.info as { title: string }).title, 'Portcullis portal API');
  });
});
