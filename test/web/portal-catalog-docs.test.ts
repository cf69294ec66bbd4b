// The docs page's logic: which stored document to show, reading OpenAPI (JSON or YAML), the
// operations the try-it panel offers, the URL and headers it sends, and the SDL highlighter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basePathOf, documentLabel, kindOf, operationsOf, parseHeaderLines, parseOpenApi, pickDocument, prettyBody, requestUrl } from '../../web/src/portal/docs/documents.ts';
import { highlightSdl } from '../../web/src/portal/docs/sdl.ts';

const doc = (id: string, format: string, version = '1') => ({ id, format, version, title: 'T', created_at: '2026-11-01T00:00:00Z' });

test('the document shown: the one asked for, else the newest OpenAPI one, else the newest', () => {
  const docs = [doc('a', 'openapi-3.0'), doc('b', 'openapi-3.1', '2'), doc('w', 'wsdl', '')];
  assert.equal(pickDocument(docs, 'a')?.id, 'a');
  assert.equal(pickDocument(docs, null)?.id, 'b', "a WSDL's REST face renders better than the WSDL");
  assert.equal(pickDocument(docs, 'missing')?.id, 'b');
  assert.equal(pickDocument([doc('g', 'graphql-sdl')], null)?.id, 'g');
  assert.equal(pickDocument([], null), undefined);
  assert.deepEqual(['openapi-2.0', 'graphql-sdl', 'wsdl', 'raml'].map(kindOf), ['openapi', 'graphql', 'wsdl', 'text']);
  assert.equal(documentLabel(doc('w', 'wsdl', '')), '2026-11-01 · WSDL');
  assert.equal(documentLabel(doc('b', 'openapi-3.1', '2.0.0')), '2.0.0 · OpenAPI');
});

test('OpenAPI text as JSON or YAML; anything else refused', async () => {
  assert.deepEqual(await parseOpenApi('{"openapi":"3.1.0"}'), { openapi: '3.1.0' });
  assert.deepEqual(await parseOpenApi('openapi: 3.1.0\ninfo:\n  title: X\n'), { openapi: '3.1.0', info: { title: 'X' } });
  await assert.rejects(parseOpenApi('- a\n- b\n'), /not an OpenAPI object/);
});

test('operations with their path and query parameters (shared, referenced) and bodies', () => {
  const ops = operationsOf({
    components: { parameters: { Limit: { name: 'limit', in: 'query', required: true } } },
    paths: {
      '/orders/{id}/lines/{line}': { parameters: [{ name: 'expand', in: 'query' }], get: { summary: 'A line', parameters: [{ $ref: '#/components/parameters/Limit' }] }, delete: { operationId: 'dropLine' } },
      '/orders': { post: { requestBody: {} } },
      '/legacy': { put: { parameters: [{ in: 'body', name: 'b' }] } },
      '/bad': 'not an object',
    },
  });
  assert.deepEqual(ops.map((o) => `${o.method} ${o.path} ${o.summary}`), ['GET /orders/{id}/lines/{line} A line', 'DELETE /orders/{id}/lines/{line} dropLine', 'POST /orders ', 'PUT /legacy ']);
  assert.deepEqual(ops[0]!.pathParams, ['id', 'line']);
  assert.deepEqual(ops[0]!.query, [{ name: 'expand', required: false }, { name: 'limit', required: true }]);
  assert.deepEqual(ops.map((o) => o.hasBody), [false, false, true, true]);
});

test('request URL: parameters encoded as one segment each, the query appended', () => {
  assert.equal(requestUrl('https://api.example.com/', '/orders/{id}', { id: 'a/b c' }, '?x=1'), 'https://api.example.com/orders/a%2Fb%20c?x=1');
  assert.equal(requestUrl('http://127.0.0.1:8000', '/orders/{id}', {}, ''), 'http://127.0.0.1:8000/orders/');
  assert.equal(requestUrl('http://gw', 'x', {}, ' '), 'http://gw/x');
});

test('header lines and bodies', () => {
  assert.deepEqual(parseHeaderLines('Accept: application/json\n\nX-Trace:  a:b \nnot a header\n: empty'), { headers: [['Accept', 'application/json'], ['X-Trace', 'a:b']], bad: ['not a header', ': empty'] });
  assert.equal(prettyBody('{"a":1}', 'application/problem+json'), '{\n  "a": 1\n}');
  assert.equal(prettyBody('{"a":1', 'application/json'), '{"a":1');
  assert.equal(prettyBody('<x/>', 'text/xml'), '<x/>');
});

test('SDL highlighting keeps every character and marks keywords, types, strings, comments, directives', () => {
  const sdl = '# c\ntype Query {\n  "doc"\n  a(id: ID!): [Shipment] @deprecated(reason: """x""")\n}\n"unterminated';
  const tokens = highlightSdl(sdl);
  assert.equal(tokens.map((t) => t.text).join(''), sdl);
  const of = (kind: string) => tokens.filter((t) => t.kind === kind).map((t) => t.text.trim());
  assert.deepEqual(of('comment'), ['# c']);
  assert.deepEqual(of('keyword'), ['type']);
  assert.deepEqual(of('type'), ['Query', 'ID', 'Shipment']);
  assert.deepEqual(of('directive'), ['@deprecated']);
  assert.deepEqual(of('string'), ['"doc"', '"""x"""', '"unterminated']);
});

test('the try-it base path comes from the document: servers[0] (absolute or relative), Swagger basePath, none', () => {
  assert.equal(basePathOf({ servers: [{ url: 'http://localhost:8080/carrier' }, { url: 'http://127.0.0.1:9001' }] }), '/carrier');
  assert.equal(basePathOf({ servers: [{ url: '/api/v3/' }] }), '/api/v3');
  assert.equal(basePathOf({ servers: [{ url: 'https://{region}.example.com/v1' }] }), '', 'server variables are not guessed');
  assert.equal(basePathOf({ basePath: '/v2' }), '/v2');
  assert.equal(basePathOf({ servers: [{ url: 'https://api.example.com' }] }), '');
  assert.equal(basePathOf({}), '');
});
