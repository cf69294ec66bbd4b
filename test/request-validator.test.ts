// request-validator through real gateway processes and real upstreams: valid requests reach the
// upstream with the body byte for byte; each kind of violation is a 400 listing where; bodies
// over the cap are 413 (declared or chunked); the spec can be inline (file config) or the one
// `portcullis import openapi` stored for the service (store mode, plugin added by the admin API);
// invalid upstream responses are logged (pointers, never values) and counted, and still served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, service, spawnGateway, waitFor } from './harness/gateway.ts';
import { expectStatus, metricValue, spawnNode, until } from './harness/node.ts';
import { startUpstream, type Handler } from './harness/upstream.ts';

const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Orders', version: '1' },
  paths: {
    '/orders': {
      post: {
        parameters: [
          { name: 'dry_run', in: 'query', schema: { type: 'boolean' } },
          { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', minLength: 8 } },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } },
        responses: { '201': { description: 'created', content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } } },
      },
    },
    '/orders/{id}': {
      get: {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } } },
      },
    },
  },
  components: {
    schemas: {
      Order: {
        type: 'object', required: ['sku', 'quantity'], additionalProperties: false,
        properties: { id: { type: 'integer', readOnly: true }, sku: { type: 'string', pattern: '^[A-Z]{3}-\\d+$' }, quantity: { type: 'integer', minimum: 1 }, note: { type: 'string', nullable: true } },
      },
    },
  },
};

interface Problem { status: number; type: string; errors?: { in: string; name?: string; pointer: string; message: string }[] }

/** Upstream: echoes the body it got (base64, to compare bytes) unless the path asks for a bad answer. */
const handler: Handler = (req, res, body) => {
  if (req.url?.startsWith('/orders/666')) {
    const bad = JSON.stringify({ sku: 'bad sku', quantity: 0, secret_field: 'CANARY-RESPONSE-VALUE' });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(bad);
    return;
  }
  const payload = JSON.stringify({ url: req.url, got: body.toString('base64'), length: req.headers['content-length'] ?? null, te: req.headers['transfer-encoding'] ?? null });
  res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'text/plain' });
  res.end(payload);
};

const postOrder = (url: string, body: string, headers: Record<string, string> = {}) => fetch(`${url}/orders`, {
  method: 'POST', body, headers: { 'content-type': 'application/json', 'idempotency-key': 'key-12345678', ...headers },
});

/** Sends a chunked body (no Content-Length) of `size` bytes. */
function postChunked(url: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'key-12345678', 'transfer-encoding': 'chunked' } }, (res) => { res.resume(); resolve(res.statusCode!); });
    req.on('error', reject);
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
}

test('inline spec: valid requests pass byte-identical; each violation type is a 400 with pointers; 413; 415; 404', { timeout: 60_000 }, async (t) => {
  const up = await startUpstream(handler);
  t.after(() => up.close());
  const gw = await spawnGateway({
    services: [service('orders', [up.url])],
    routes: [{ name: 'r', service: 'orders', paths: ['/'], plugins: [{ name: 'request-validator', config: { openapi: SPEC, body_limit_bytes: 4096, validate_responses: 'log-only' } }] }],
  });
  t.after(() => gw.stop());

  // Valid: the exact bytes (odd whitespace, unicode escapes, key order) reach the upstream.
  const body = '{ "quantity":2,\n  "sku" : "ABC-1", "note":"caf\\u00e9 ☕" }';
  const ok = await postOrder(gw.url, body, { 'x-extra': 'x' });
  assert.equal(ok.status, 201);
  const echoed = await ok.json() as { url: string; got: string; length: string };
  assert.equal(Buffer.from(echoed.got, 'base64').toString('utf8'), body);
  assert.equal(echoed.length, String(Buffer.byteLength(body)));
  assert.equal((await fetch(`${gw.url}/orders/12`)).status, 200);

  // A chunked body is buffered and forwarded with its length.
  const chunkedOk = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${gw.url}/orders?dry_run=true`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'key-12345678', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = ''; res.on('data', (c: Buffer) => { text += c; }); res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.write('{"sku":"XYZ-9",');
    setTimeout(() => req.end('"quantity":1}'), 20);
  });
  assert.equal(chunkedOk.status, 201);
  const chunkedEcho = JSON.parse(chunkedOk.body) as { got: string; length: string; te: string | null };
  assert.equal(Buffer.from(chunkedEcho.got, 'base64').toString(), '{"sku":"XYZ-9","quantity":1}');
  assert.deepEqual([chunkedEcho.length, chunkedEcho.te], ['28', null]);
  const forwarded = up.received.length;

  const problem = async (res: Response) => {
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    return await res.json() as Problem;
  };
  // Body, query and header violations at once.
  const bad = await postOrder(gw.url + '', '{"sku":"abc","quantity":0,"extra":true,"note":null}', { 'idempotency-key': 'short' });
  assert.equal(bad.status, 400);
  const p = await problem(bad);
  assert.equal(p.type, 'https://portcullis.dev/problems/validation-failed');
  assert.deepEqual(p.errors, [
    { in: 'header', name: 'Idempotency-Key', pointer: '', message: 'must NOT have fewer than 8 characters' },
    { in: 'body', pointer: '/extra', message: 'is not allowed' },
    { in: 'body', pointer: '/sku', message: 'must match pattern "^[A-Z]{3}-\\d+$"' },
    { in: 'body', pointer: '/quantity', message: 'must be >= 1' },
  ]);
  assert.ok(!JSON.stringify(p).includes('short'), 'header values are never echoed');
  const query = await problem(await fetch(`${gw.url}/orders?dry_run=maybe`, { method: 'POST', body: '{"sku":"ABC-1","quantity":1}', headers: { 'content-type': 'application/json', 'idempotency-key': 'key-12345678' } }));
  assert.deepEqual(query.errors, [{ in: 'query', name: 'dry_run', pointer: '', message: 'must be boolean' }]);
  const path = await problem(await fetch(`${gw.url}/orders/0`));
  assert.deepEqual(path.errors, [{ in: 'path', name: 'id', pointer: '', message: 'must be >= 1' }]);
  const json = await problem(await postOrder(gw.url, '{"sku":'));
  assert.deepEqual(json.errors, [{ in: 'body', pointer: '', message: 'is not valid JSON' }]);
  // Too large: declared (refused before reading) and chunked (counted while buffering).
  assert.equal((await postOrder(gw.url, JSON.stringify({ sku: 'ABC-1', quantity: 1, note: 'x'.repeat(5000) }))).status, 413);
  assert.equal(await postChunked(gw.url, 64 * 1024), 413);
  // Other media type, unknown path, unknown method.
  const media = await fetch(`${gw.url}/orders`, { method: 'POST', body: 'sku=ABC-1', headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'key-12345678' } });
  assert.equal(media.status, 415);
  await media.body?.cancel();
  assert.equal((await problem(await fetch(`${gw.url}/customers`))).status, 404);
  const method = await fetch(`${gw.url}/orders/1`, { method: 'DELETE' });
  assert.deepEqual([method.status, method.headers.get('allow')], [405, 'GET']);
  await method.body?.cancel();
  assert.equal(up.received.length, forwarded, 'no refused request reached the upstream');

  // An invalid upstream response is served unchanged and logged with pointers, never values.
  const served = await fetch(`${gw.url}/orders/666`);
  assert.equal(served.status, 200);
  assert.match(await served.text(), /CANARY-RESPONSE-VALUE/);
  await waitFor(() => gw.output().includes('upstream response does not match the API description'), 5000, 'the response warning');
  const line = gw.output().split('\n').find((l) => l.includes('upstream response does not match'))!;
  const entry = JSON.parse(line) as { request_id: string; operation: string; violations: { pointer: string }[] };
  assert.equal(entry.operation, 'GET /orders/{id}');
  assert.ok(entry.request_id.length > 0);
  assert.deepEqual(entry.violations.map((v) => v.pointer).sort(), ['/quantity', '/secret_field', '/sku']);
  assert.ok(!gw.output().includes('CANARY-RESPONSE-VALUE'), 'response values never reach the log');
  const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  assert.equal(metricValue(metrics, 'portcullis_plugin_events_total{plugin="request-validator",event="response-invalid",service="orders",route="r"}'), 1);
});

test('stored spec: `portcullis import openapi` stores it, the admin API adds the plugin, a re-import is picked up', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-validator-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = `sqlite:${join(dir, 'portcullis.db')}`;
  const up = await startUpstream(handler);
  t.after(() => up.close());
  const importSpec = async (spec: object) => {
    const file = join(dir, 'spec.json');
    writeFileSync(file, JSON.stringify(spec));
    const child = spawn(process.execPath, [BIN, 'import', 'openapi', file, '--db', db, '--service-name', 'orders', '--upstream', up.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c; });
    child.stderr.on('data', (c: Buffer) => { out += c; });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, out);
  };
  await importSpec(SPEC);
  const node = await spawnNode({ db, t });
  expectStatus(await node.admin('POST', '/admin/plugins', { name: 'request-validator', service: 'orders', config: {} }), 'add the plugin', 201);
  await until(async () => (await fetch(`${node.proxyUrl}/orders/0`)).status === 400, 10_000, 'the validator to be active');
  assert.equal((await fetch(`${node.proxyUrl}/orders/5`)).status, 200);
  assert.equal((await postOrder(node.proxyUrl, '{"sku":"ABC-1","quantity":1}')).status, 201);

  // A new spec (ids from 10 up) reaches the running node: importing it moves the revision.
  const next = structuredClone(SPEC);
  (next.paths['/orders/{id}'].get.parameters[0]!.schema as { minimum: number }).minimum = 10;
  await importSpec(next);
  await until(async () => (await fetch(`${node.proxyUrl}/orders/5`)).status === 400, 10_000, 'the re-imported spec to be served');
  const problem = await (await fetch(`${node.proxyUrl}/orders/5`)).json() as Problem;
  assert.deepEqual(problem.errors, [{ in: 'path', name: 'id', pointer: '', message: 'must be >= 10' }]);

  // A service without a stored spec: the write is refused with a clear message.
  expectStatus(await node.admin('POST', '/admin/services', { name: 'bare', targets: [{ url: up.url }] }), 'add a service', 201);
  const refused = await node.admin('POST', '/admin/plugins', { name: 'request-validator', service: 'bare', config: {} });
  assert.ok(refused.status >= 400 && refused.status < 500, `status ${refused.status}`);
  assert.match(JSON.stringify(refused.body), /no API spec is stored for service \\"bare\\"/);
});
