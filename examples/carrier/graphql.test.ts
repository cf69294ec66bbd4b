// The carrier's GraphQL tracking API over real HTTP, and the demo config that fronts it: the schema
// inlined in portcullis.yaml is the one the carrier serves, and it compiles with the demo's
// graphql settings (a cost limit the demo's example query stays under).
//   npx node --test examples/carrier/graphql.test.ts
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { checkConfig } from '../../src/core/config/load.ts';
import { compileSnapshot } from '../../src/core/snapshot/compile.ts';
import { graphql as graphqlPlugin, type GraphqlConf } from '../../src/plugins/graphql/plugin.ts';
import { BUNDLED_CATALOG } from '../../src/plugins/index.ts';
import { fakeContext } from '../../src/plugins/test-helpers.ts';
import { CARRIER_SDL } from './graphql.ts';
import { createCarrierServer } from './server.ts';
import { listen } from './test-support.ts';

const START = Date.parse('2025-01-15T09:30:00.000Z');
let clock = START;
const server = createCarrierServer({ now: () => clock, stepMs: 30_000 });
let base = '';

before(async () => { base = await listen(server); });
after(() => { server.close(); server.closeAllConnections(); });

/** The demo's example operation (README and the demo's printed curl use it). */
const DEMO_QUERY = '{ shipment(trackingNumber: "PC0000000001") { status events(last: 2) { at status location } } }';

async function post(body: unknown): Promise<{ status: number; json: { data?: Record<string, unknown>; errors?: { message: string }[] } }> {
  const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() as { data?: Record<string, unknown> } };
}

test('queries over POST and GET read the same shipments as the REST API', async () => {
  clock = START + 65_000; // two steps on: out for delivery
  const r = await post({ query: DEMO_QUERY });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.data, { shipment: { status: 'out_for_delivery', events: [
    { at: '2025-01-15T09:30:30.000Z', status: 'in_transit', location: 'Sorting hub, DE' },
    { at: '2025-01-15T09:31:00.000Z', status: 'out_for_delivery', location: '80331, DE' },
  ] } });
  const rest = await (await fetch(`${base}/tracking/PC0000000001`)).json() as { status: string };
  assert.equal(rest.status, 'out_for_delivery');
  const viaGet = await fetch(`${base}/graphql?${new URLSearchParams({ query: 'query($n: [ID!]!) { shipments(trackingNumbers: $n) { trackingNumber } }', variables: JSON.stringify({ n: ['PC0000000001', 'PC9'] }) })}`);
  assert.deepEqual(await viaGet.json(), { data: { shipments: [{ trackingNumber: 'PC0000000001' }] } });
  const unknown = await post({ query: '{ label(id: "lbl_nope") { id } }' });
  assert.deepEqual(unknown.json.data, { label: null });
  const invalid = await post({ query: '{ nope }' });
  assert.equal(invalid.status, 200);
  assert.match(invalid.json.errors![0]!.message, /Cannot query field "nope"/);
  assert.equal((await fetch(`${base}/graphql`, { method: 'PUT' })).status, 405);
  assert.equal((await fetch(`${base}/graphql`, { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } })).status, 400);
});

test('portcullis.yaml inlines the schema the carrier serves, and the demo query is within its limits', () => {
  const raw = YAML.parse(readFileSync(new URL('./portcullis.yaml', import.meta.url), 'utf8')) as { services: { name: string; graphql?: { schema?: string } }[] };
  const svc = raw.services.find((s) => s.name === 'carrier-graphql');
  assert.equal(svc?.graphql?.schema, CARRIER_SDL);
  const snap = compileSnapshot(checkConfig(raw), BUNDLED_CATALOG);
  const route = snap.routes.find((r) => r.name === 'carrier-graphql')!;
  assert.deepEqual(route.chains.plugins, ['key-auth', 'graphql', 'rate-limiting', 'response-transformer']);
  const conf = route.chains.access.find((s) => s.name === 'graphql')!.conf as GraphqlConf;
  const ctx = fakeContext({ method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ query: DEMO_QUERY })) });
  assert.equal(graphqlPlugin.handlers.access!(ctx, conf), undefined);
  assert.deepEqual(ctx.vars.graphql, { operation: undefined, type: 'query', cost: 1 + 2 });
});
