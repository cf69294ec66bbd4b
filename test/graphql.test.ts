// The graphql service type end to end: a real GraphQL upstream (graphql-js over node:http) behind
// the real gateway. Refusals have the GraphQL response shape and the status the negotiated media
// type calls for (GraphQL over HTTP); gateway-level errors (401, 429) stay problem+json; APQ
// round trip; allow-list mode; a rate limit counted in cost; and, on a node in store mode, a
// schema uploaded (and introspected) through the admin API reaching the gateway.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, graphql as execute } from 'graphql';
import { startGateway, type InProcessGateway } from './harness/gateway.ts';
import { expectStatus, spawnNode, until } from './harness/node.ts';
import { startUpstream, type Upstream } from './harness/upstream.ts';

const SDL = `
  type Query { shipments(first: Int): [Shipment!]! shipment(id: ID!): Shipment }
  type Mutation { cancel(id: ID!): Shipment }
  type Shipment { id: ID! status: String! events(last: Int): [Event!]! }
  type Event { at: String! place: String! shipment: Shipment }
`;

const SHIPMENTS = Array.from({ length: 50 }, (_, i) => ({ id: String(i + 1), status: i % 2 ? 'in_transit' : 'delivered', events: () => [{ at: '2026-11-20T10:00:00Z', place: 'Lyon' }] }));

/** A GraphQL server as a service would run one: GET and POST, application/json. */
async function graphqlUpstream(t: TestContext): Promise<Upstream> {
  const schema = buildSchema(SDL);
  const root = {
    shipments: ({ first }: { first?: number }) => SHIPMENTS.slice(0, first ?? 10),
    shipment: ({ id }: { id: string }) => SHIPMENTS.find((s) => s.id === id),
    cancel: ({ id }: { id: string }) => ({ ...SHIPMENTS.find((s) => s.id === id)!, status: 'cancelled' }),
  };
  const up = await startUpstream((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/not-')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not here');
      return;
    }
    let params: { query?: string; variables?: Record<string, unknown>; operationName?: string };
    if (req.method === 'GET') {
      const v = url.searchParams.get('variables');
      params = { query: url.searchParams.get('query') ?? undefined, ...(v ? { variables: JSON.parse(v) as Record<string, unknown> } : {}) };
    } else {
      params = JSON.parse(body.toString('utf8')) as typeof params;
    }
    void Promise.resolve(execute({ schema, source: params.query ?? '', rootValue: root, variableValues: params.variables ?? null, operationName: params.operationName ?? null })).then((result) => {
      const text = JSON.stringify(result);
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream-query': encodeURIComponent(params.query ?? '') });
      res.end(text);
    });
  });
  t.after(() => up.close());
  return up;
}

interface Answer { status: number; type: string; headers: Headers; json: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[]; type?: string; status?: number } }

async function call(url: string, init: { method?: string; body?: unknown; accept?: string; contentType?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.accept !== undefined) headers.accept = init.accept;
  if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  const res = await fetch(url, { method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'), headers, ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, json: text ? JSON.parse(text) as Answer['json'] : {} };
}

const GQL = 'application/graphql-response+json';
const code = (a: Answer) => a.json.errors?.[0]?.extensions?.code;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function gateway(t: TestContext, up: Upstream): Promise<InProcessGateway> {
  const query = '{ shipment(id: "1") { status } }';
  const gw = await startGateway({
    gateway: { access_log: false },
    services: [{ name: 'tracking', protocol: 'graphql', targets: [{ url: up.url }], retries: 0, graphql: { schema: SDL } }],
    routes: [
      // No graphql instance named: the service's protocol brings it, with its defaults and the schema.
      { name: 'defaults', service: 'tracking', paths: ['=/graphql'] },
      { name: 'strict', service: 'tracking', paths: ['=/strict'], plugins: [{ name: 'graphql', config: { max_depth: 2, max_cost: 30 } }] },
      { name: 'metered', service: 'tracking', paths: ['=/metered'], plugins: [{ name: 'rate-limiting', config: { limits: [{ window: 'hour', limit: 25 }], limit_by: 'route', cost: 'graphql' } }] },
      { name: 'listed', service: 'tracking', paths: ['=/listed'], plugins: [{ name: 'graphql', config: { persisted_queries: { allow_list: true, operations: { [sha(query)]: query } } } }] },
      { name: 'keyed', service: 'tracking', paths: ['=/keyed'], plugins: [{ name: 'key-auth', config: {} }] },
    ],
  });
  t.after(() => gw.close());
  return gw;
}

test('operations are checked against the schema; refusals are GraphQL errors with the status the media type asks for', async (t) => {
  const up = await graphqlUpstream(t);
  const gw = await gateway(t, up);
  const ok = await call(`${gw.url}/graphql`, { body: { query: '{ shipments(first: 2) { id status } }' } });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json, { data: { shipments: [{ id: '1', status: 'delivered' }, { id: '2', status: 'in_transit' }] } });

  const overCost = await call(`${gw.url}/strict`, { body: { query: '{ shipment(id: "1") { events(last: 1) { at } } shipments(first: 40) { id } }' } });
  assert.deepEqual([overCost.status, code(overCost)], [200, 'COST_LIMIT_EXCEEDED'], 'application/json: 200 with errors');
  assert.match(overCost.type, /^application\/json/);
  assert.match(String(overCost.json.errors?.[0]?.message), /cost is 42; the limit is 30/);
  const twoDeep = await call(`${gw.url}/strict`, { body: { query: '{ shipments(first: 1) { events { place } } }' }, accept: GQL });
  assert.equal(twoDeep.status, 200, 'depth 2 is allowed');
  const threeDeep = await call(`${gw.url}/strict`, { body: { query: 'query Deep { ...F } fragment F on Query { shipment(id: "1") { events { shipment { id } } } }', operationName: 'Deep' }, accept: GQL });
  assert.deepEqual([threeDeep.status, code(threeDeep)], [400, 'DEPTH_LIMIT_EXCEEDED'], 'depth 3 through a fragment');
  assert.match(threeDeep.type, /^application\/graphql-response\+json/);
  const parseFail = await call(`${gw.url}/graphql`, { body: { query: '{ shipments {' }, accept: GQL });
  assert.deepEqual([parseFail.status, code(parseFail)], [400, 'GRAPHQL_PARSE_FAILED']);
  assert.match(parseFail.type, /^application\/graphql-response\+json/);
  const invalid = await call(`${gw.url}/graphql`, { body: { query: '{ nope }' }, accept: GQL });
  assert.deepEqual([invalid.status, code(invalid)], [400, 'GRAPHQL_VALIDATION_FAILED']);
  const invalidJson = await call(`${gw.url}/graphql`, { body: { query: '{ nope }' } });
  assert.deepEqual([invalidJson.status, code(invalidJson)], [200, 'GRAPHQL_VALIDATION_FAILED']);
  assert.deepEqual(up.received.map((r) => r.url), ['/graphql', '/strict'], 'only the allowed operations reached the upstream');
});

test('GET and POST: queries over GET, mutations only over POST (405 with Allow), 415 and malformed bodies', async (t) => {
  const up = await graphqlUpstream(t);
  const gw = await gateway(t, up);
  const viaGet = await call(`${gw.url}/graphql?${new URLSearchParams({ query: 'query($n: Int) { shipments(first: $n) { id } }', variables: JSON.stringify({ n: 1 }) })}`);
  assert.deepEqual([viaGet.status, viaGet.json], [200, { data: { shipments: [{ id: '1' }] } }]);
  const mutationGet = await call(`${gw.url}/graphql?${new URLSearchParams({ query: 'mutation { cancel(id: "2") { status } }' })}`, { accept: GQL });
  assert.deepEqual([mutationGet.status, mutationGet.headers.get('allow'), code(mutationGet)], [405, 'POST', 'METHOD_NOT_ALLOWED']);
  const mutationPost = await call(`${gw.url}/graphql`, { body: { query: 'mutation { cancel(id: "2") { status } }' } });
  assert.deepEqual(mutationPost.json, { data: { cancel: { status: 'cancelled' } } });
  const put = await call(`${gw.url}/graphql`, { method: 'PUT', body: { query: '{ shipments { id } }' } });
  assert.deepEqual([put.status, put.headers.get('allow')], [405, 'GET, POST']);
  const text = await call(`${gw.url}/graphql`, { body: '{ shipments { id } }', contentType: 'application/graphql' });
  assert.deepEqual([text.status, code(text)], [415, 'UNSUPPORTED_MEDIA_TYPE']);
  const broken = await call(`${gw.url}/graphql`, { body: '{"query": ', accept: 'application/json' });
  assert.deepEqual([broken.status, code(broken)], [400, 'BAD_REQUEST'], 'not well-formed: 400 under application/json too');
  assert.equal(up.received.length, 2);
});

test('gateway-level refusals stay problem+json: 401 from key-auth, 429 from a rate limit counted in cost', async (t) => {
  const up = await graphqlUpstream(t);
  const gw = await gateway(t, up);
  const noKey = await call(`${gw.url}/keyed`, { body: { query: '{ shipments { id } }' }, accept: GQL });
  assert.equal(noKey.status, 401);
  assert.equal(noKey.type, 'application/problem+json');

  // shipments(first: 10) { events } costs 10 × (1 + 10) = 110: over the whole hour's 25.
  const costly = await call(`${gw.url}/metered`, { body: { query: '{ shipments(first: 10) { events { at } } }' } });
  assert.equal(costly.status, 429, 'the cost alone exceeds the limit');
  assert.equal(costly.type, 'application/problem+json');
  const costs = [];
  for (let i = 0; i < 3; i++) costs.push((await call(`${gw.url}/metered`, { body: { query: '{ shipments(first: 8) { id } }' } })).status);
  assert.deepEqual(costs, [200, 200, 200], '3 × 8 = 24 of 25');
  const two = await call(`${gw.url}/metered`, { body: { query: '{ shipments(first: 2) { id } }' } });
  assert.equal(two.status, 429, '24 + 2 > 25');
  assert.ok(Number(two.headers.get('retry-after')) >= 1);
  const one = await call(`${gw.url}/metered`, { body: { query: '{ shipment(id: "3") { id } }' } });
  assert.equal(one.status, 200, 'the refused 2 consumed nothing: 24 + 1 fits');
});

test('APQ round trip, and allow-list mode', async (t) => {
  const up = await graphqlUpstream(t);
  const gw = await gateway(t, up);
  const query = 'query Five { shipments(first: 5) { id } }';
  const ext = { persistedQuery: { version: 1, sha256Hash: sha(query) } };
  const miss = await call(`${gw.url}/graphql`, { body: { extensions: ext } });
  assert.deepEqual([miss.status, miss.json.errors?.[0]?.message, code(miss)], [200, 'PersistedQueryNotFound', 'PERSISTED_QUERY_NOT_FOUND']);
  const register = await call(`${gw.url}/graphql`, { body: { query, extensions: ext } });
  assert.equal((register.json.data as { shipments: unknown[] }).shipments.length, 5);
  const byHash = await call(`${gw.url}/graphql`, { body: { extensions: ext } });
  assert.equal((byHash.json.data as { shipments: unknown[] }).shipments.length, 5, 'the upstream received the full query');
  const byHashGet = await call(`${gw.url}/graphql?${new URLSearchParams({ extensions: JSON.stringify(ext) })}`);
  assert.equal(decodeURIComponent(byHashGet.headers.get('x-upstream-query')!), query);
  const mismatch = await call(`${gw.url}/graphql`, { body: { query: '{ shipments { id } }', extensions: ext }, accept: GQL });
  assert.deepEqual([mismatch.status, code(mismatch)], [400, 'PERSISTED_QUERY_HASH_MISMATCH']);

  const listed = '{ shipment(id: "1") { status } }';
  const byListedHash = await call(`${gw.url}/listed`, { body: { extensions: { persistedQuery: { version: 1, sha256Hash: sha(listed) } } } });
  assert.deepEqual(byListedHash.json, { data: { shipment: { status: 'delivered' } } });
  const unlisted = await call(`${gw.url}/listed`, { body: { query: '{ shipments { id } }' }, accept: GQL });
  assert.deepEqual([unlisted.status, code(unlisted)], [403, 'PERSISTED_QUERY_NOT_IN_LIST']);
});

test('store mode: a schema uploaded through the admin API reaches the gateway; introspection of the upstream stores it too', { timeout: 120_000 }, async (t) => {
  const up = await graphqlUpstream(t);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-graphql-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const node = await spawnNode({ db: `sqlite:${join(dir, 'p.db')}`, stateDir: join(dir, 'state'), workers: 1, t });
  expectStatus(await node.admin('POST', '/admin/config/apply', {
    gateway: { access_log: true },
    services: [{ name: 'tracking', protocol: 'graphql', targets: [{ url: up.url }], retries: 0 }, { name: 'plain', targets: [{ url: up.url }] }],
    routes: [{ name: 'gql', service: 'tracking', paths: ['=/graphql'] }],
  }), 'config apply');
  // No schema yet: structural checks only, so an unknown field reaches the upstream (which refuses it).
  await until(async () => (await call(`${node.proxyUrl}/graphql`, { body: { query: '{ nope }' } })).status === 200, 10_000, 'the route to be served');
  const before = await call(`${node.proxyUrl}/graphql`, { body: { query: '{ nope }' } });
  assert.equal(code(before), undefined, 'the upstream’s own validation error, without a gateway code');

  assert.equal((await node.admin('PUT', '/admin/services/tracking/graphql-schema', { sdl: 'type Query { a: Nope }' })).status, 400);
  assert.equal((await node.admin('PUT', '/admin/services/nobody/graphql-schema', { sdl: SDL })).status, 404);
  assert.equal((await node.admin('PUT', '/admin/services/plain/graphql-schema', { sdl: SDL })).status, 400, 'not a graphql service');
  const put = expectStatus(await node.admin<{ stored: boolean; spec_id: string }>('PUT', '/admin/services/tracking/graphql-schema', { sdl: SDL }), 'schema upload');
  assert.equal(put.body.stored, true);
  await until(async () => code(await call(`${node.proxyUrl}/graphql`, { body: { query: '{ nope }' } })) === 'GRAPHQL_VALIDATION_FAILED', 10_000, 'the gateway to check against the uploaded schema');
  const listed = expectStatus(await node.admin<{ data: { id: string; format: string }[] }>('GET', '/admin/specs?service=tracking'), 'stored specs');
  assert.deepEqual(listed.body.data.map((d) => [d.id, d.format]), [[put.body.spec_id, 'graphql-sdl']]);
  const text = expectStatus(await node.admin<string>('GET', `/admin/specs/${put.body.spec_id}`), 'stored spec');
  assert.equal(text.body, SDL, 'the SDL as uploaded, for the portal docs');
  assert.match(String(text.headers['content-type']), /^text\/plain/);
  assert.equal(expectStatus(await node.admin<{ stored: boolean }>('PUT', '/admin/services/tracking/graphql-schema', { sdl: SDL }), 'same again').body.stored, false);
  const audit = expectStatus(await node.admin<{ data: { action: string; entity_key: string; after: unknown }[] }>('GET', '/admin/audit?entity=service'), 'audit');
  const entry = audit.body.data.find((e) => e.action === 'graphql-schema');
  assert.equal(entry?.entity_key, 'tracking', 'the upload is in the audit log');

  const introspected = expectStatus(await node.admin<{ stored: boolean; types: number }>('POST', '/admin/services/tracking/graphql-schema/introspect', { path: '/graphql' }), 'introspection');
  assert.equal(introspected.body.stored, true, 'printed from introspection: other text, same schema');
  assert.ok(introspected.body.types >= 4);
  assert.equal((await call(`${node.proxyUrl}/graphql`, { body: { query: '{ shipments(first: 1) { id } }' } })).status, 200);
  const unreachable = await node.admin<{ type: string }>('POST', '/admin/services/tracking/graphql-schema/introspect', { path: '/not-graphql-at-all' });
  assert.equal(unreachable.status, 502, 'introspection of a non-GraphQL answer');
  assert.equal(unreachable.body.type, 'https://portcullis.dev/problems/graphql-introspection-failed');

  // Metrics by operation name (bounded) and the operation in the access log.
  assert.equal((await call(`${node.proxyUrl}/graphql`, { body: { query: 'query TrackTwo { shipments(first: 2) { id } }' } })).status, 200);
  await until(async () => (await node.metrics()).includes('portcullis_graphql_operations_total{service="tracking",operation="TrackTwo",outcome="allowed"} 1'), 10_000, 'the operation metric');
  const metrics = await node.metrics();
  assert.match(metrics, /portcullis_graphql_operations_total\{service="tracking",operation="\(unknown\)",outcome="GRAPHQL_VALIDATION_FAILED"\} \d+/);
  await until(() => node.logs().includes('"graphql_operation":"TrackTwo"'), 10_000, 'the access log line');
  const line = node.logs().split('\n').find((l) => l.includes('"graphql_operation":"TrackTwo"'))!;
  assert.deepEqual(JSON.parse(line).details, { graphql_operation: 'TrackTwo', graphql_type: 'query', graphql_cost: 2 });
});
