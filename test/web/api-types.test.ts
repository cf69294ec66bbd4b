// The web app's typed API client is generated from the OpenAPI documents; the committed module
// must be exactly what the generator makes of the committed document (regenerate:
// `npm run gen:api-types`). Plus the generator's mapping of the JSON Schema it meets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TARGETS, generateTarget, typeOf } from '../../web/scripts/gen-api-types.ts';

test('web/src/api/*.gen.ts are up to date with their OpenAPI documents', () => {
  assert.ok(TARGETS.length >= 1);
  for (const target of TARGETS) {
    assert.equal(readFileSync(target.output, 'utf8'), generateTarget(target), `${target.output.pathname} is stale: run \`npm run gen:api-types\``);
  }
});

test('every operation of the document is in the generated client', () => {
  for (const target of TARGETS) {
    const doc = JSON.parse(readFileSync(target.document, 'utf8')) as { paths: Record<string, Record<string, { operationId: string }>> };
    const text = readFileSync(target.output, 'utf8');
    for (const [path, item] of Object.entries(doc.paths)) {
      assert.ok(text.includes(`    ${JSON.stringify(path)}: {`), path);
      for (const op of Object.values(item)) assert.ok(text.includes(`operations[${JSON.stringify(op.operationId)}]`), op.operationId);
    }
  }
});

test('schema mapping: refs, literals, unions, nullables, objects, arrays, records', () => {
  assert.equal(typeOf({ $ref: '#/components/schemas/Plan' }), 'components["schemas"]["Plan"]');
  assert.equal(typeOf({ anyOf: [{ type: 'string', const: 'free' }, { type: 'string', const: 'flat' }] }), '"free" | "flat"');
  assert.equal(typeOf({ anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }] }), 'number | null');
  assert.equal(typeOf({ type: ['string', 'null'] }), 'string | null');
  assert.equal(typeOf({ enum: ['a', 1] }), '"a" | 1');
  assert.equal(typeOf({ type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } }), '(string | number)[]');
  assert.equal(typeOf({ type: 'array', items: { type: 'string' } }), 'string[]');
  assert.equal(typeOf({ type: 'object', properties: { a: { type: 'string' }, 'b-c': { type: 'boolean' } }, required: ['a'] }), '{\n    a: string;\n    "b-c"?: boolean;\n}');
  assert.equal(typeOf({ type: 'object', additionalProperties: { type: 'integer' } }), '{\n    [key: string]: number;\n}');
  assert.equal(typeOf({ type: 'object', patternProperties: { '^x': { type: 'string' } }, additionalProperties: false }), '{\n    [key: string]: string;\n}');
  assert.equal(typeOf({ type: 'object' }), 'Record<string, unknown>');
  assert.equal(typeOf({}), 'unknown', 'an unconstrained schema is unknown, never any');
  assert.equal(typeOf({ allOf: [{ $ref: '#/components/schemas/A' }, { type: 'object', properties: { b: { type: 'string' } }, required: ['b'] }] }), 'components["schemas"]["A"] & {\n    b: string;\n}');
  // A description cannot close the doc comment early.
  assert.doesNotMatch(typeOf({ type: 'object', properties: { a: { type: 'string', description: 'evil */ code' } } }), /evil \*\/ code/);
});
