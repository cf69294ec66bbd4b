import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConf, fakeContext } from '../test-helpers.ts';
import type { PluginResponse } from '../../core/pipeline/context.ts';
import { specLookup } from '../../core/snapshot/specs.ts';
import { convertSchema } from './json-schema.ts';
import { parseQuery, pathValue, queryValue } from './params.ts';
import { compileSpec, findOperation, type CompiledSpec } from './spec.ts';
import { requestValidator, type ValidatorConf } from './plugin.ts';

const PETS_30 = {
  openapi: '3.0.3',
  info: { title: 'Pets', version: '1' },
  servers: [{ url: 'https://pets.example/api/{v}', variables: { v: { default: 'v1' } } }],
  paths: {
    '/pets': {
      get: {
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
          { name: 'tags', in: 'query', schema: { type: 'array', items: { type: 'string', enum: ['a', 'b'] } } },
          { name: 'ids', in: 'query', explode: false, schema: { type: 'array', items: { type: 'integer' } } },
          { name: 'X-Trace', in: 'header', required: true, schema: { type: 'string', format: 'uuid' } },
        ],
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Pet' } } } } } },
      },
      post: {
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NewPet' } } } },
        responses: { '201': { description: 'created', headers: { Location: { required: true, schema: { type: 'string' } } } } },
      },
    },
    '/pets/mine': { get: { responses: { default: { description: 'x' } } } },
    '/pets/{id}': {
      parameters: [{ $ref: '#/components/parameters/PetId' }],
      get: { responses: { '2XX': { description: 'ok' } } },
      delete: { responses: { '204': { description: 'gone' } } },
    },
    '/files/{name}.{ext}': { get: { parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }, { name: 'ext', in: 'path', required: true, schema: { type: 'string', enum: ['json', 'csv'] } }], responses: {} } },
  },
  components: {
    parameters: { PetId: { name: 'id', in: 'path', required: true, schema: { type: 'integer', format: 'int32', exclusiveMinimum: true, minimum: 0 } } },
    schemas: {
      Pet: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'integer', readOnly: true }, name: { type: 'string' }, tag: { type: 'string', nullable: true } } },
      NewPet: {
        type: 'object', required: ['id', 'name'], additionalProperties: false,
        properties: { id: { type: 'integer', readOnly: true }, name: { type: 'string', minLength: 1 }, tag: { type: 'string', nullable: true }, age: { type: 'number', minimum: 0, exclusiveMinimum: true }, owner: { allOf: [{ $ref: '#/components/schemas/Owner' }], nullable: true } },
      },
      Owner: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } },
    },
  },
};

const opts = { v30: true, direction: 'request' as const, ref: (r: string) => r, problems: [] as string[] };

test('3.0 schemas: nullable, boolean exclusive bounds, readOnly in requests, example dropped', () => {
  assert.deepEqual(convertSchema({ type: 'string', nullable: true, example: 'x' }, opts), { type: ['string', 'null'] });
  assert.deepEqual(convertSchema({ enum: ['a'], type: 'string', nullable: true }, opts), { enum: ['a', null], type: ['string', 'null'] });
  assert.deepEqual(convertSchema({ allOf: [{ $ref: '#/x' }], nullable: true }, opts), { anyOf: [{ type: 'null' }, { allOf: [{ $ref: '#/x' }] }] });
  assert.deepEqual(convertSchema({ type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 9, exclusiveMaximum: false }, opts), { type: 'number', exclusiveMinimum: 0, maximum: 9 });
  assert.deepEqual(convertSchema({ type: 'object', required: ['id', 'n'], properties: { id: { readOnly: true }, n: {} } }, opts), { type: 'object', required: ['n'], properties: { id: { readOnly: true }, n: {} } });
  assert.deepEqual(convertSchema({ type: 'object', required: ['pw'], properties: { pw: { writeOnly: true } } }, { ...opts, direction: 'response' }), { type: 'object', required: [], properties: { pw: { writeOnly: true } } });
  // 3.0 ignores a $ref's siblings; 3.1 keeps them, and keeps its own nullable-free dialect.
  assert.deepEqual(convertSchema({ $ref: '#/a', description: 'd' }, opts), { $ref: '#/a' });
  assert.deepEqual(convertSchema({ $ref: '#/a', type: ['string', 'null'] }, { ...opts, v30: false }), { $ref: '#/a', type: ['string', 'null'] });
  // Tuple items become prefixItems.
  assert.deepEqual(convertSchema({ items: [{ type: 'string' }] }, { ...opts, v30: false }), { prefixItems: [{ type: 'string' }] });
});

test('operations: server base path, concrete before templated, mixed segments, 405 list, HEAD as GET', () => {
  const spec = compileSpec(PETS_30, { responses: true }) as CompiledSpec;
  assert.equal(typeof spec, 'object');
  assert.deepEqual(spec.basePaths, ['/api/v1', '']);
  const at = (m: string, p: string) => findOperation(spec, m, p);
  const op = (m: string, p: string) => { const f = at(m, p); return f && 'operation' in f ? `${f.operation.method} ${f.operation.template} ${JSON.stringify(f.pathParams)}` : f; };
  assert.equal(op('GET', '/api/v1/pets'), 'GET /pets {}');
  assert.equal(op('GET', '/pets'), 'GET /pets {}');
  assert.equal(op('GET', '/api/v1/pets/mine'), 'GET /pets/mine {}');
  assert.equal(op('GET', '/api/v1/pets/7'), 'GET /pets/{id} {"id":"7"}');
  assert.equal(op('HEAD', '/api/v1/pets/7'), 'GET /pets/{id} {"id":"7"}');
  assert.equal(op('GET', '/files/report.csv'), 'GET /files/{name}.{ext} {"name":"report","ext":"csv"}');
  assert.deepEqual(at('PUT', '/api/v1/pets/7'), { allowed: ['GET', 'DELETE'] });
  assert.equal(at('GET', '/api/v1/owners'), undefined);
  assert.equal(at('GET', '/api/v1x/pets/1/2'), undefined);
  assert.equal((compileSpec(PETS_30, { basePath: '/other', responses: false }) as CompiledSpec).basePaths[0], '/other');
});

test('parameters: form/explode arrays, comma lists, deepObject, pipes, label and matrix, percent-decoding', () => {
  const q = parseQuery('?tags=a&tags=b%20c&ids=1,2,3&f[x]=1&f[y]=2&p=a|b&plus=a+b&color=red&size=2');
  assert.deepEqual(queryValue(q, 'tags', 'array', 'form', true, []), ['a', 'b c']);
  assert.deepEqual(queryValue(q, 'ids', 'array', 'form', false, []), ['1', '2', '3']);
  assert.deepEqual(queryValue(q, 'f', 'object', 'deepObject', true, []), { x: '1', y: '2' });
  assert.deepEqual(queryValue(q, 'p', 'array', 'pipeDelimited', false, []), ['a', 'b']);
  assert.equal(queryValue(q, 'plus', 'scalar', 'form', true, []), 'a b');
  assert.deepEqual(queryValue(q, 'obj', 'object', 'form', true, ['color', 'size', 'none']), { color: 'red', size: '2' });
  assert.equal(queryValue(q, 'missing', 'scalar', 'form', true, []), undefined);
  assert.deepEqual(pathValue('1,2', 'id', 'array', 'simple', false), ['1', '2']);
  assert.deepEqual(pathValue('a=1,b=2', 'id', 'object', 'simple', true), { a: '1', b: '2' });
  assert.deepEqual(pathValue('.1.2', 'id', 'array', 'label', true), ['1', '2']);
  assert.deepEqual(pathValue(';id=1,2', 'id', 'array', 'matrix', false), ['1', '2']);
  assert.equal(pathValue('a%2Fb', 'id', 'scalar', 'simple', false), 'a/b');
  assert.throws(() => pathValue('%E0%A4%A', 'id', 'scalar', 'simple', false), /percent-encoding/);
});

const inline = (extra: Record<string, unknown> = {}) => compileConf(requestValidator, { openapi: PETS_30, ...extra });

function run(conf: ValidatorConf, over: Parameters<typeof fakeContext>[0]): PluginResponse | undefined {
  const ctx = fakeContext(over);
  return requestValidator.handlers.access!(ctx, conf) as PluginResponse | undefined;
}
const errorsOf = (r: PluginResponse | undefined) => (r && 'problem' in r ? (r.extensions?.errors as unknown[]) : r);
const TRACE = '0b5e3c4e-8e2a-4b7e-9f39-3a5f3c1d2e4f';
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

test('query and header parameters: coerced to the schema type, each violation listed, no values echoed', () => {
  const conf = inline();
  assert.equal(run(conf, { path: '/api/v1/pets', query: '?limit=5&tags=a&tags=b&ids=1,2', headers: { 'x-trace': TRACE } }), undefined);
  const r = run(conf, { path: '/api/v1/pets', query: '?limit=0&tags=zzz-secret&ids=1,x', headers: { 'x-trace': 'not-a-uuid-secret' } });
  assert.equal(r && 'problem' in r && r.problem, 'validation-failed');
  assert.deepEqual(errorsOf(r), [
    { in: 'query', name: 'limit', pointer: '', message: 'must be >= 1' },
    { in: 'query', name: 'tags', pointer: '/0', message: 'must be equal to one of the allowed values' },
    { in: 'query', name: 'ids', pointer: '/1', message: 'must be integer' },
    { in: 'header', name: 'X-Trace', pointer: '', message: 'must match format "uuid"' },
  ]);
  assert.ok(!JSON.stringify(r).includes('secret'));
  assert.deepEqual(errorsOf(run(conf, { path: '/api/v1/pets', query: '?limit=' })), [
    { in: 'query', name: 'limit', pointer: '', message: 'must be integer' },
    { in: 'header', name: 'X-Trace', pointer: '', message: 'is required' },
  ]);
});

test('path parameters from the spec template (with a $ref parameter and 3.0 exclusiveMinimum)', () => {
  const conf = inline();
  assert.equal(run(conf, { path: '/api/v1/pets/3' }), undefined);
  assert.deepEqual(errorsOf(run(conf, { path: '/api/v1/pets/0' })), [{ in: 'path', name: 'id', pointer: '', message: 'must be > 0' }]);
  assert.deepEqual(errorsOf(run(conf, { path: '/api/v1/pets/abc' })), [{ in: 'path', name: 'id', pointer: '', message: 'must be integer' }]);
  assert.deepEqual(errorsOf(run(conf, { path: '/api/v1/pets/99999999999' })), [{ in: 'path', name: 'id', pointer: '', message: 'must match format "int32"' }]);
  assert.deepEqual(errorsOf(run(conf, { path: '/files/x.pdf' })), [{ in: 'path', name: 'ext', pointer: '', message: 'must be equal to one of the allowed values' }]);
});

test('JSON body: pointers per violation, readOnly not required, nullable, media types, required body', () => {
  const conf = inline();
  const post = (body: Buffer | undefined, type = 'application/json') => run(conf, { method: 'POST', path: '/api/v1/pets', headers: { 'content-type': type }, body });
  assert.equal(post(json({ name: 'Rex', tag: null, owner: null })), undefined);
  assert.equal(post(json({ name: 'Rex', owner: { email: 'a@b.example' } }), 'application/json; charset=utf-8'), undefined);
  assert.deepEqual(errorsOf(post(json({ name: '', age: 0, owner: { email: 'nope' }, extra: 1 }))), [
    { in: 'body', pointer: '/extra', message: 'is not allowed' },
    { in: 'body', pointer: '/name', message: 'must NOT have fewer than 1 characters' },
    { in: 'body', pointer: '/age', message: 'must be > 0' },
    { in: 'body', pointer: '/owner', message: 'must be null' },
    { in: 'body', pointer: '/owner/email', message: 'must match format "email"' },
    { in: 'body', pointer: '/owner', message: 'must match a schema in anyOf' },
  ]);
  assert.deepEqual(errorsOf(post(Buffer.from('{"name":'))), [{ in: 'body', pointer: '', message: 'is not valid JSON' }]);
  assert.deepEqual(errorsOf(post(undefined)), [{ in: 'body', pointer: '', message: 'a request body is required' }]);
  const media = post(Buffer.from('name=Rex'), 'application/x-www-form-urlencoded');
  assert.equal(media && 'problem' in media && media.problem, 'unsupported-media-type');
  // The cap on listed violations.
  const capped = compileConf(requestValidator, { openapi: PETS_30, max_errors: 2 });
  assert.equal((errorsOf(run(capped, { method: 'POST', path: '/pets', headers: { 'content-type': 'application/json' }, body: json({ a: 1, b: 2, c: 3 }) })) as unknown[]).length, 2);
  // A long client-chosen property name is cut in the pointer.
  const long = 'k'.repeat(5000);
  const e = errorsOf(post(json({ name: 'x', [long]: 1 }))) as { pointer: string }[];
  assert.ok(e[0]!.pointer.length < 300);
});

test('unknown operations: 404 / 405 with Allow by default, or let through', () => {
  const conf = inline();
  const missing = run(conf, { path: '/api/v1/nothing' });
  assert.equal(missing && 'problem' in missing && missing.problem, 'not-found');
  const method = run(conf, { method: 'PATCH', path: '/api/v1/pets/1' });
  assert.deepEqual(method && 'problem' in method && [method.problem, method.headers], ['method-not-allowed', { allow: 'GET, DELETE' }]);
  assert.equal(run(inline({ unknown_operations: 'allow' }), { path: '/api/v1/nothing' }), undefined);
  assert.equal(run(inline({ locations: ['path'] }), { path: '/api/v1/pets', query: '?limit=0' }), undefined);
});

test('OpenAPI 3.1 documents (type arrays, numeric exclusive bounds, $defs via components)', () => {
  const conf = compileConf(requestValidator, { openapi: {
    openapi: '3.1.0', info: { title: 't', version: '1' },
    paths: { '/items': { post: { requestBody: { content: { 'application/vnd.items+json': { schema: { $ref: '#/components/schemas/Item' } } } }, responses: {} } } },
    components: { schemas: { Item: { type: 'object', properties: { n: { type: ['integer', 'null'], exclusiveMinimum: 0 } } } } },
  } });
  const post = (v: unknown) => errorsOf(run(conf, { method: 'POST', path: '/items', headers: { 'content-type': 'application/vnd.items+json' }, body: json(v) }));
  assert.equal(post({ n: null }), undefined);
  assert.equal(post({ n: 1 }), undefined);
  assert.deepEqual(post({ n: 0 }), [{ in: 'body', pointer: '/n', message: 'must be > 0' }]);
});

test('direct JSON Schemas apply to every request of the route', () => {
  const conf = compileConf(requestValidator, { schemas: {
    path: { type: 'object', properties: { id: { type: 'integer' } } },
    query: { type: 'object', properties: { q: { type: 'array', items: { type: 'string', maxLength: 3 } } }, required: ['q'] },
    headers: { type: 'object', properties: { 'x-n': { type: 'integer' } } },
    body: { type: 'object', required: ['a'] },
  } });
  assert.equal(run(conf, { params: { id: '4' }, query: '?q=ab', headers: { 'x-n': '2', 'content-type': 'application/json' }, body: json({ a: 1 }) }), undefined);
  assert.deepEqual(errorsOf(run(conf, { params: { id: 'x' }, query: '?q=abcd', headers: { 'x-n': 'y', 'content-type': 'application/json' }, body: json({}) })), [
    { in: 'path', name: 'id', pointer: '', message: 'must be integer' },
    { in: 'query', name: 'q', pointer: '/0', message: 'must NOT have more than 3 characters' },
    { in: 'header', name: 'x-n', pointer: '', message: 'must be integer' },
    { in: 'body', pointer: '/a', message: 'is required' },
  ]);
});

test('response checks: status, headers and body (log only)', () => {
  const conf = inline({ validate_responses: 'log-only' });
  const warnings: object[] = [];
  const ctx = fakeContext({ method: 'POST', path: '/pets', headers: { 'content-type': 'application/json' }, body: json({ name: 'R' }) });
  (ctx as { log: unknown }).log = { ...ctx.log, warn: (o: object) => warnings.push(o) };
  assert.equal(requestValidator.handlers.access!(ctx, conf), undefined);
  ctx.response = { status: 201, headers: {} };
  requestValidator.handlers['upstream-response']!(ctx, conf);
  requestValidator.handlers.log!(ctx, conf);
  assert.deepEqual(warnings.map((w) => (w as { violations: unknown }).violations), [[{ in: 'header', name: 'Location', pointer: '', message: 'is required' }]]);

  const get = fakeContext({ path: '/pets', headers: { 'x-trace': TRACE } });
  (get as { log: unknown }).log = { ...get.log, warn: (o: object) => warnings.push(o) };
  requestValidator.handlers.access!(get, conf);
  get.response = { status: 200, headers: { 'content-type': 'application/json' } };
  requestValidator.handlers['upstream-response']!(get, conf);
  requestValidator.handlers['response-body']!(get, conf, json([{ id: 1, name: 'a' }, { name: 'b', secret: 'zz' }]));
  requestValidator.handlers.log!(get, conf);
  assert.deepEqual((warnings[1] as { violations: unknown }).violations, [{ in: 'body', pointer: '/1/id', message: 'is required' }]);
  assert.ok(!JSON.stringify(warnings).includes('zz'));
  assert.equal(requestValidator.needsResponseBody!(conf), true);
  assert.equal(requestValidator.needsResponseBody!(inline()), false);
});

test('stored specs: the service’s latest spec; missing, unparseable and unusable specs are clear errors', () => {
  const yamlSpec = 'openapi: 3.0.3\ninfo: {title: t, version: "1"}\npaths:\n  /a:\n    get:\n      parameters: [{name: n, in: query, schema: {type: integer}}]\n      responses: {}\n';
  const specOf = specLookup([
    { service: 'svc', id: 's1', format: 'openapi-3.0', content: yamlSpec },
    { service: 'bad', id: 's2', format: 'openapi-3.0', content: 'a: [' },
    { service: 'swagger', id: 's3', format: 'openapi-2.0', content: '{"swagger":"2.0","paths":{}}' },
  ]);
  const env = (service: string | undefined) => ({ builtinIssuer: undefined, redis: undefined, service, specOf });
  const conf = compileConf(requestValidator, {}, env('svc'));
  assert.deepEqual(errorsOf(run(conf, { path: '/a', query: '?n=x' })), [{ in: 'query', name: 'n', pointer: '', message: 'must be integer' }]);
  // The same document object is compiled once for every instance of the service.
  assert.equal(compileConf(requestValidator, {}, env('svc')).spec, conf.spec);
  assert.throws(() => compileConf(requestValidator, {}, env('none')), /no API spec is stored for service "none"/);
  assert.throws(() => compileConf(requestValidator, {}, env('bad')), /the stored spec s2 of service "bad" cannot be parsed/);
  assert.throws(() => compileConf(requestValidator, {}, env('swagger')), /Swagger 2.0 documents are not supported/);
  assert.throws(() => compileConf(requestValidator, {}, env(undefined)), /global request-validator needs/);
  assert.throws(() => compileConf(requestValidator, { openapi: { openapi: '3.0.0', paths: { '/x': { get: { requestBody: { content: { 'application/json': { schema: { $ref: 'other.yaml#/X' } } } } } } } } }), /\$ref "other.yaml#\/X" cannot be followed/);
  assert.throws(() => compileConf(requestValidator, { openapi: PETS_30, schemas: {} }), /either openapi/);
});
