import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileIdentities } from '../../core/identity/directory.ts';
import { compileEntitlements } from '../../core/identity/entitlements.ts';
import type { Plan } from '../../core/entities/schemas.ts';
import type { RequestContext } from '../../core/pipeline/context.ts';
import { NO_COMPILE_ENV } from '../../core/pipeline/plugin.ts';
import { SupervisorCounters } from '../../gateway/counter-channel.ts';
import { installLocalCounters } from '../../store/counters/local.ts';
import { QuotaLedger } from '../../store/quota/ledger.ts';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { quota, type QuotaConf } from './plugin.ts';

const quiet = { info: () => undefined, warn: () => undefined };
const plan = (name: string, limit?: number, period: 'day' | 'month' = 'month'): Plan => ({
  name, title: '', description: '', rate_limits: [], ...(limit !== undefined ? { quota: { period, limit } } : {}),
  price: { model: 'free', currency: 'USD', monthly_minor: 0, per_call_minor: 0, included_calls: 0, tiers: [] }, requires_approval: false, tags: [],
});
const identities = compileIdentities(
  [{ name: 'acme', groups: [] }, { name: 'free-rider', groups: [] }, { name: 'nosub', groups: [] }], [], undefined,
  compileEntitlements(
    [plan('gold', 3), plan('free')],
    [{ name: 'shipping', title: '', description: '', services: ['rates', 'labels'], plans: ['gold', 'free'], status: 'published', tags: [] }],
    [{ consumer: 'acme', product: 'shipping', plan: 'gold', status: 'active' }, { consumer: 'free-rider', product: 'shipping', plan: 'free', status: 'active' }],
  ),
);

function request(consumer: string | undefined, service = 'rates', route = 'r'): RequestContext {
  const ctx = fakeContext({ identities });
  ctx.consumer = consumer === undefined ? undefined : identities.consumer(consumer);
  Object.assign(ctx, { serviceName: service, routeName: route, receivedAt: Date.now() });
  return ctx;
}

function fresh(): QuotaLedger {
  const ledger = new QuotaLedger({ logger: quiet });
  installLocalCounters({ quota: ledger });
  return ledger;
}

const run = (ctx: RequestContext, conf: QuotaConf) => quota.handlers.access!(ctx, conf);

test('compile: time zones are checked and canonical; source config needs period and limit', () => {
  assert.equal(compileConf(quota, { time_zone: 'europe/berlin' }).timeZone, 'Europe/Berlin');
  assert.throws(() => compileConf(quota, { time_zone: 'Mars/Olympus' }), /not an IANA time zone/);
  assert.throws(() => compileConf(quota, { source: 'config', limit: 5 }), /needs both period and limit/);
  assert.throws(() => compileConf(quota, { period: 'day' }), /only for source: config/);
  assert.equal(compileConf(quota, { source: 'config', period: 'day', limit: 5 }, { ...NO_COMPILE_ENV, attachedTo: { scope: 'route', name: 'r' } }).scope, 'route');
});

test('plan quota: exactly the limit, then 429 with Retry-After and the RateLimit fields', () => {
  fresh();
  const conf = compileConf(quota, {});
  for (let i = 1; i <= 3; i++) {
    const ctx = request('acme');
    ctx.answerHeaders = { ratelimit: '"burst";r=9;t=1' }; // as rate-limiting leaves them
    assert.equal(run(ctx, conf), undefined, `request ${i} passes`);
    const t = /^"burst";r=9;t=1, "quota";r=(\d+);t=(\d+)$/.exec(String(ctx.answerHeaders.ratelimit));
    assert.ok(t, `appended to another policy's field: ${String(ctx.answerHeaders.ratelimit)}`);
    assert.equal(Number(t[1]), 3 - i);
    assert.equal(ctx.answerHeaders['ratelimit-policy'], '"quota";q=3;w=2592000');
  }
  const ctx = request('acme');
  const refused = run(ctx, conf) as { problem: string; headers: Record<string, string> };
  assert.equal(refused.problem, 'quota-exceeded');
  const retry = Number(refused.headers['retry-after']);
  assert.ok(retry >= 1 && retry <= 31 * 86400);
  assert.equal(ctx.answerHeaders?.ratelimit, `"quota";r=0;t=${retry}`, 'the 429 carries them too');
  assert.equal(ctx.answerHeaders?.['ratelimit-policy'], '"quota";q=3;w=2592000');
});

test('plan quota: the services of one product share the subscription\'s allowance', () => {
  fresh();
  const conf = compileConf(quota, {});
  assert.equal(run(request('acme', 'rates'), conf), undefined);
  assert.equal(run(request('acme', 'labels'), conf), undefined);
  assert.equal(run(request('acme', 'rates'), conf), undefined);
  assert.equal((run(request('acme', 'labels'), conf) as { problem: string }).problem, 'quota-exceeded');
});

test('no consumer, no subscription or a plan without quota: 403 by default, or allowed uncounted', () => {
  const ledger = fresh();
  const reject = compileConf(quota, {});
  for (const who of [undefined, 'nosub', 'free-rider']) assert.deepEqual(run(request(who), reject), { problem: 'subscription-required' }, String(who));
  assert.equal(run(request('acme', 'elsewhere'), reject) !== undefined, true, 'a service outside the product');
  const allow = compileConf(quota, { no_plan: 'allow' });
  assert.equal(run(request(undefined), allow), undefined);
  assert.equal(run(request('nosub'), allow), undefined);
  assert.equal(ledger.size, 0, 'nothing counted');
});

test('config quota: per consumer and where the instance is attached', () => {
  fresh();
  const perService = compileConf(quota, { source: 'config', period: 'day', limit: 1 }, { ...NO_COMPILE_ENV, attachedTo: { scope: 'service', name: 's' } });
  assert.equal(run(request('nosub', 'rates'), perService), undefined, 'no plan needed');
  assert.equal(run(request('nosub', 'labels'), perService), undefined, 'another service, another allowance');
  assert.equal((run(request('nosub', 'rates'), perService) as { problem: string }).problem, 'quota-exceeded');
  assert.equal(run(request('acme', 'rates'), perService), undefined, 'another consumer');
  const global = compileConf(quota, { source: 'config', period: 'day', limit: 1 }, { ...NO_COMPILE_ENV, attachedTo: { scope: 'global', name: '' } });
  assert.equal(run(request('free-rider', 'rates'), global), undefined);
  assert.equal((run(request('free-rider', 'labels'), global) as { problem: string }).problem, 'quota-exceeded', 'one allowance everywhere');
});

test('a counter that cannot answer: fail open passes uncounted, fail closed answers 503', async () => {
  installLocalCounters({ quota: undefined });
  assert.equal(run(request('acme'), compileConf(quota, {})), undefined);
  assert.deepEqual(run(request('acme'), compileConf(quota, { fail: 'closed' })), { problem: 'quota-unavailable' });
  // A worker whose supervisor is gone: the promise path.
  installLocalCounters({ quota: new SupervisorCounters(() => false) });
  assert.equal(await run(request('acme'), compileConf(quota, {})), undefined);
  assert.deepEqual(await run(request('acme'), compileConf(quota, { fail: 'closed' })), { problem: 'quota-unavailable' });
});

test('headers: false sends no RateLimit fields', () => {
  fresh();
  const conf = compileConf(quota, { headers: false });
  const ctx = request('acme');
  assert.equal(run(ctx, conf), undefined);
  assert.equal(ctx.answerHeaders, undefined);
});

test('cost: graphql uses up the operation’s cost; a refused operation uses nothing', () => {
  fresh();
  const conf = compileConf(quota, { source: 'config', period: 'day', limit: 10, cost: 'graphql' });
  const withCost = (cost: number) => {
    const ctx = request('acme');
    ctx.vars.graphql = { operation: 'Q', type: 'query', cost };
    return ctx;
  };
  assert.equal(run(withCost(7), conf), undefined);
  const refused = run(withCost(4), conf);
  assert.ok(refused && 'problem' in refused && refused.problem === 'quota-exceeded');
  assert.match(String(refused.detail), /cost units/);
  assert.equal(run(withCost(3), conf), undefined, '7 + 3 = 10: the refused 4 was not counted');
  assert.ok(run(request('acme'), conf), 'a request without an operation uses 1');
});
