// The carrier example over real HTTP: every endpoint's happy path, every error class, the
// OpenAPI document against the routes actually served, and the process entry point.
//   npx node --test examples/carrier/carrier.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Quote } from './rates.ts';
import { CARRIER_ROUTES, createCarrierServer } from './server.ts';
import type { Label, Tracking } from './shipments.ts';
import { CarrierClient, assertProblem, example, listen, must, type OpenApiDoc, type Operation, type Problem } from './test-support.ts';

// A clock the tests move, so tracking can be checked without sleeping.
const START = Date.parse('2025-01-15T09:30:00.000Z');
let clock = START;
const server = createCarrierServer({ now: () => clock, stepMs: 30_000 });
let client: CarrierClient;

before(async () => {
  client = new CarrierClient(await listen(server));
});
after(() => {
  server.close();
  server.closeAllConnections();
});

const call = <T = Problem>(method: string, path: string, body?: unknown) => client.call<T>(method, path, body);
const rawPost = (path: string, chunks: Buffer[], headers?: Record<string, string>) => client.rawPost(path, chunks, headers);

const BERLIN = { postal_code: '10115', country: 'DE' };
const MUNICH = { postal_code: '80331', country: 'DE' };
const PARIS = { postal_code: '75001', country: 'FR' };
const BOX = { weight_kg: 2, length_cm: 30, width_cm: 20, height_cm: 10 };

describe('happy paths', () => {
  test('GET /health, and HEAD without a body', async () => {
    const r = await call<{ status: string }>('GET', '/health');
    assert.equal(r.res.status, 200);
    assert.deepEqual(r.json, { status: 'ok' });
    const head = await fetch(client.base + '/health', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  test('POST /rates: international quotes exclude overnight and carry the surcharge', async () => {
    const r = await call<{ quotes: Quote[] }>('POST', '/rates?ignored=1', { from: BERLIN, to: PARIS, parcels: [BOX] });
    assert.equal(r.res.status, 200);
    assert.deepEqual(r.json, {
      quotes: [
        { service: 'ground', amount: 14.74, currency: 'EUR', estimated_days: 7 },
        { service: 'express', amount: 28.82, currency: 'EUR', estimated_days: 3 },
      ],
    });
  });

  test('POST /rates: domestic offers all three; a big light box bills by volume', async () => {
    const light = { weight_kg: 1, length_cm: 60, width_cm: 40, height_cm: 40 }; // 19.2 kg volumetric
    const r = await call<{ quotes: Quote[] }>('POST', '/rates', { from: BERLIN, to: MUNICH, parcels: [BOX, light] });
    assert.equal(r.res.status, 200);
    assert.deepEqual(r.json.quotes.map((q) => [q.service, q.estimated_days]), [['ground', 3], ['express', 2], ['overnight', 1]]);
    // ground: (4.90 + 4 × 0.45) + (4.90 + 39 × 0.45)
    assert.equal(r.json.quotes[0]?.amount, 29.15);
  });

  test('POST /labels, then GET the label, its PDF and its tracking', async () => {
    clock = START;
    const r = await call<Label>('POST', '/labels', { service: 'express', from: BERLIN, to: MUNICH, parcels: [BOX] });
    assert.equal(r.res.status, 201);
    const label = r.json;
    assert.match(label.label_id, /^lbl_\d{8}$/);
    assert.match(label.tracking_number, /^PC\d{10}$/);
    assert.notEqual(label.tracking_number, 'PC0000000001');
    assert.equal(label.service, 'express');
    assert.equal(label.amount, 13.1);
    assert.equal(label.currency, 'EUR');
    assert.equal(label.label_url, `/labels/${label.label_id}.pdf`);
    assert.equal(label.created_at, '2025-01-15T09:30:00.000Z');
    assert.equal(r.res.headers.get('location'), `/labels/${label.label_id}`);

    const got = await call<Label>('GET', `/labels/${label.label_id}`);
    assert.equal(got.res.status, 200);
    assert.deepEqual(got.json, label);

    const pdf = await fetch(client.base + label.label_url);
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    const text = Buffer.from(await pdf.arrayBuffer()).toString('latin1');
    assert.ok(text.startsWith('%PDF-1.4') && text.trimEnd().endsWith('%%EOF'));
    assert.ok(text.includes(label.tracking_number));

    const path = `/tracking/${label.tracking_number}`;
    const statuses = async () => (await call<Tracking>('GET', path)).json;
    let t = await statuses();
    assert.equal(t.status, 'label_created');
    assert.deepEqual(t.events, [{ at: '2025-01-15T09:30:00.000Z', status: 'label_created', location: '10115, DE' }]);
    clock = START + 30_000;
    t = await statuses();
    assert.equal(t.status, 'in_transit');
    assert.deepEqual(t.events[1], { at: '2025-01-15T09:30:30.000Z', status: 'in_transit', location: 'Sorting hub, DE' });
    clock = START + 60_000;
    assert.equal((await statuses()).status, 'out_for_delivery');
    clock = START + 3_600_000; // stays delivered
    t = await statuses();
    assert.equal(t.status, 'delivered');
    assert.deepEqual(t.events.map((e) => e.status), ['label_created', 'in_transit', 'out_for_delivery', 'delivered']);
    assert.equal(t.events[3]?.location, '80331, DE');
    clock = START;
  });

  test('GET /tracking/PC0000000001 always exists and keeps moving', async () => {
    const seen: string[] = [];
    for (let s = 0; s < 5; s++) {
      clock = START + s * 30_000;
      const r = await call<Tracking>('GET', '/tracking/PC0000000001');
      assert.equal(r.res.status, 200);
      seen.push(r.json.status);
    }
    // Delivered after three steps, then a new journey starts.
    assert.deepEqual(seen, ['label_created', 'in_transit', 'out_for_delivery', 'delivered', 'label_created']);
    clock = START;
  });
});

describe('errors', () => {
  test('bad JSON, empty body and invalid UTF-8 are 400', async () => {
    assertProblem(await call('POST', '/rates', '{"from": '), 400, 'malformed-json');
    assertProblem(await call('POST', '/labels', ''), 400, 'malformed-json');
    assertProblem(await call('POST', '/rates', new Uint8Array([0x7b, 0xff, 0x7d])), 400, 'malformed-json');
  });

  test('422 lists every invalid field by JSON pointer', async () => {
    const r = await call('POST', '/labels', {
      service: 'teleport',
      from: { postal_code: '10115' },
      to: 'Paris',
      parcels: [BOX, { weight_kg: 0, length_cm: 'x', width_cm: 10, height_cm: null }, null],
    });
    assertProblem(r, 422, 'validation');
    assert.equal(r.res.status, 422);
    assert.deepEqual(must(r.json.errors, 'errors').map((e) => e.pointer), [
      '/from/country',
      '/to',
      '/parcels/1/weight_kg',
      '/parcels/1/length_cm',
      '/parcels/1/height_cm',
      '/parcels/2',
      '/service',
    ]);
    for (const e of must(r.json.errors, 'errors')) assert.equal(typeof e.message, 'string');
  });

  test('422 for the wrong root type, parcel counts, and services a route does not offer', async () => {
    const pointers = async (path: string, body: unknown) => {
      const r = await call('POST', path, body);
      assertProblem(r, 422, 'validation');
      return must(r.json.errors, 'errors').map((e) => e.pointer);
    };
    assert.deepEqual(await pointers('/rates', [1, 2]), ['']);
    assert.deepEqual(await pointers('/rates', null), ['']);
    // JSON.parse reads 1e400 as Infinity, which is not a weight.
    const huge = `{"from":${JSON.stringify(BERLIN)},"to":${JSON.stringify(PARIS)},"parcels":[{"weight_kg":1e400,"length_cm":1,"width_cm":1,"height_cm":1}]}`;
    assert.deepEqual(await pointers('/rates', huge), ['/parcels/0/weight_kg']);
    assert.deepEqual(await pointers('/rates', {}), ['/from', '/to', '/parcels']);
    assert.deepEqual(await pointers('/rates', { from: BERLIN, to: PARIS, parcels: [] }), ['/parcels']);
    assert.deepEqual(await pointers('/rates', { from: BERLIN, to: PARIS, parcels: Array.from({ length: 21 }, () => BOX) }), ['/parcels']);
    assert.deepEqual(await pointers('/labels', { service: 'overnight', from: BERLIN, to: PARIS, parcels: [BOX] }), ['/service']);
  });

  test('unknown paths, labels and tracking numbers are 404', async () => {
    assertProblem(await call('GET', '/nope'), 404, 'not-found');
    assertProblem(await call('GET', '/health/'), 404, 'not-found');
    assertProblem(await call('GET', '/labels/lbl_99999999'), 404, 'not-found');
    assertProblem(await call('GET', '/labels/lbl_99999999.pdf'), 404, 'not-found');
    assertProblem(await call('GET', '/tracking/PC9999999999'), 404, 'not-found');
    const r = await call('GET', '/tracking/%ZZ');
    assertProblem(r, 404, 'not-found');
    assert.equal(r.json.instance, '/tracking/%ZZ');
  });

  test('a wrong method is 405 with Allow', async () => {
    let r = await call('GET', '/rates');
    assertProblem(r, 405, 'method-not-allowed');
    assert.equal(r.res.headers.get('allow'), 'POST');
    r = await call('DELETE', '/labels/lbl_00000002');
    assertProblem(r, 405, 'method-not-allowed');
    assert.equal(r.res.headers.get('allow'), 'GET, HEAD');
  });

  test('bodies over 1 MiB are 413, declared or streamed; exactly 1 MiB is read', async () => {
    const MiB = 1024 * 1024;
    const declared = await rawPost('/rates', [Buffer.alloc(MiB + 1, 0x20)], { 'content-length': String(MiB + 1) });
    assert.equal(declared.status, 413);
    assert.equal(declared.body.type, 'https://carrier.example/problems/payload-too-large');
    assert.equal(declared.headers.connection, 'close');
    // Chunked: no length up front, so the cap must hold while reading.
    const streamed = await rawPost('/labels', Array.from({ length: 3 }, () => Buffer.alloc(MiB / 2, 0x20)));
    assert.equal(streamed.status, 413);
    const exact = Buffer.alloc(MiB, 0x20);
    exact.write('{}');
    assert.equal((await rawPost('/rates', [exact])).status, 422);
  });

  test('hostile or odd bodies never crash the server', async () => {
    const bodies = [
      'null', 'true', '"x"', '42', '[]', '{"__proto__":{"from":1}}', '{"constructor":{}}',
      '['.repeat(100_000) + ']'.repeat(100_000),
      JSON.stringify({ from: { postal_code: 'a'.repeat(10_000), country: 'DEU' }, to: BERLIN, parcels: [{ weight_kg: -1, length_cm: null, width_cm: [], height_cm: {} }] }),
      JSON.stringify({ from: BERLIN, to: BERLIN, parcels: { 0: BOX, length: 1 } }),
    ];
    for (const body of bodies) {
      for (const path of ['/rates', '/labels']) {
        const r = await call('POST', path, body);
        assert.ok(r.res.status === 400 || r.res.status === 422, `${path} ${body.slice(0, 40)} → ${r.res.status}`);
        assert.equal(r.res.headers.get('content-type'), 'application/problem+json');
      }
    }
    assert.equal((await call('GET', '/health')).res.status, 200);
  });
});

describe('openapi.json', () => {
  const getDoc = async () => (await call<OpenApiDoc>('GET', '/openapi.json')).json;
  /** Each path's operations, without the path-level `parameters`. */
  const operations = (item: Record<string, Operation>) => Object.entries(item).filter(([key]) => key !== 'parameters');

  test('is the OpenAPI 3.1 document and lists exactly the served paths and methods', async () => {
    const r = await call<OpenApiDoc>('GET', '/openapi.json');
    assert.equal(r.res.status, 200);
    const doc = r.json;
    assert.match(doc.openapi, /^3\.1\.\d+$/);
    assert.equal(doc.servers[0]?.url, 'http://localhost:8080/carrier');
    const documented = Object.entries(doc.paths).map(([path, item]) => ({
      path,
      methods: operations(item).map(([method]) => method.toUpperCase()).sort(),
    }));
    const served = CARRIER_ROUTES.map((route) => ({ path: route.path, methods: [...route.methods].sort() }));
    const byPath = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path);
    assert.deepEqual(documented.sort(byPath), served.sort(byPath));
  });

  test('every $ref resolves, nothing is null, every operation has an id and responses', async () => {
    const doc = await getDoc();
    const resolve = (ref: string): unknown =>
      ref
        .slice(2)
        .split('/')
        .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined), doc);
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref') assert.notEqual(resolve(String(value)), undefined, `unresolved ${String(value)}`);
          // A null is almost always a YAML slip: an unquoted comma in a flow map makes a new key.
          assert.notEqual(value, null, `null value at key ${key}`);
          walk(value);
        }
      }
    };
    walk(doc);
    for (const item of Object.values(doc.paths)) {
      for (const [, op] of operations(item)) {
        assert.equal(typeof op.operationId, 'string');
        assert.ok(Object.keys(op.responses).length > 0);
      }
    }
  });

  test('its request examples are accepted and the rates example answer is exact', async () => {
    const doc = await getDoc();
    const rates = must(doc.paths['/rates']?.post, 'POST /rates');
    const quoted = await call<unknown>('POST', '/rates', example(rates.requestBody, 'international'));
    assert.deepEqual(quoted.json, example(rates.responses['200'], 'international'));
    const labels = must(doc.paths['/labels']?.post, 'POST /labels');
    const created = await call<Label>('POST', '/labels', example(labels.requestBody, 'domestic'));
    assert.equal(created.res.status, 201);
    assert.equal(created.json.amount, must(doc.components.examples.Label, 'Label example').value.amount);
  });
});

describe('run directly', () => {
  const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));

  test('prints its URL, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [SERVER, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const m = /^carrier listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
    assert.ok(m?.[1], line);
    assert.equal((await fetch(m[1] + '/health')).status, 200);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });

  test('rejects an invalid PORT', async () => {
    const child = spawn(process.execPath, [SERVER], { stdio: 'ignore', env: { ...process.env, PORT: 'eighty' } });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
  });
});
