// OpenAPI import end to end: each spec version into a real store, the compiled router sending a
// request per operation to the right route, re-import, errors, URL sources, dry run, the stored
// spec, and (for stripPrefix) what the upstream receives through the real gateway.
//   npx node --test src/admin/import/openapi.test.ts
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startGateway } from '../../../test/harness/gateway.ts';
import { BUNDLED_CATALOG } from '../../plugins/index.ts';
import { openStore } from '../../store/open.ts';
import { ConfigService } from '../config-service.ts';
import { importOpenApi, OpenApiImportError, parseSpec, planImport, type ImportOptions } from './openapi.ts';
import { ephemeralMasterKey } from '../../core/identity/sealed.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const CARRIER_EXAMPLE = fileURLToPath(new URL('../../../examples/carrier/openapi.yaml', import.meta.url));
const actor = { name: 'import-test' };

async function freshConfig(t: TestContext): Promise<ConfigService> {
  const store = await openStore('sqlite::memory:');
  t.after(() => store.close());
  return new ConfigService(store, BUNDLED_CATALOG, ephemeralMasterKey());
}

/** Loads (compiles) the store's config and asks its router who takes each request. */
async function assertRoutes(config: ConfigService, expected: readonly (readonly [string, string, string | undefined])[]): Promise<void> {
  const { snapshot } = await config.load();
  const actual = expected.map(([method, path]) => [method, path, snapshot.router.match(method, 'gateway.test', path, () => undefined)?.value.name] as const);
  assert.deepEqual(actual, expected);
}

async function rejectsWith(promise: Promise<unknown> | (() => unknown), check: (problems: readonly string[]) => void): Promise<readonly string[]> {
  let problems: readonly string[] | undefined;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    assert.ok(err instanceof OpenApiImportError, `expected OpenApiImportError, got ${String(err)}`);
    problems = err.problems;
  }
  assert.ok(problems, 'expected an OpenApiImportError');
  for (const p of problems) assert.doesNotMatch(p, /\n|\s+at\s+\S+\s+\(/, 'one line per problem, no stack traces');
  check(problems);
  return problems;
}

const includesMatch = (problems: readonly string[], pattern: RegExp) => assert.ok(problems.some((p) => pattern.test(p)), `no problem matches ${pattern}:\n${problems.join('\n')}`);

describe('each OpenAPI version imports and routes', () => {
  test('Swagger 2.0: base path to the service, exact paths, a parameter inside a segment', async (t) => {
    const config = await freshConfig(t);
    const result = await importOpenApi(config, fixture('swagger-2.0.yaml'), { actor });
    assert.equal(result.service, 'parcel-express-api');
    assert.equal(result.format, 'openapi-2.0');
    assert.equal(result.applied, true);
    assert.deepEqual(result.warnings, ['paths.x-generated-by: extension skipped']);
    const { config: loaded } = await config.load();
    const svc = loaded.services.find((s) => s.name === 'parcel-express-api')!;
    assert.deepEqual(svc.targets.map((x) => x.url), ['https://api.parcelexpress.example']);
    assert.equal(svc.path, '/v2');
    assert.deepEqual(svc.tags, ['openapi']);
    const p = 'parcel-express-api.';
    await assertRoutes(config, [
      ['POST', '/rates', `${p}get-rates`],
      ['GET', '/labels', `${p}list-labels`],
      ['POST', '/labels', `${p}create-label`],
      ['GET', '/labels/lbl_1', `${p}get-label`],
      ['DELETE', '/labels/lbl_1', `${p}void-label`],
      ['GET', '/labels/lbl_1.pdf', `${p}get-labels-label-id.pdf`], // no operationId: method + path
      ['GET', '/tracking/PX0000000001', `${p}track-shipment`],
      ['GET', '/labels/', undefined], // exact: "/labels" does not swallow what follows
      ['GET', '/labels/lbl_1/extra', undefined],
      ['PUT', '/labels/lbl_1', undefined],
    ]);
    const route = loaded.routes.find((r) => r.name === `${p}get-label`)!;
    assert.deepEqual(route.tags, ['shipping-labels', 'openapi']);
    assert.deepEqual(route.methods, ['GET']);
  });

  test('OpenAPI 3.0 (JSON): server variables, literal beside template, renamed parameter, circular schema', async (t) => {
    const config = await freshConfig(t);
    const result = await importOpenApi(config, fixture('openapi-3.0.json'), { actor, tags: ['team:freight', 'openapi'] });
    assert.equal(result.format, 'openapi-3.0');
    includesMatch(result.warnings, /^servers\[0\]: used as the upstream \(https:\/\/eu\.api\.northwind\.example\/freight\/v1\); the spec lists 2 servers/);
    includesMatch(result.warnings, /^paths\.\/shipments\/\{shipmentId\}\/events\.get\.servers: ignored/);
    const { config: loaded, snapshot } = await config.load();
    const svc = loaded.services.find((s) => s.name === 'northwind-freight')!;
    assert.deepEqual([svc.targets[0]!.url, svc.path, svc.tags], ['https://eu.api.northwind.example', '/freight/v1', ['openapi', 'team:freight']]);
    const p = 'northwind-freight.';
    await assertRoutes(config, [
      ['POST', '/quotes', `${p}create-quote`],
      ['GET', '/shipments', `${p}list-shipments`],
      ['POST', '/shipments', `${p}create-shipment`],
      ['POST', '/shipments/batch', `${p}create-shipment-batch`],
      ['GET', '/shipments/shp_000000000001', `${p}get-shipment`],
      ['PATCH', '/shipments/shp_000000000001', `${p}update-shipment`],
      ['DELETE', '/shipments/shp_000000000001', `${p}cancel-shipment`],
      ['GET', '/shipments/shp_000000000001/events', `${p}list-shipment-events`],
      ['GET', '/pickups/pk_7', `${p}get-pickup`],
    ]);
    // {pickup-id} is not a valid route parameter name: it is renamed, and still captured.
    assert.deepEqual(snapshot.router.match('GET', 'gateway.test', '/pickups/pk_7', () => undefined)?.params, { pickup_id: 'pk_7' });
    assert.deepEqual(loaded.routes.find((r) => r.name === `${p}create-quote`)!.tags, ['quotes', 'openapi', 'team:freight']);
  });

  test('OpenAPI 3.1: root path, two parameters in one segment, a components.pathItems $ref, webhooks skipped', async (t) => {
    const config = await freshConfig(t);
    const result = await importOpenApi(config, fixture('openapi-3.1.yaml'), { actor });
    assert.equal(result.format, 'openapi-3.1');
    assert.deepEqual(result.warnings, ['webhooks: 1 skipped; they are calls the API makes, not requests to route']);
    const { snapshot } = await config.load();
    const p = 'carrier-hub.';
    await assertRoutes(config, [
      ['GET', '/', `${p}get-api-root`],
      ['GET', '/labels', `${p}list-labels`],
      ['POST', '/labels', `${p}create-label`],
      ['GET', '/labels/lbl_00000002', `${p}get-label`],
      // /labels/{labelId} must not take what /labels/{labelId}.{format} describes.
      ['GET', '/labels/lbl_00000002.pdf', `${p}download-label`],
      ['GET', '/tracking/1Z999/events', `${p}list-tracking-events`],
      ['GET', '/tracking/1Z999', undefined],
    ]);
    assert.deepEqual(snapshot.router.match('GET', 'h', '/labels/lbl_2.zpl', () => undefined)?.params, { labelId: 'lbl_2', format: 'zpl' });
    assert.deepEqual(snapshot.router.match('GET', 'h', '/labels/lbl_2', () => undefined)?.params, { labelId: 'lbl_2' });
  });

  test('the carrier example (examples/carrier/openapi.yaml) imports cleanly', async (t) => {
    const config = await freshConfig(t);
    const result = await importOpenApi(config, CARRIER_EXAMPLE, { actor, serviceName: 'carrier', upstream: 'http://127.0.0.1:9001' });
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(result.routes, ['carrier.quote-rates', 'carrier.create-label', 'carrier.get-label', 'carrier.get-label-pdf', 'carrier.get-tracking', 'carrier.receive-ship-notices', 'carrier.get-ship-notice', 'carrier.get-health', 'carrier.get-open-api']);
    await assertRoutes(config, [
      ['POST', '/rates', 'carrier.quote-rates'],
      ['POST', '/labels', 'carrier.create-label'],
      ['GET', '/labels/lbl_00000002', 'carrier.get-label'],
      ['GET', '/labels/lbl_00000002.pdf', 'carrier.get-label-pdf'],
      ['GET', '/tracking/PC0000000001', 'carrier.get-tracking'],
      ['POST', '/asn', 'carrier.receive-ship-notices'],
      ['GET', '/asn/asn_00000001', 'carrier.get-ship-notice'],
      ['GET', '/health', 'carrier.get-health'],
      ['GET', '/openapi.json', 'carrier.get-open-api'],
    ]);
    // Without --upstream, servers[0] is used, and the warning says there was a choice.
    const plan = planImport(await parseSpec(CARRIER_EXAMPLE));
    assert.deepEqual(plan.service.targets, [{ url: 'http://localhost:8080' }]);
    assert.equal(plan.service.path, '/carrier');
    includesMatch(plan.warnings, /^servers\[0\]: used as the upstream .* 2 servers, give --upstream/);
  });
});

describe('planning options', () => {
  test('per path: one route per path with all its methods', async (t) => {
    const config = await freshConfig(t);
    const result = await importOpenApi(config, fixture('openapi-3.0.json'), { actor, routesBy: 'path' });
    const p = 'northwind-freight.';
    assert.deepEqual(result.routes, ['quotes', 'shipments', 'shipments-batch', 'shipments-shipment-id', 'shipments-shipment-id-events', 'pickups-pickup-id'].map((n) => p + n));
    const { config: loaded } = await config.load();
    assert.deepEqual(loaded.routes.find((r) => r.name === `${p}shipments-shipment-id`)!.methods, ['GET', 'DELETE', 'PATCH']);
    await assertRoutes(config, [
      ['GET', '/shipments', `${p}shipments`],
      ['POST', '/shipments', `${p}shipments`],
      ['POST', '/shipments/batch', `${p}shipments-batch`],
      ['PATCH', '/shipments/shp_1', `${p}shipments-shipment-id`],
      ['GET', '/shipments/shp_1/events', `${p}shipments-shipment-id-events`],
      ['PUT', '/shipments/shp_1', undefined],
    ]);
  });

  test('a path prefix goes in front of every route path; stripPrefix sends the spec path upstream', async () => {
    const spec = await parseSpec(fixture('openapi-3.1.yaml'));
    const kept = planImport(spec, { pathPrefix: '/hub/' });
    assert.deepEqual(kept.routes.map((r) => r.paths), [
      ['=/hub', '=/hub/'],
      ['=/hub/labels'],
      ['=/hub/labels'],
      ['~/hub/labels/(?![^/]+\\.[^/]+$)(?<labelId>[^/]+)$'],
      ['~/hub/labels/(?<labelId>[^/]+)\\.(?<format>[^/]+)$'],
      ['/hub/tracking/{trackingNumber}/events'],
    ]);
    assert.ok(kept.routes.every((r) => r.plugins === undefined));
    const stripped = planImport(spec, { pathPrefix: '/hub', stripPrefix: true });
    assert.deepEqual(stripped.routes.map((r) => r.plugins?.[0]?.config), [
      { replace: { uri: '/api/' } },
      { replace: { uri: '/api/labels' } },
      { replace: { uri: '/api/labels' } },
      { replace: { uri: '/api/labels/{labelId}' } },
      { replace: { uri: '/api/labels/{labelId}.{format}' } },
      { replace: { uri: '/api/tracking/{trackingNumber}/events' } },
    ]);
    includesMatch(planImport(spec, { stripPrefix: true }).warnings, /^stripPrefix: there is no pathPrefix to strip$/);
  });

  test('through the gateway: what the upstream receives with and without stripPrefix', async (t) => {
    const upstream = await listen(t, (req, res) => res.end(JSON.stringify({ method: req.method, path: req.url })));
    const through = async (opts: Partial<ImportOptions>, requests: readonly (readonly [string, string])[]) => {
      const config = await freshConfig(t);
      await importOpenApi(config, fixture('openapi-3.1.yaml'), { actor, upstream: `${upstream}/api`, pathPrefix: '/hub', ...opts });
      const gw = await startGateway((await config.export()).document as unknown as Record<string, unknown>);
      try {
        const seen: string[] = [];
        for (const [method, path] of requests) {
          const res = await fetch(`${gw.url}${path}`, { method });
          const body = await res.text();
          seen.push(res.status === 200 ? (JSON.parse(body) as { path: string }).path : `HTTP ${res.status}`);
        }
        return seen;
      } finally {
        await gw.close();
      }
    };
    const requests = [['GET', '/hub'], ['GET', '/hub/labels?limit=5'], ['GET', '/hub/labels/lbl_2'], ['GET', '/hub/labels/lbl_2.pdf'], ['GET', '/labels']] as const;
    assert.deepEqual(await through({ stripPrefix: true }, requests), ['/api/', '/api/labels?limit=5', '/api/labels/lbl_2', '/api/labels/lbl_2.pdf', 'HTTP 404']);
    assert.deepEqual(await through({}, requests), ['/api/hub', '/api/hub/labels?limit=5', '/api/hub/labels/lbl_2', '/api/hub/labels/lbl_2.pdf', 'HTTP 404']);
  });

  test('names are unique, valid and at most 128 characters; tags are slugged', () => {
    const long = 'x'.repeat(140);
    const document = {
      openapi: '3.0.3', info: { title: 'Ünïcode Tïtle!', version: '1' }, servers: [{ url: 'http://10.0.0.5:8080' }],
      paths: {
        '/a': { get: { operationId: 'getThing', tags: ['Shipping Labels', '---', 'A/B:c=d'], responses: {} } },
        '/b': { get: { operationId: 'get_thing', responses: {} } },
        '/c': { get: { operationId: long, responses: {} } },
        '/d': { get: { operationId: long, responses: {} } },
        '/caf\u00e9/{x-id}/': { get: { responses: {} } },
        '/semi;colon': { get: { responses: {} } },
      },
    };
    const plan = planImport({ format: 'openapi-3.0', title: document.info.title, document });
    assert.equal(plan.service.name, 'unicode-title');
    const names = plan.routes.map((r) => r.name);
    assert.deepEqual(names.slice(0, 2), ['unicode-title.get-thing', 'unicode-title.get-thing-2']);
    assert.equal(names[2]!.length, 128);
    assert.equal(names[3]!.length, 128);
    assert.ok(names[3]!.endsWith('-2'));
    assert.equal(new Set(names).size, names.length);
    for (const n of names) assert.match(n, /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
    assert.deepEqual(plan.routes[0]!.tags, ['shipping-labels', 'a/b:c=d', 'openapi']);
    // Non-ASCII is percent-encoded the way clients send it; a trailing slash is kept.
    assert.deepEqual(plan.routes[4]!.paths, ['/caf%C3%A9/{x_id}/']);
    assert.equal(plan.routes.length, 5);
    includesMatch(plan.warnings, /^paths\.\/semi;colon: skipped, the path segment "semi;colon" cannot be matched/);
  });

  test('bad options are refused, all at once', async () => {
    const spec = await parseSpec(fixture('openapi-3.1.yaml'));
    await rejectsWith(() => planImport(spec, { serviceName: '-bad name', tags: ['ok', 'not ok'], pathPrefix: '/a/{b}' }), (problems) => {
      assert.equal(problems.length, 3);
      includesMatch(problems, /^--service-name: "-bad name" is not a valid name/);
      includesMatch(problems, /^--tag: "not ok" is not a valid tag/);
      includesMatch(problems, /^--path-prefix: "\/a\/\{b\}" must be a plain path/);
    });
    await rejectsWith(() => planImport(spec, { upstream: 'ftp://files.example/x' }), (problems) => includesMatch(problems, /^--upstream: "ftp:\/\/files.example\/x" is not an http\(s\) URL$/));
  });
});

describe('re-import', () => {
  test('the same spec again changes nothing, keeps unrelated routes and operator tuning, stores the spec once', async (t) => {
    const config = await freshConfig(t);
    const first = await importOpenApi(config, fixture('openapi-3.0.json'), { actor });
    assert.ok(first.changes.length > 0);
    assert.ok(first.spec_id);
    // Hand-made config next to the import: another service and route, a route on the imported
    // service, and a tuned timeout on it.
    await config.apply({
      services: [{ name: 'billing', targets: [{ url: 'http://10.0.0.9:8000' }] }],
      routes: [{ name: 'billing-api', service: 'billing', paths: ['/billing'] }],
    }, { dryRun: false, actor, merge: true });
    await config.create('route', { name: 'freight-legacy', service: 'northwind-freight', paths: ['/legacy'] }, actor);
    const svc = await config.store.read().getByKey('service', 'northwind-freight');
    await config.update('service', svc!.id, { read_timeout_ms: 5000 }, undefined, actor, true);
    const revision = (await config.load()).revision;

    const second = await importOpenApi(config, fixture('openapi-3.0.json'), { actor });
    assert.deepEqual(second.changes, []);
    assert.equal(second.applied, false);
    assert.equal(second.spec_id, first.spec_id);
    const { config: loaded, revision: after } = await config.load();
    assert.equal(after, revision);
    assert.ok(loaded.routes.some((r) => r.name === 'billing-api'));
    assert.ok(loaded.routes.some((r) => r.name === 'freight-legacy'));
    assert.equal(loaded.services.find((s) => s.name === 'northwind-freight')!.read_timeout_ms, 5000);
    assert.equal((await config.store.read().listSpecs('northwind-freight')).length, 1);
  });

  test('a changed spec updates by name; routes it no longer has are kept, with a warning', async (t) => {
    const config = await freshConfig(t);
    await importOpenApi(config, fixture('openapi-3.0.json'), { actor });
    const text = (await readFile(fixture('openapi-3.0.json'), 'utf8')).replace('"version": "1.3.0"', '"version": "1.4.0"').replace('"/quotes"', '"/quotations"');
    const result = await importOpenApi(config, { text }, { actor });
    assert.deepEqual(result.changes.map((c) => `${c.action} ${c.kind} ${c.key}`), ['update route northwind-freight.create-quote']);
    await assertRoutes(config, [['POST', '/quotations', 'northwind-freight.create-quote'], ['POST', '/quotes', undefined]]);
    assert.equal((await config.store.read().listSpecs('northwind-freight')).length, 2);
    // Per-path routes have other names: the per-operation ones stay and are pointed out.
    const perPath = await importOpenApi(config, { text }, { actor, routesBy: 'path' });
    includesMatch(perPath.warnings, /^route "northwind-freight.create-quote" \(from an earlier import\) is not in this spec; it was kept/);
  });

  test('dropping stripPrefix on re-import points out the rewrites that stay', async (t) => {
    const config = await freshConfig(t);
    await importOpenApi(config, fixture('openapi-3.1.yaml'), { actor, pathPrefix: '/hub', stripPrefix: true });
    const again = await importOpenApi(config, fixture('openapi-3.1.yaml'), { actor, pathPrefix: '/hub' });
    assert.deepEqual(again.changes, []);
    assert.equal(again.warnings.filter((w) => w.includes('keeps its request-transformer replace.uri')).length, again.routes.length);
  });

  test('a route name taken by another service is not overwritten', async (t) => {
    const config = await freshConfig(t);
    await config.apply({
      services: [{ name: 'other', targets: [{ url: 'http://10.0.0.9:8000' }] }],
      routes: [{ name: 'northwind-freight.get-pickup', service: 'other', paths: ['/x'] }],
    }, { dryRun: false, actor, merge: true });
    await rejectsWith(importOpenApi(config, fixture('openapi-3.0.json'), { actor }), (problems) => {
      assert.deepEqual(problems, ['route "northwind-freight.get-pickup" already exists for service "other"; import under another service name']);
    });
  });
});

describe('bad specs', () => {
  test('a broken spec: every problem, one line each, with its place', async () => {
    await rejectsWith(parseSpec(fixture('broken.yaml')), (problems) => {
      assert.ok(problems.length >= 2);
      assert.deepEqual([...problems].sort(), [
        'info.version: is required',
        'paths./labels.post.responses: is required',
        'paths./labels/{id}.get.parameters[0].required: is required',
        'paths./labels/{id}.get.parameters[0]: needs one of "schema" or "content"',
        'paths./labels/{id}.get.responses.200.content.application/json.schema: $ref "#/components/schemas/Label" points to nothing ("Label" does not exist)',
        'paths.tracking: is not a valid path (paths start with "/")',
      ]);
    });
  });

  test('Swagger 2.0 mistakes: numbers for versions, a wrong parameter, a semantic check', async () => {
    const text = `swagger: 2.0
info: { title: x, version: 1 }
paths:
  /a/{id}:
    get:
      parameters:
        - { name: id, in: path, type: strin }
      responses: { '200': { description: ok } }
  /b:
    get:
      parameters:
        - { name: q, in: querystring, type: string }
      responses: { '200': { description: ok } }
`;
    await rejectsWith(parseSpec({ text }), (problems) => assert.deepEqual(problems, [
      'swagger: must be the string "2.0" (quote it: in YAML a bare 2.0 is a number)',
      'info.version: must be a string such as "1.0" (quote it: in YAML a bare 1 is a number)',
      'paths./a/{id}.get.parameters[0].type: must be one of "string", "number", "boolean", "integer", "array", "file"',
      'paths./a/{id}.get.parameters[0].required: is required',
      'paths./b.get.parameters[0].in: must be one of "body", "header", "formData", "query", "path"',
    ]));
    const undeclared = `swagger: '2.0'\ninfo: { title: x, version: '1' }\npaths:\n  /a/{id}:\n    get:\n      responses: { '200': { description: ok } }\n`;
    await rejectsWith(parseSpec({ text: undeclared }), (problems) => assert.deepEqual(problems, ['paths./a/{id}.get: is missing path parameter(s) for {id}']));
  });

  test('unsupported or missing versions', async () => {
    const cases: [string, RegExp][] = [
      ['openapi: 3.2.0\ninfo: {title: x, version: "1"}\npaths: {}', /^openapi: version "3.2.0" is not supported \(supported: Swagger 2.0, OpenAPI 3.0.x and 3.1.x\)$/],
      ['openapi: 3.0\ninfo: {title: x, version: "1"}\npaths: {}', /^openapi: must be a string such as "3.0.3"/],
      ['swagger: "1.2"\ninfo: {title: x}', /^swagger: version "1.2" is not supported/],
      ['swaggerVersion: "1.2"\napis: []', /^swaggerVersion: Swagger 1.2 is not supported/],
      ['info: {title: x, version: "1"}\npaths: {}', /^\(document\): has neither "openapi" nor "swagger"/],
      ['- just\n- a list', /^\(document\): must be a YAML or JSON object/],
      ['openapi: 3.1.0\ninfo: {title: x, version: "1"}\ncomponents: {}', /^paths: is missing, so there is nothing to import/],
    ];
    for (const [text, pattern] of cases) await rejectsWith(parseSpec({ text }), (problems) => includesMatch(problems, pattern));
    // A later patch release of a supported minor version is fine.
    const later = await parseSpec({ text: 'openapi: 3.1.7\ninfo: {title: x, version: "1"}\npaths: {}' });
    assert.equal(later.format, 'openapi-3.1');
    includesMatch(later.warnings, /^openapi: 3\.1\.7 is newer than the validator knows; checked as 3\.1\.2$/);
  });

  test('YAML errors are listed with line and column; the alias bomb is refused quickly', async () => {
    await rejectsWith(parseSpec({ text: 'openapi: 3.0.3\ninfo:\n  title: a\n  title: b\npaths: [\n' }), (problems) => assert.deepEqual(problems, [
      'line 4, column 3: Map keys must be unique',
      'line 6, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]));
    const started = performance.now();
    await rejectsWith(parseSpec(fixture('alias-bomb.yaml')), (problems) => assert.deepEqual(problems, ['the YAML expands more than 100 aliases (*name references); refused as a possible alias bomb']));
    assert.ok(performance.now() - started < 2000);
  });

  test('external $refs are not followed (no file read, no fetch), and say so', async () => {
    const text = 'openapi: 3.0.3\ninfo: {title: x, version: "1"}\nservers: [{url: "http://10.0.0.5"}]\npaths:\n  /a: { $ref: "./secret.yaml#/a" }\n  /b:\n    get:\n      responses:\n        "200": { $ref: "http://169.254.169.254/latest" }\n';
    const spec = await parseSpec({ text });
    assert.deepEqual(spec.warnings, ['2 external $refs not followed (only references inside the document are), e.g. paths./a → ./secret.yaml#/a']);
    const plan = planImport(spec);
    includesMatch(plan.warnings, /^paths\.\/a: \$ref "\.\/secret\.yaml#\/a" not followed/);
    assert.deepEqual(plan.routes.map((r) => r.name), ['x.get-b']);
  });

  test('no usable server and no --upstream', async () => {
    const spec = await parseSpec({ text: 'openapi: 3.0.3\ninfo: {title: x, version: "1"}\nservers: [{url: /api}]\npaths: {}' });
    await rejectsWith(() => planImport(spec), (problems) => assert.deepEqual(problems, [
      'the spec names no usable absolute server URL (servers[0]: "/api" is relative, and the spec was not fetched from a URL it could be relative to): give the upstream with --upstream',
    ]));
    const swagger = await parseSpec({ text: 'swagger: "2.0"\ninfo: {title: x, version: "1"}\nbasePath: /v1\npaths: {}' });
    await rejectsWith(() => planImport(swagger), (problems) => includesMatch(problems, /host: missing.*give the upstream with --upstream$/));
    assert.deepEqual(planImport(spec, { upstream: 'http://10.0.0.5:8080/base/' }).service, { name: 'x', targets: [{ url: 'http://10.0.0.5:8080' }], path: '/base', tags: ['openapi'] });
  });

  test('unreadable files', async () => {
    await rejectsWith(parseSpec('/nonexistent/spec.yaml'), (problems) => assert.deepEqual(problems, ['/nonexistent/spec.yaml: cannot read it (no such file)']));
    await rejectsWith(parseSpec(fileURLToPath(new URL('./fixtures/', import.meta.url))), (problems) => includesMatch(problems, /: not a file$/));
    await rejectsWith(parseSpec(fixture('openapi-3.1.yaml'), { maxBytes: 1024 }), (problems) => includesMatch(problems, /openapi-3\.1\.yaml: larger than the 1 KiB limit for a spec$/));
  });
});

describe('import from a URL', () => {
  test('served over HTTP; a relative server URL resolves against it; redirects are checked', async (t) => {
    const relative = (await readFile(fixture('openapi-3.1.yaml'), 'utf8')).replace('https://hub.carrier.example/api', '/api/v3');
    const base = await listen(t, (req, res) => {
      if (req.url === '/specs/hub.yaml') return void res.end(relative);
      if (req.url === '/moved') return void res.writeHead(302, { location: '/specs/hub.yaml' }).end();
      if (req.url === '/to-file') return void res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      if (req.url === '/loop') return void res.writeHead(307, { location: '/loop' }).end();
      if (req.url === '/big') return void res.end('x'.repeat(4096));
      if (req.url === '/slow') return; // never answers
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
    });
    const config = await freshConfig(t);
    const result = await importOpenApi(config, `${base}/moved`, { actor });
    assert.equal(result.service, 'carrier-hub');
    const { config: loaded } = await config.load();
    const svc = loaded.services.find((s) => s.name === 'carrier-hub')!;
    assert.deepEqual([svc.targets[0]!.url, svc.path], [base, '/api/v3']);
    const stored = await config.store.read().getSpec(result.spec_id!);
    assert.equal(stored?.content, relative);

    await rejectsWith(parseSpec(`${base}/missing.yaml`), (problems) => assert.deepEqual(problems, [`${base}/missing.yaml: HTTP 404 Not Found`]));
    await rejectsWith(parseSpec(`${base}/to-file`), (problems) => assert.deepEqual(problems, [`${base}/to-file: redirects to "file:///etc/passwd", which is not an http(s) URL`]));
    await rejectsWith(parseSpec(`${base}/loop`), (problems) => assert.deepEqual(problems, [`${base}/loop: more than 5 redirects`]));
    await rejectsWith(parseSpec(`${base}/big`, { maxBytes: 1024 }), (problems) => assert.deepEqual(problems, [`${base}/big: larger than the 1 KiB limit for a spec`]));
    await rejectsWith(parseSpec(`${base}/slow`, { timeoutMs: 200 }), (problems) => assert.deepEqual(problems, [`${base}/slow: no complete answer within 0.2 s`]));
    await rejectsWith(parseSpec('ftp://example.com/spec.yaml'), (problems) => assert.deepEqual(problems, ['ftp://example.com/spec.yaml: only http:// and https:// URLs can be imported']));
    const closed = await closedPort();
    await rejectsWith(parseSpec(`http://127.0.0.1:${closed}/spec.yaml`), (problems) => assert.deepEqual(problems, [`http://127.0.0.1:${closed}/spec.yaml: connection refused`]));
  });
});

describe('dry run and the stored spec', () => {
  test('a dry run reports the changes and writes nothing', async (t) => {
    const config = await freshConfig(t);
    const before = (await config.load()).revision;
    const result = await importOpenApi(config, fixture('swagger-2.0.yaml'), { actor, dryRun: true });
    assert.equal(result.applied, false);
    assert.equal(result.spec_id, undefined);
    assert.deepEqual(result.changes.filter((c) => c.kind === 'service').map((c) => `${c.action} ${c.key}`), ['create parcel-express-api']);
    assert.equal(result.changes.filter((c) => c.kind === 'route').length, 7);
    const { config: loaded, revision } = await config.load();
    assert.equal(revision, before);
    assert.deepEqual([loaded.services.length, loaded.routes.length], [0, 0]);
    assert.deepEqual(await config.store.read().listSpecs(), []);
    assert.deepEqual((await config.store.read().listAudit({ limit: 10 })).data, []);
  });

  test('the stored spec is the original text, with format, title and version', async (t) => {
    const config = await freshConfig(t);
    for (const [file, format, title, version] of [
      ['swagger-2.0.yaml', 'openapi-2.0', 'Parcel Express API', '2.4.0'],
      ['openapi-3.0.json', 'openapi-3.0', 'Northwind Freight', '1.3.0'],
      ['openapi-3.1.yaml', 'openapi-3.1', 'Carrier Hub', '0.9.0'],
    ] as const) {
      const result = await importOpenApi(config, fixture(file), { actor, serviceName: `svc-${format}` });
      const row = await config.store.read().getSpec(result.spec_id!);
      assert.deepEqual({ ...row, id: undefined, created_at: undefined }, { id: undefined, created_at: undefined, service: `svc-${format}`, format, title, version, content: await readFile(fixture(file), 'utf8') });
    }
    assert.deepEqual((await config.store.read().listSpecs()).map((s) => s.service), ['svc-openapi-2.0', 'svc-openapi-3.0', 'svc-openapi-3.1']);
  });
});

/** A local HTTP server for the test's lifetime; resolves with its base URL. */
async function listen(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on (it just did, and was closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
