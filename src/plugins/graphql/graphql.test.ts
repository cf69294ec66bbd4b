import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { compileIdentities } from '../../core/identity/directory.ts';
import { compileEntitlements } from '../../core/identity/entitlements.ts';
import type { Plan } from '../../core/entities/schemas.ts';
import type { PluginResponse, RequestContext } from '../../core/pipeline/context.ts';
import { NO_COMPILE_ENV } from '../../core/pipeline/plugin.ts';
import { specLookup } from '../../core/snapshot/specs.ts';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { graphqlCostOf } from './cost.ts';
import { graphql, type GraphqlConf } from './plugin.ts';

const SDL = `
  type Query {
    shipments(first: Int, status: String): [Shipment!]!
    shipment(id: ID!): Shipment
    me: User
    secret: String
    stats: Stats
    userConnection(first: Int): UserConnection
  }
  type UserConnection { edges: [UserEdge!]! total: Int }
  type UserEdge { node: User cursor: String }
  type Mutation { cancel(id: ID!): Shipment }
  type Shipment { id: ID! status: String! events(last: Int): [Event!]! owner: User }
  type Event { at: String! place: String }
  type User { id: ID! name: String email: String shipments(limit: Int): [Shipment!]! }
  type Stats { count: Int }
`;

const plan = (name: string): Plan => ({ name, title: '', description: '', rate_limits: [], price: { model: 'free', currency: 'USD', monthly_minor: 0, per_call_minor: 0, included_calls: 0, tiers: [] }, requires_approval: false, tags: [] });
const identities = compileIdentities(
  [{ name: 'acme', groups: ['partners'] }, { name: 'intern', groups: ['interns'] }, { name: 'dev', groups: [] }], [], undefined,
  compileEntitlements([plan('gold'), plan('free')],
    [{ name: 'tracking', title: '', description: '', services: ['s'], plans: ['gold', 'free'], status: 'published', tags: [] }],
    [{ consumer: 'dev', product: 'tracking', plan: 'gold', status: 'active' }, { consumer: 'acme', product: 'tracking', plan: 'free', status: 'active' }]),
);

const conf = (extra: Record<string, unknown> = {}) => compileConf(graphql, { schema: SDL, ...extra });

function post(body: unknown, opts: { accept?: string; consumer?: string; contentType?: string } = {}): RequestContext {
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  if (opts.accept !== undefined) headers.accept = opts.accept;
  const ctx = fakeContext({ method: 'POST', headers, identities, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) });
  if (opts.consumer !== undefined) ctx.consumer = identities.consumer(opts.consumer);
  return ctx;
}

function get(params: Record<string, string>, accept?: string): RequestContext {
  return fakeContext({ method: 'GET', query: `?${new URLSearchParams(params).toString()}`, headers: accept !== undefined ? { accept } : {}, identities });
}

const run = (ctx: RequestContext, c: GraphqlConf) => graphql.handlers.access!(ctx, c) as PluginResponse | undefined;

function errorOf(r: PluginResponse | undefined): { status: number; code: string; message: string; type: string; headers: Record<string, string> } {
  assert.ok(r !== undefined && 'status' in r, 'a GraphQL error response');
  const body = JSON.parse(String(r.body)) as { errors: { message: string; extensions: { code: string } }[] };
  return { status: r.status, code: body.errors[0]!.extensions.code, message: body.errors[0]!.message, type: r.headers!['content-type']!, headers: r.headers! };
}

const costOf = (query: string, c = conf(), variables?: Record<string, unknown>) => {
  const ctx = post({ query, variables });
  const r = run(ctx, c);
  assert.equal(r, undefined, r ? String((r as { body?: unknown }).body) : '');
  return graphqlCostOf(ctx);
};

test('compile: the SDL is checked, and so are the coordinates cost and deny rules name', () => {
  assert.throws(() => compileConf(graphql, { schema: 'type Query { a: Nope }' }), /not valid/);
  assert.throws(() => conf({ costs: { fields: { 'Query.nope': 3 } } }), /has no field "nope"/);
  assert.throws(() => conf({ deny: [{ groups: ['x'], fields: ['Nope.a'] }] }), /no object or interface type "Nope"/);
  assert.ok(compileConf(graphql, {}).schema === undefined, 'no schema: structural checks only');
  assert.throws(() => compileConf(graphql, { deny: [{ groups: ['x'], fields: ['User.email'] }] }), /need the service’s schema/, 'a deny rule that could never match is refused');
});

test('compile: the stored graphql-sdl document of the service is used when the config has none', () => {
  const specOf = specLookup([{ service: 's', id: 'sp1', format: 'graphql-sdl', content: SDL }]);
  const c = compileConf(graphql, {}, { ...NO_COMPILE_ENV, service: 's', specOf });
  assert.ok(c.schema?.getType('Shipment'));
});

test('depth counts nested selection sets, through fragments', () => {
  const c = conf({ max_depth: 2 });
  assert.equal(run(post({ query: '{ shipments { owner { name } } }' }), c), undefined);
  const e = errorOf(run(post({ query: '{ shipments { ...S } } fragment S on Shipment { owner { shipments { id } } }' }), c));
  assert.equal(e.code, 'DEPTH_LIMIT_EXCEEDED');
  assert.match(e.message, /3 levels/);
});

test('aliases and root fields are counted with fragments expanded', () => {
  const c = conf({ max_aliases: 3, max_root_fields: 3 });
  assert.equal(run(post({ query: '{ a: me { id } b: me { id } c: me { id } }' }), c), undefined);
  assert.equal(errorOf(run(post({ query: '{ ...A ...A2 } fragment A on Query { a: me { id } b: me { id } } fragment A2 on Query { c: me { id } d: me { id } }' }), c)).code, 'ALIAS_LIMIT_EXCEEDED');
  assert.equal(errorOf(run(post({ query: '{ me { id } ... on Query { secret stats { count } } ...F } fragment F on Query { shipment(id: 1) { id } }' }), c)).code, 'ROOT_FIELD_LIMIT_EXCEEDED');
  assert.equal(run(post({ query: '{ __typename me { id } secret stats { count } }' }), c), undefined, '__typename is not a root field');
});

test('cost: objects 1, scalars 0, lists multiplied by first/last/limit or the default size', () => {
  assert.equal(costOf('{ me { id name } }'), 1);
  assert.equal(costOf('{ shipments(first: 5) { id } }'), 5, 'a list of 5 objects');
  assert.equal(costOf('{ shipments { id } }'), 10, 'no size argument: the default size');
  assert.equal(costOf('{ shipments(first: 5) { events(last: 3) { at } } }'), 5 * (1 + 3));
  assert.equal(costOf('query Q($n: Int) { shipments(first: $n) { id } }', conf(), { n: 7 }), 7, 'a variable size argument');
  assert.equal(costOf('{ secret }'), 1, 'scalars cost 0, but a request always weighs at least 1');
  assert.equal(costOf('{ me { shipments(limit: 2) { id } } }', conf({ costs: { fields: { 'User.shipments': 4 } } })), 1 + 2 * 4, 'a per-field cost');
  assert.equal(costOf('{ shipments(first: 2) { id } }', conf({ list: { size_arguments: ['count'], default_size: 50 } })), 50, 'argument names are configurable: first is not one here');
});

test('cost: a size argument on a connection sizes the lists inside it; variable defaults count', () => {
  assert.equal(costOf('{ userConnection(first: 5) { edges { node { id } } total } }'), 1 + 5 * (1 + 1));
  assert.equal(costOf('{ userConnection { edges { node { id } } } }'), 1 + 10 * (1 + 1), 'no size: the default size');
  assert.equal(costOf('{ userConnection(first: 3) { ...E } } fragment E on UserConnection { edges { cursor } }'), 1 + 3 * 1, 'through a fragment');
  assert.equal(costOf('{ a: userConnection(first: 3) { ...E } b: userConnection(first: 7) { ...E } } fragment E on UserConnection { edges { cursor } }'), (1 + 3) + (1 + 7), 'one fragment, two sizes');
  assert.equal(costOf('query Q($n: Int = 40) { shipments(first: $n) { id } }'), 40, 'a variable’s default when not given');
  assert.equal(costOf('query Q($n: Int = 40) { shipments(first: $n) { id } }', conf(), { n: 2 }), 2);
});

test('cost: fragments and inline fragments count at every spread, each measured once', () => {
  const c = conf();
  assert.equal(costOf('{ shipments(first: 2) { ...S } me { ...U } } fragment S on Shipment { owner { ...U } } fragment U on User { id }', c), 2 * 1 + 1 + 1 * 2 + 0);
  assert.equal(costOf('{ shipments(first: 2) { ... on Shipment { owner { id } } } }', c), 2 * (1 + 1));
  // 2^30 expansion if fragments were re-walked; memoised it is instant and the cost is exact.
  const layers = Array.from({ length: 30 }, (_, i) => `fragment F${i} on Query { a${i}: me { id } ...F${i + 1} b${i}: me { id } ...F${i + 1} }`).join('\n');
  const started = process.hrtime.bigint();
  const r = run(post({ query: `{ ...F0 } ${layers} fragment F30 on Query { me { id } }` }), conf({ max_aliases: 100_000, max_root_fields: 10_000 }));
  assert.ok(r !== undefined);
  assert.equal(errorOf(r).code, 'ALIAS_LIMIT_EXCEEDED', 'the expanded alias count is enormous');
  assert.ok(process.hrtime.bigint() - started < 5_000_000_000n);
});

test('fragment cycles are refused by validation, and without a schema by the analyzer', () => {
  const cycle = '{ ...A } fragment A on Query { me { id } ...B } fragment B on Query { ...A }';
  assert.equal(errorOf(run(post({ query: cycle }), conf())).code, 'GRAPHQL_VALIDATION_FAILED');
  const e = errorOf(run(post({ query: cycle }), compileConf(graphql, {})));
  assert.equal(e.code, 'GRAPHQL_VALIDATION_FAILED');
  assert.match(e.message, /spreads itself/);
});

test('cost limit: refused above max_cost; the cost is left for the limiters', () => {
  const c = conf({ max_cost: 20 });
  const ok = post({ query: '{ shipments(first: 20) { id } }' });
  assert.equal(run(ok, c), undefined);
  assert.deepEqual(ok.vars.graphql, { operation: undefined, type: 'query', cost: 20 });
  const e = errorOf(run(post({ query: '{ shipments(first: 21) { id } }' }), c));
  assert.equal(e.code, 'COST_LIMIT_EXCEEDED');
  assert.equal(e.status, 200, 'application/json: a well-formed request gets 200 with errors');
  assert.equal(errorOf(run(post({ query: '{ shipments(first: 21) { id } }' }, { accept: 'application/graphql-response+json' }), c)).status, 400);
  const huge = post({ query: 'query H($n: Int) { shipments(first: $n) { events(last: $n) { owner: place } } }', variables: { n: 1e300 } });
  assert.equal(errorOf(run(huge, c)).code, 'COST_LIMIT_EXCEEDED', 'huge sizes are capped, never Infinity');
});

test('introspection: allowed, denied, or for some plans only', () => {
  const q = { query: '{ __schema { queryType { name } } }' };
  assert.equal(run(post(q), conf()), undefined);
  const denied = errorOf(run(post(q, { accept: 'application/graphql-response+json' }), conf({ introspection: { allow: false } })));
  assert.deepEqual([denied.status, denied.code], [403, 'INTROSPECTION_DISABLED']);
  const byPlan = conf({ introspection: { allow: true, plans: ['gold'] } });
  assert.equal(run(post(q, { consumer: 'dev' }), byPlan), undefined, 'gold plan');
  assert.equal(errorOf(run(post(q, { consumer: 'acme' }), byPlan)).code, 'INTROSPECTION_DISABLED', 'free plan');
  assert.equal(errorOf(run(post({ query: '{ shipment(id: 1) { __type(name: "User") { name } } }' }), byPlan)).code, 'GRAPHQL_VALIDATION_FAILED');
  assert.equal(errorOf(run(post({ query: '{ ...I } fragment I on Query { __type(name: "User") { name } }' }), byPlan)).code, 'INTROSPECTION_DISABLED', 'hidden in a fragment');
  assert.equal(run(post({ query: '{ __typename }' }), conf({ introspection: { allow: false } })), undefined, '__typename is not introspection');
});

test('deny rules refuse fields to consumer groups, wherever the field is selected', () => {
  const c = conf({ deny: [{ groups: ['interns'], fields: ['User.email', 'Query.secret'] }, { groups: ['*'], fields: ['Stats.count'] }] });
  assert.equal(run(post({ query: '{ me { email } }' }, { consumer: 'acme' }), c), undefined);
  const e = errorOf(run(post({ query: '{ shipments { owner { ...U } } } fragment U on User { email }' }, { consumer: 'intern', accept: 'application/graphql-response+json' }), c));
  assert.deepEqual([e.status, e.code], [403, 'FIELD_NOT_ALLOWED']);
  assert.match(e.message, /User\.email/);
  assert.equal(errorOf(run(post({ query: '{ secret }' }, { consumer: 'intern' }), c)).code, 'FIELD_NOT_ALLOWED');
  assert.equal(errorOf(run(post({ query: '{ stats { count } }' }), c)).code, 'FIELD_NOT_ALLOWED', '"*" applies to every caller, anonymous ones too');
});

test('HTTP rules: methods, media types, mutations over GET, malformed requests', () => {
  const c = conf();
  const put = fakeContext({ method: 'PUT', identities });
  const m = errorOf(run(put, c));
  assert.deepEqual([m.status, m.headers.allow], [405, 'GET, POST']);
  assert.equal(errorOf(run(post({ query: '{ me { id } }' }, { contentType: 'text/plain' }), c)).status, 415);
  const mutation = errorOf(run(get({ query: 'mutation { cancel(id: 1) { id } }' }), c));
  assert.deepEqual([mutation.status, mutation.headers.allow], [405, 'POST']);
  assert.equal(run(get({ query: '{ me { id } }' }), c), undefined);
  assert.equal(run(post({ query: 'mutation { cancel(id: 1) { id } }' }), c), undefined);
  const notJson = errorOf(run(post('{nope'), c));
  assert.deepEqual([notJson.status, notJson.code], [400, 'BAD_REQUEST'], 'not well-formed: 400 under application/json too');
  assert.equal(errorOf(run(post({ variables: {} }), c)).status, 400, 'no query');
  assert.equal(errorOf(run(post({ query: '{ me { id } }', variables: [1] }), c)).status, 400);
  const parse = errorOf(run(post({ query: '{ me { ' }, { accept: 'application/graphql-response+json' }), c));
  assert.deepEqual([parse.status, parse.code], [400, 'GRAPHQL_PARSE_FAILED']);
  assert.match(parse.type, /^application\/graphql-response\+json/);
  const invalid = errorOf(run(post({ query: '{ nope }' }), c));
  assert.deepEqual([invalid.status, invalid.code], [200, 'GRAPHQL_VALIDATION_FAILED']);
  assert.match(invalid.type, /^application\/json/);
  assert.equal(errorOf(run(post({ query: 'query A { me { id } } query B { me { id } }' }), c)).code, 'OPERATION_RESOLUTION_FAILURE');
  assert.equal(run(post({ query: 'query A { me { id } } query B { me { id } }', operationName: 'B' }), c), undefined);
  assert.equal(errorOf(run(post({ query: '{ me { id } }', operationName: 'x y' }), c)).code, 'BAD_REQUEST', 'operation names are GraphQL names');
  assert.equal(errorOf(run(post({ query: '{ me { id } }', operationName: 'a'.repeat(129) }), c)).code, 'BAD_REQUEST');
  assert.equal(errorOf(run(post({ query: `{ ${'me { id } '.repeat(5000)} }` }), conf({ max_tokens: 1000 }))).code, 'GRAPHQL_PARSE_FAILED', 'token limit');
});

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('APQ: unknown hash → PersistedQueryNotFound; hash + query registers (verified); then the hash alone runs', () => {
  const c = conf({ persisted_queries: { cache_size: 2 } });
  const query = 'query Track { shipments(first: 3) { id } }';
  const ext = { persistedQuery: { version: 1, sha256Hash: sha(query) } };
  const miss = errorOf(run(post({ extensions: ext }), c));
  assert.deepEqual([miss.status, miss.message, miss.code], [200, 'PersistedQueryNotFound', 'PERSISTED_QUERY_NOT_FOUND']);
  assert.equal(errorOf(run(post({ query: '{ me { id } }', extensions: ext }), c)).code, 'PERSISTED_QUERY_HASH_MISMATCH');
  assert.equal(run(post({ query, extensions: ext }), c), undefined);
  const byHash = post({ extensions: ext, variables: { a: 1 } });
  assert.equal(run(byHash, c), undefined);
  assert.equal(graphqlCostOf(byHash), 3);
  assert.deepEqual(JSON.parse(byHash.requestBody!.toString()), { query, variables: { a: 1 }, extensions: ext }, 'the upstream receives the full query');
  assert.equal(byHash.upstream.headers['content-length'], String(byHash.requestBody!.length));
  const overGet = get({ extensions: JSON.stringify(ext) });
  assert.equal(run(overGet, c), undefined);
  assert.equal(new URLSearchParams(overGet.upstream.query.slice(1)).get('query'), query);
  // The store is bounded: two more queries push the first out.
  for (const q of ['{ me { id } }', '{ secret }']) assert.equal(run(post({ query: q, extensions: { persistedQuery: { version: 1, sha256Hash: sha(q) } } }), c), undefined);
  assert.equal(errorOf(run(post({ extensions: ext }), c)).code, 'PERSISTED_QUERY_NOT_FOUND');
  assert.equal(errorOf(run(post({ extensions: ext }), conf({ persisted_queries: { apq: false } }))).code, 'PERSISTED_QUERY_NOT_SUPPORTED');
});

test('allow-list: only registered operations run, by hash or in full', () => {
  const query = '{ me { id } }';
  assert.throws(() => conf({ persisted_queries: { allow_list: true, operations: { [sha('x')]: query } } }), /not the SHA-256/);
  assert.throws(() => conf({ persisted_queries: { allow_list: true, operations: { [sha('{ nope }')]: '{ nope }' } } }), /does not validate/);
  const c = conf({ persisted_queries: { allow_list: true, operations: { [sha(query)]: query } } });
  const byHash = post({ extensions: { persistedQuery: { version: 1, sha256Hash: sha(query) } } });
  assert.equal(run(byHash, c), undefined);
  assert.equal(JSON.parse(byHash.requestBody!.toString()).query, query);
  assert.equal(run(post({ query }), c), undefined, 'the full text of a registered operation');
  const other = errorOf(run(post({ query: '{ secret }' }, { accept: 'application/graphql-response+json' }), c));
  assert.deepEqual([other.status, other.code], [403, 'PERSISTED_QUERY_NOT_IN_LIST']);
});

test('documents are cached by text: the second check of a query reuses the first', () => {
  const c = conf();
  const query = '{ shipments(first: 4) { owner { id } } }';
  assert.equal(run(post({ query }), c), undefined);
  assert.equal(c.documents.size, 1);
  const ctx = post({ query });
  assert.equal(run(ctx, c), undefined);
  assert.equal(graphqlCostOf(ctx), 8);
  assert.equal(c.documents.size, 1);
  assert.equal(costOf('query Q($n: Int) { shipments(first: $n) { id } }', c, { n: 2 }), 2);
  assert.equal(costOf('query Q($n: Int) { shipments(first: $n) { id } }', c, { n: 9 }), 9, 'figures that depend on variables are not cached');
});

test('a graphql service is guarded without naming the plugin; its inline schema reaches explicit instances too', async () => {
  const { checkConfig } = await import('../../core/config/load.ts');
  const { compileSnapshot } = await import('../../core/snapshot/compile.ts');
  const { BUNDLED_CATALOG } = await import('../index.ts');
  const { servicesNeedingSpecs } = await import('../../core/snapshot/specs.ts');
  const svc = { name: 'g', protocol: 'graphql', targets: [{ url: 'http://127.0.0.1:1' }], graphql: { schema: SDL } };
  const snap = compileSnapshot(checkConfig({ services: [svc], routes: [{ name: 'r', service: 'g', paths: ['/graphql'] }, { name: 'r2', service: 'g', paths: ['/g2'], plugins: [{ name: 'graphql', config: { max_depth: 1 } }] }] }), BUNDLED_CATALOG);
  assert.deepEqual(snap.routes[0]!.chains.plugins, ['graphql']);
  const implicit = snap.routes[0]!.chains.access[0]!.conf as GraphqlConf;
  assert.equal(implicit.maxCost, 5000, 'the defaults');
  assert.ok(implicit.schema?.getType('Shipment'), 'the service schema');
  const explicit = snap.routes[1]!.chains.access[0]!.conf as GraphqlConf;
  assert.deepEqual([explicit.maxDepth, explicit.schema?.getType('Shipment') !== undefined], [1, true]);
  assert.ok(snap.routes[0]!.chains.requestBody, 'the body is buffered for the plugin');
  assert.throws(() => checkConfig({ services: [{ name: 'h', targets: [{ url: 'http://127.0.0.1:1' }], graphql: { schema: SDL } }], routes: [] }) && compileSnapshot(checkConfig({ services: [{ name: 'h', targets: [{ url: 'http://127.0.0.1:1' }], graphql: { schema: SDL } }], routes: [] }), BUNDLED_CATALOG), /need protocol: graphql/);
  assert.deepEqual(servicesNeedingSpecs({ services: [{ name: 'a', protocol: 'graphql' }, { ...svc, name: 'b' }, { name: 'c' }] }), ['a'], 'only graphql services without an inline schema read the stored one');
});

test('the caches are bounded by bytes as well as entries: large distinct documents cannot pile up', async () => {
  const { Lru } = await import('./lru.ts');
  const lru = new Lru<string>(100, 1000);
  for (let i = 0; i < 50; i++) lru.set(`k${i}`, 'v', 100);
  assert.ok(lru.heldWeight <= 1000 && lru.size === 10, `${lru.size} entries, ${lru.heldWeight} bytes`);
  assert.equal(lru.get('k49'), 'v', 'the most recent are kept');
  assert.equal(lru.get('k0'), undefined);
  lru.set('huge', 'v', 300);
  assert.equal(lru.get('huge'), undefined, 'one entry above a quarter of the budget is not kept');
  const c = conf();
  const big = `{ me { id } ${' '.repeat(2 * 1024 * 1024)} }`;
  assert.equal(run(post({ query: big }), c), undefined);
  assert.equal(c.documents.size, 0, 'a 2 MiB text is checked but not cached');
});

test('the standard introspection query (GraphiQL, codegen) passes the default limits when introspection is allowed', async () => {
  const { getIntrospectionQuery } = await import('graphql');
  const ctx = post({ query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }), operationName: 'IntrospectionQuery' });
  const r = run(ctx, conf());
  assert.equal(r, undefined, r ? String((r as { body?: unknown }).body) : '');
  assert.equal(graphqlCostOf(ctx), 1, 'introspection fields cost nothing (the policy governs them)');
  assert.equal(errorOf(run(post({ query: getIntrospectionQuery() }), conf({ introspection: { allow: false } }))).code, 'INTROSPECTION_DISABLED');
});
