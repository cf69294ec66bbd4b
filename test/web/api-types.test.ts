// The web app's typed API client is generated from the OpenAPI documents into one folder of
// modules per document; the committed folder must hold exactly what the generator makes of the
// committed document, file for file (regenerate: `npm run gen:api-types`). Plus the generator's
// layout (modules per tag, size limit, stale files) and its mapping of the JSON Schema it meets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GENERATED_MARK, MODULE_LINES, TARGETS, driftOf, generate, generateTarget, typeOf, writeTarget, type Target } from '../../web/scripts/gen-api-types.ts';

const REPO_LIMIT = 600; // no file under src/ or web/ longer than this (wc -l)
const lines = (text: string) => text.split('\n').length - 1;
const folderOf = (target: Target) => fileURLToPath(target.folder);
const committed = (target: Target) => readdirSync(folderOf(target)).sort();

test('web/src/api/*.gen/ hold exactly what the generator makes of their OpenAPI documents', () => {
  assert.ok(TARGETS.length >= 1);
  for (const target of TARGETS) {
    const files = generateTarget(target);
    const hint = `${folderOf(target)} is stale: run \`npm run gen:api-types\``;
    assert.deepEqual(committed(target), files.map((f) => f.name).sort(), `the file list differs. ${hint}`);
    for (const f of files) assert.equal(readFileSync(join(folderOf(target), f.name), 'utf8'), f.text, `${f.name} differs. ${hint}`);
  }
});

test('every path, operation and schema of the document is in the generated client', () => {
  for (const target of TARGETS) {
    const doc = JSON.parse(readFileSync(target.document, 'utf8')) as { paths: Record<string, Record<string, { operationId: string }>>; components: { schemas: Record<string, unknown> } };
    const text = committed(target).map((name) => readFileSync(join(folderOf(target), name), 'utf8')).join('\n');
    for (const [path, item] of Object.entries(doc.paths)) {
      assert.ok(text.includes(`    ${JSON.stringify(path)}: {`), path);
      for (const op of Object.values(item)) {
        assert.ok(text.includes(`operations[${JSON.stringify(op.operationId)}]`), op.operationId);
        assert.ok(text.includes(`    ${JSON.stringify(op.operationId)}: {`), op.operationId);
      }
    }
    for (const name of Object.keys(doc.components.schemas)) assert.match(text, new RegExp(`^    (${name}|"${name}"): `, 'm'), name);
  }
});

test(`no generated module is longer than ${REPO_LIMIT} lines, and every one carries the generated header`, () => {
  for (const target of TARGETS) {
    for (const name of committed(target)) {
      const text = readFileSync(join(folderOf(target), name), 'utf8');
      assert.ok(lines(text) <= REPO_LIMIT, `${name}: ${lines(text)} lines`);
      assert.ok(text.startsWith(`${GENERATED_MARK} from ${target.source}. Do not edit: regenerate with\n`), name);
    }
  }
});

test('the app imports the generated types only through a folder’s index.ts (which module holds what moves)', () => {
  const web = fileURLToPath(new URL('../../web/src/', import.meta.url));
  const generated = new Set(TARGETS.map(folderOf));
  let checked = 0;
  for (const entry of readdirSync(web, { recursive: true, withFileTypes: true })) {
    const dir = join(entry.parentPath, '/');
    if (!entry.isFile() || !/\.tsx?$/.test(entry.name) || generated.has(dir)) continue;
    const text = readFileSync(join(dir, entry.name), 'utf8');
    for (const [, spec] of text.matchAll(/from '([^']*\.gen\/[^']*)'/g)) {
      assert.match(spec!, /\.gen\/index\.ts$/, `${join(dir, entry.name)} imports ${spec}`);
      checked++;
    }
  }
  assert.ok(checked >= 2, 'the app does import the generated types');
});

// A small document shaped to exercise the layout: a tag too big for one module, an untagged
// operation, a schema one tag uses (directly and through another schema), one two tags use.
const op = (operationId: string, tag: string | undefined, ref: string) => ({
  operationId,
  ...(tag ? { tags: [tag] } : {}),
  parameters: Array.from({ length: 20 }, (_, i) => ({ name: `p${i}`, in: 'query', schema: { type: 'string' }, description: `Parameter ${i}.` })),
  responses: { 200: { description: 'OK.', content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } } },
});
const sample = {
  paths: {
    ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`/widgets/${i}`, { get: op(`get-widget-${i}`, 'Big widget', 'Widget'), put: op(`put-widget-${i}`, 'Big widget', 'Problem') }])),
    '/gadgets': { get: op('list-gadgets', 'Gadget', 'Problem') },
    '/ping': { get: op('ping', undefined, 'Pong') },
  },
  components: {
    schemas: {
      Problem: { type: 'object', properties: { title: { type: 'string' } } },
      Widget: { type: 'object', properties: { part: { $ref: '#/components/schemas/WidgetPart' } } },
      WidgetPart: { type: 'string' },
      Pong: { const: 'pong' },
      Unused: { type: 'boolean' },
    },
  },
};

test('layout: a module per tag, split in order when too big; schemas with the one tag using them, else shared', () => {
  const files = generate(sample, 'sample.json');
  const byName = new Map(files.map((f) => [f.name, f.text]));
  const big = [...byName.keys()].filter((n) => n.startsWith('big-widget'));
  assert.ok(big.length >= 2, `the big tag is split: ${big.join(', ')}`);
  assert.deepEqual(big, ['big-widget.ts', ...big.slice(1).map((_, i) => `big-widget-${i + 2}.ts`)].sort());
  for (const f of files) assert.ok(lines(f.text) <= MODULE_LINES, `${f.name}: ${lines(f.text)} lines`);
  assert.ok(byName.get('big-widget.ts')!.includes('"/widgets/0": {') && byName.get('big-widget.ts')!.includes('"get-widget-0": {'), 'document order');
  assert.match(byName.get('other.ts')!, /export interface OtherSchemas \{\n {4}Pong: "pong";/, 'untagged operations and their schema go to other.ts');
  const widgetSchemas = big.map((n) => byName.get(n)!).join('\n');
  assert.match(widgetSchemas, /^ {4}Widget: \{/m);
  assert.match(widgetSchemas, /^ {4}WidgetPart: string;/m, 'a schema only a tag’s schemas use stays with that tag');
  assert.match(byName.get('shared.ts')!, /^ {4}Problem: \{/m, 'used by two tags');
  assert.match(byName.get('shared.ts')!, /^ {4}Unused: boolean;/m, 'used by none');
  const index = byName.get('index.ts')!;
  assert.match(index, /export interface paths extends\n {4}BigWidgetPaths,\n {4}BigWidget2Paths,/);
  assert.match(index, /import type \{ SharedSchemas \} from '\.\/shared\.ts';/);
  for (const f of files) assert.ok(f.text.startsWith(`${GENERATED_MARK} from sample.json.`), f.name);
  assert.deepEqual(generate(sample, 'sample.json'), files, 'deterministic');
});

test('--write writes missing and changed modules, deletes stale generated ones, leaves (and reports) anything else', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gen-api-types-'));
  try {
    writeFileSync(join(dir, 'sample.json'), JSON.stringify(sample));
    const target: Target = { source: 'sample.json', document: pathToFileURL(join(dir, 'sample.json')), folder: pathToFileURL(join(dir, 'out/')) };
    const first = writeTarget(target);
    assert.equal(first.write.length, generateTarget(target).length);
    writeFileSync(join(dir, 'out', 'gone.ts'), `${GENERATED_MARK} from sample.json. …\n`);
    writeFileSync(join(dir, 'out', 'notes.ts'), '// mine\n');
    writeFileSync(join(dir, 'out', 'other.ts'), 'edited by hand\n');
    const drift = driftOf(target);
    assert.deepEqual(drift.write.map((f) => f.name), ['other.ts']);
    assert.deepEqual(drift.remove, ['gone.ts']);
    assert.deepEqual(drift.foreign, ['notes.ts']);
    writeTarget(target);
    assert.deepEqual(readdirSync(join(dir, 'out')).sort(), [...generateTarget(target).map((f) => f.name), 'notes.ts'].sort());
    assert.deepEqual(driftOf(target), { write: [], remove: [], foreign: ['notes.ts'] }, 'a second run changes nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
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

test('responses: one media type and no headers is MediaResponse<…> (defined once in index.ts); others are written out', () => {
  const doc = {
    paths: {
      '/things': {
        get: {
          operationId: 'get-things',
          responses: {
            200: { description: 'OK.', content: { 'application/json': { schema: { type: 'string' } } } },
            201: { description: 'Created.', headers: { Location: { schema: { type: 'string' } } }, content: { 'application/json': { schema: { type: 'string' } } } },
            204: { description: 'Gone.' },
            404: { description: 'Not found.', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
          },
        },
      },
    },
    components: { schemas: { Problem: { type: 'object' } } },
  };
  const files = new Map(generate(doc, 'doc.json').map((f) => [f.name, f.text]));
  const module = files.get('other.ts')!;
  assert.match(module, /import type \{ components, operations, MediaResponse \} from '\.\/index\.ts';/);
  assert.match(module, /200: MediaResponse<"application\/json", string>;/);
  assert.match(module, /404: MediaResponse<"application\/problem\+json", components\["schemas"\]\["Problem"\]>;/);
  assert.match(module, /201: \{\n {16}headers: \{\n {20}"Location"\?: string;/, 'declared headers are kept');
  assert.match(module, /204: \{\n {16}headers: \{\n {20}\[name: string\]: unknown;\n {16}\};\n {16}content\?: never;/, 'no content stays content?: never');
  assert.match(files.get('index.ts')!, /export type MediaResponse<Media extends string, Body> = \{\n {4}headers: \{\n {8}\[name: string\]: unknown;\n {4}\};\n {4}content: \{\n {8}\[M in Media\]: Body;/);
});
