// Usage metering micro benchmark: what recording one finished exchange costs the gateway (the call
// in the exchange's log step), and what moving aggregates costs per row (a worker's hand-off and
// the supervisor's merge). Run: node bench/micro/usage.bench.ts  (part of `npm run bench:micro`).
import { newRequestContext, type RequestContext } from '../../src/core/pipeline/context.ts';
import { compileIdentities } from '../../src/core/identity/directory.ts';
import { compileEntitlements } from '../../src/core/identity/entitlements.ts';
import type { Plan, Product, Subscription } from '../../src/core/entities/schemas.ts';
import { UsageAggregate } from '../../src/telemetry/usage/aggregate.ts';
import { localUsage, recordUsage } from '../../src/telemetry/usage/recorder.ts';
import { environmentLine, fmt, fmtNs, table, timeOps, writeSection } from './lib.ts';

const CONSUMERS = 1_000;
const plan = { name: 'pro', title: '', description: '', rate_limits: [], price: { model: 'per_call', currency: 'USD', monthly_minor: 0, per_call_minor: 1, included_calls: 0, tiers: [] }, requires_approval: false, tags: [] } as Plan;
const product = { name: 'shipping', title: '', description: '', services: ['carrier'], plans: ['pro'], status: 'published', tags: [] } as Product;
const consumers = Array.from({ length: CONSUMERS }, (_, i) => `app-${i}`);
const subscriptions = consumers.map((c) => ({ consumer: c, product: 'shipping', plan: 'pro', status: 'active' }) as Subscription);
const identities = compileIdentities(consumers.map((name) => ({ name, groups: [] })), [], undefined, compileEntitlements([plan], [product], subscriptions));

function context(consumer: string | undefined, route: string): RequestContext {
  const ctx = newRequestContext({
    id: 'r', method: 'GET', path: '/labels', query: '', headers: {}, clientIp: '127.0.0.1', receivedAt: 0, identities,
    upstream: { path: '/labels', query: '', headers: {}, maxBodyBytes: 0, guard: undefined }, upstreamFetch: undefined, log: { debug() {}, info() {}, warn() {}, error() {} } as never,
  });
  const c = ctx as { routeName: string; serviceName: string };
  c.routeName = route;
  c.serviceName = 'carrier';
  if (consumer !== undefined) {
    ctx.consumer = { id: consumer, username: consumer };
    ctx.credentialId = `cred-${consumer}`;
  }
  return ctx;
}

const out: string[] = [];
const say = (s = ''): void => {
  out.push(s);
  console.log(s);
};
say('## Usage metering');
say();
say(environmentLine());
say();

const one = context('app-1', 'labels');
const anonymous = context(undefined, 'labels');
const many = consumers.map((c, i) => context(c, `route-${i % 10}`));
const STATUSES = [200, 200, 200, 201, 404, 500];
const rows: string[][] = [];
const run = (label: string, fn: (i: number) => unknown) => {
  localUsage().take();
  const t = timeOps(fn);
  rows.push([label, fmtNs(t.ns), `${fmtNs(t.min)} – ${fmtNs(t.max)}`]);
  localUsage().take();
};
run('one consumer, one route (its row exists)', (i) => recordUsage(one, 200, 12 + (i & 7), 0, 512));
run('no consumer (refused or open route)', (i) => recordUsage(anonymous, 404, 1 + (i & 3), 0, 120));
run(`${fmt(CONSUMERS)} consumers × 10 routes × 4 statuses, rotating`, (i) => recordUsage(many[i % CONSUMERS]!, STATUSES[i % STATUSES.length]!, (i % 300) + 0.5, i & 1023, 2048));
say('### Recording one exchange (ns per call)');
say();
say('`recordUsage(ctx, status, latency, bytesIn, bytesOut)` as the exchange\'s log step calls it: the plan look-up, the row key, a Map look-up and the counters. '
  + 'Rows exist after the first minute of traffic; a new minute creates them again (not shown: once per row per minute).');
say();
say(table(['case', 'per call', 'batches (min – max)'], ['l', 'r', 'r'], rows));
say();

// Hand-off and merge, per row.
const source = new UsageAggregate(1_000_000);
for (let i = 0; i < 10_000; i++) {
  source.record({ atMs: 0, consumer: consumers[i % CONSUMERS]!, credential: 'c', product: 'shipping', plan: 'pro', service: 'carrier', route: `route-${i % 10}`, status: STATUSES[i % STATUSES.length]!, latencyMs: i % 300, bytesIn: 0, bytesOut: 100 });
}
const batch = source.take().rows;
const into = new UsageAggregate(1_000_000);
into.merge(batch);
const merge = timeOps(() => into.merge(batch));
const serialise = timeOps(() => JSON.stringify(batch).length);
say('### Moving aggregates (per row)');
say();
say(table(['step', `per row (batch of ${fmt(batch.length)})`], ['l', 'r'], [
  ['supervisor merges a worker\'s rows (existing keys)', fmtNs(merge.ns / batch.length)],
  ['IPC serialisation of the rows (JSON.stringify, as process.send does)', fmtNs(serialise.ns / batch.length)],
]));

const file = writeSection('usage', out.join('\n'));
console.log(`\n(written to ${file})`);
