// graphql plugin micro benchmark: the per-request cost of checking a typical operation (a few
// levels, two fragments, an inline fragment, variables), cold (parsed, validated and measured
// every time: document cache off) and cached (the same query text again: the parsed, validated
// and measured document is reused). Both include reading the POST body's JSON. The bar: under
// 0.2 ms cold. Run: node bench/micro/graphql.bench.ts  (part of `npm run bench:micro`).
import { graphql } from '../../src/plugins/graphql/plugin.ts';
import { compileConf, fakeContext } from '../../src/plugins/test-helpers.ts';
import { environmentLine, fmtNs, table, timeOps, writeSection } from './lib.ts';

const SDL = `
  type Query { shipments(first: Int, status: String): [Shipment!]! shipment(id: ID!): Shipment me: Account }
  type Account { id: ID! name: String shipments(limit: Int): [Shipment!]! }
  interface Node { id: ID! }
  type Shipment implements Node { id: ID! status: String! weight: Float carrier: Carrier events(last: Int): [Event!]! owner: Account }
  type Carrier { name: String! phone: String }
  type Event { at: String! place: String! kind: String note: String }
`;

const QUERY = `
  query Track($first: Int!, $status: String, $last: Int) {
    shipments(first: $first, status: $status) {
      ...ShipmentFields
      events(last: $last) { ...EventFields }
      owner { id name }
    }
    me { id shipments(limit: 3) { id ... on Shipment { status carrier { name } } } }
  }
  fragment ShipmentFields on Shipment { id status weight carrier { name phone } }
  fragment EventFields on Event { at place kind note }
`;

const BODY = Buffer.from(JSON.stringify({ query: QUERY, operationName: 'Track', variables: { first: 10, status: 'in_transit', last: 5 } }));
const headers = { 'content-type': 'application/json' };

const out: string[] = [];
const say = (line = '') => { out.push(line); console.log(line); };

/**
 * CPU time per operation (this process's user + system time over a fixed run): on a machine shared
 * with other busy processes the wall-clock median includes time spent preempted, CPU time does not.
 */
function cpuPerOp(fn: () => unknown, ops: number): number {
  for (let i = 0; i < Math.min(ops, 2000); i++) fn();
  const before = process.cpuUsage();
  for (let i = 0; i < ops; i++) fn();
  const used = process.cpuUsage(before);
  return ((used.user + used.system) * 1000) / ops;
}

const rows: string[][] = [];
for (const [label, cacheSize] of [['cold (document cache off)', 0], ['cached (same query text)', 1000]] as const) {
  const conf = compileConf(graphql, { schema: SDL, document_cache_size: cacheSize });
  const ctx = fakeContext({ method: 'POST', headers, body: BODY });
  const probe = graphql.handlers.access!(ctx, conf);
  if (probe !== undefined) throw new Error(`benchmark setup: the operation was refused: ${JSON.stringify(probe)}`);
  const op = () => graphql.handlers.access!(ctx, conf) ?? ctx.vars.graphql;
  const t = timeOps(op);
  const cpu = cpuPerOp(op, cacheSize === 0 ? 5000 : 200_000);
  rows.push([label, fmtNs(t.ns), `${fmtNs(t.min)} – ${fmtNs(t.max)}`, fmtNs(cpu)]);
}

say('## graphql');
say();
say(environmentLine());
say();
say('### Checking one operation (per request)');
say();
say(`The access handler on a POST of a ${BODY.length}-byte body: JSON, then parse + validate against the schema + depth/aliases/root fields/cost ` +
  '(cold), or a cache hit by query text (cached; the cost still follows the variables when a size argument is one). Bar: under 0.2 ms.');
say();
say(table(['case', 'median (wall)', 'batch spread', 'CPU time'], ['l', 'r', 'r', 'r'], rows));
say();
say('CPU time is this process\'s user + system time per operation over a fixed run: unlike the wall-clock median it does not count time the process spent preempted on a shared machine.');

const file = writeSection('graphql', out.join('\n'));
console.log(`\n(written to ${file})`);
