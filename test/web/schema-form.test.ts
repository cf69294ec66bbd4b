// The console's generated forms: how the admin API's real schemas are classified into controls,
// the starting values of a new entity, and what of a stored entity the form edits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { classify, defaultsOf, editable, humanize, pointerJoin, resolve, type Schema, type SchemaRoot } from '../../web/src/console/schema-form/schema.ts';

const doc = JSON.parse(readFileSync(new URL('../../docs/admin-openapi.json', import.meta.url), 'utf8')) as { components: { schemas: SchemaRoot } };
const root = doc.components.schemas;
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const prop = (schema: string, name: string) => resolve(ref(schema), root).properties![name]!;

test('the admin API schemas map to the right controls', () => {
  assert.equal(classify(ref('PlanInput'), root).kind, 'object');
  assert.equal(classify(prop('PlanInput', 'name'), root).kind, 'string');
  assert.deepEqual(classify(prop('PlanInput', 'rate_limits'), root).kind, 'array');
  assert.equal(classify(prop('PlanInput', 'requires_approval'), root).kind, 'boolean');
  assert.deepEqual(classify(prop('ProductInput', 'status'), root), { kind: 'enum', options: ['draft', 'published', 'deprecated'], nullable: false });
  assert.deepEqual(classify(prop('ServiceInput', 'protocol'), root), { kind: 'enum', options: ['http', 'graphql', 'soap'], nullable: false });
  assert.deepEqual(classify({ const: 'http' }, root), { kind: 'const', value: 'http' });
  assert.deepEqual(classify(prop('ServiceInput', 'retries'), root), { kind: 'number', integer: true, nullable: false });
  // A tier's upper bound: an integer or null (the last tier).
  const tiers = resolve(prop('PlanInput', 'price'), root).properties!.tiers!;
  assert.deepEqual(classify(tiers.items!.properties!.up_to!, root), { kind: 'number', integer: true, nullable: true });
  // A header map (pattern properties only) is edited as JSON.
  assert.equal(classify(prop('RouteInput', 'headers'), root).kind, 'json');
  assert.equal(classify({}, root).kind, 'json');
  assert.equal(classify({ type: 'string', maxLength: 4000 }, root).kind === 'string' && (classify({ type: 'string', maxLength: 4000 }, root) as { multiline: boolean }).multiline, true);
});

test('a new plan starts from the schema defaults; optional parts without defaults are left out', () => {
  const plan = defaultsOf(ref('PlanInput'), root) as Record<string, unknown>;
  assert.equal(plan.name, '');
  assert.deepEqual(plan.rate_limits, []);
  assert.deepEqual(plan.price, { model: 'free', currency: 'USD', monthly_minor: 0, per_call_minor: 0, included_calls: 0, tiers: [] });
  assert.equal(plan.requires_approval, false);
  assert.equal('quota' in plan, false, 'the optional quota is off until switched on');
  const service = defaultsOf(ref('ServiceInput'), root) as Record<string, unknown>;
  assert.equal(service.protocol, 'http');
  assert.equal(service.retries, 2);
});

test('editing keeps only what the input schema takes; labels and pointers', () => {
  const stored = { id: 'x', name: 'gold', title: 'Gold', version: 3, created_at: 'a', updated_at: 'b', rate_limits: [] };
  assert.deepEqual(editable(stored, ref('PlanInput'), root), { name: 'gold', title: 'Gold', rate_limits: [] });
  assert.equal(humanize('rate_limits'), 'Rate limits');
  assert.equal(humanize('read_timeout_ms'), 'Read timeout (ms)');
  assert.equal(humanize('allow_http'), 'Allow HTTP');
  assert.equal(humanize('url'), 'URL');
  assert.equal(pointerJoin('/headers', 'a/b~c'), '/headers/a~1b~0c');
  assert.deepEqual(resolve({ $ref: '#/components/schemas/Nope' }, root), {});
});
