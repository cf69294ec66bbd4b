// docs/edi-schema.json is in step with the TypeBox schemas, and it is a working JSON Schema: a
// standard validator (Ajv, draft 2020-12) accepts the forms the parser and mappers produce.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseEdi } from './index.ts';
import { friendlyOf, unitsOf } from './mapping.ts';
import { committedSchemaDocument, schemaDocument } from './schema-doc.ts';

const DIR = new URL('../../../test/fixtures/edi/', import.meta.url);

test('docs/edi-schema.json is generated from the schemas (npx node src/core/edi/schema-doc.ts --write)', () => {
  assert.equal(committedSchemaDocument(), schemaDocument());
});

test('the fixtures\' generic and friendly forms validate against docs/edi-schema.json', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  ajv.addSchema(JSON.parse(committedSchemaDocument()) as object, 'edi');
  const interchange = ajv.getSchema('edi#/$defs/Interchange')!;
  const friendly = ajv.getSchema('edi#/$defs/FriendlyDocument')!;
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.edi'))) {
    const doc = parseEdi(readFileSync(new URL(name, DIR), 'utf8')).interchange!;
    assert.ok(interchange(JSON.parse(JSON.stringify(doc))), `${name}: ${JSON.stringify(interchange.errors?.slice(0, 2))}`);
    for (const u of unitsOf(doc)) assert.ok(friendly(friendlyOf(doc, u)), `${name}: ${JSON.stringify(friendly.errors?.slice(0, 2))}`);
  }
  // And it refuses what is not one.
  assert.equal(interchange({ format: 'x12', header: { id: 'ISA' } }), false);
  assert.equal(friendly({ document_type: '850', control_number: '1', type: 'purchase_order', items: [{ line: 1 }] }), false);
});
