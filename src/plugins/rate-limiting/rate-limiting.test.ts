import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { compileIdentities } from '../../core/identity/directory.ts';
import { compileEntitlements } from '../../core/identity/entitlements.ts';
import type { Plan } from '../../core/entities/schemas.ts';
import type { PluginResponse, RequestContext } from '../../core/pipeline/context.ts';
import { NO_COMPILE_ENV, type PluginCompileEnv } from '../../core/pipeline/plugin.ts';
import { refusedPort } from '../../../test/harness/upstream.ts';
import { closeRedisConnections } from '../../store/redis/connection.ts';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { rateLimiting, type CompiledRateLimiting } from './plugin.ts';

test.after(() => closeRedisConnections());

/** Each test its own route: the node's counter is shared by the whole process. */
const fresh = (): PluginCompileEnv => ({ ...NO_COMPILE_ENV, attachedTo: { scope: 'route', name: `r-${randomBytes(4).toString('hex')}` } });
const compile = (raw: unknown, env = fresh()) => compileConf(rateLimiting, raw, env);

async function access(ctx: RequestContext, conf: CompiledRateLimiting): Promise<PluginResponse | undefined> {
  return (await rateLimiting.handlers.access!(ctx, conf)) ?? undefined;
}

test('config: windows once each, limits needed, header name for header, Redis only when configured', () => {
  assert.throws(() => compile({ limits: [{ window: 'minute', limit: 1 }, { window: 'minute', limit: 2 }] }), /minute window is given twice/);
  assert.throws(() => compile({}), /at least one window/);
  assert.throws(() => compile({ limits: [{ window: 'second', limit: 1 }], limit_by: 'header' }), /header_name/);
  assert.throws(() => compile({ limits: [{ window: 'second', limit: 1 }], backend: 'redis' }), /gateway\.redis/);
  assert.doesNotThrow(() => compile({ source: 'plan' }));
});

test('allows the limit, then 429 problem with Retry-After and the RateLimit fields; refused requests are not counted', async () => {
  const conf = compile({ limits: [{ window: 'hour', limit: 3 }, { window: 'day', limit: 100 }], limit_by: 'ip' });
  const ok = [];
  for (let i = 0; i < 3; i++) {
    const ctx = fakeContext({ clientIp: '10.0.0.1' });
    ok.push(await access(ctx, conf));
    assert.equal(ctx.answerHeaders?.['ratelimit-policy'], '"hour";q=3;w=3600, "day";q=100;w=86400');
    assert.match(String(ctx.answerHeaders?.['ratelimit']), new RegExp(`^"hour";r=${2 - i};t=\\d+, "day";r=${99 - i};t=\\d+$`));
  }
  assert.deepEqual(ok, [undefined, undefined, undefined]);
  const ctx = fakeContext({ clientIp: '10.0.0.1' });
  const refused = await access(ctx, conf);
  assert.ok(refused && 'problem' in refused);
  assert.equal(refused.problem, 'rate-limited');
  assert.ok(Number(refused.headers!['retry-after']) >= 1);
  assert.match(String(ctx.answerHeaders?.['ratelimit']), /^"hour";r=0;t=\d+, "day";r=97;t=\d+$/, 'the day window still has 100 − 3');
  assert.equal(await access(fakeContext({ clientIp: '10.0.0.2' }), conf), undefined, 'another client has its own count');
});

test('fields are appended to what another plugin set, and hidden on request', async () => {
  const conf = compile({ limits: [{ window: 'minute', limit: 5 }] });
  const ctx = fakeContext();
  ctx.answerHeaders = { 'ratelimit-policy': '"other";q=1000;w=2592000', ratelimit: '"other";r=10;t=99' };
  await access(ctx, conf);
  assert.equal(ctx.answerHeaders['ratelimit-policy'], '"other";q=1000;w=2592000, "minute";q=5;w=60');
  assert.match(String(ctx.answerHeaders['ratelimit']), /^"other";r=10;t=99, "minute";r=4;t=\d+$/);
  const hidden = compile({ limits: [{ window: 'minute', limit: 5 }], hide_headers: true });
  const h = fakeContext();
  await access(h, hidden);
  assert.equal(h.answerHeaders, undefined);
});

test('limit_by: consumer, credential and header fall back to the client IP; route and service share a count', async () => {
  const byConsumer = compile({ limits: [{ window: 'hour', limit: 1 }] });
  const acme = { ...fakeContext({ clientIp: '10.1.1.1' }), consumer: { id: 'acme' } };
  assert.equal(await access(acme, byConsumer), undefined);
  assert.ok(await access({ ...fakeContext({ clientIp: '10.9.9.9' }), consumer: { id: 'acme' } }, byConsumer), 'same consumer from another IP');
  assert.equal(await access(fakeContext({ clientIp: '10.1.1.1' }), byConsumer), undefined, 'no consumer: counted by IP, apart from acme');

  const byHeader = compile({ limits: [{ window: 'hour', limit: 1 }], limit_by: 'header', header_name: 'X-Tenant' });
  assert.equal(await access(fakeContext({ headers: { 'x-tenant': 'a'.repeat(500) } }), byHeader), undefined);
  assert.ok(await access(fakeContext({ headers: { 'x-tenant': 'a'.repeat(500) } }), byHeader), 'long values hash to the same count');
  assert.equal(await access(fakeContext({ headers: { 'x-tenant': 'b' } }), byHeader), undefined);

  const byRoute = compile({ limits: [{ window: 'hour', limit: 2 }], limit_by: 'route' });
  assert.equal(await access(fakeContext({ clientIp: '1.1.1.1' }), byRoute), undefined);
  assert.equal(await access(fakeContext({ clientIp: '2.2.2.2' }), byRoute), undefined);
  assert.ok(await access(fakeContext({ clientIp: '3.3.3.3' }), byRoute), 'every client of the route shares one count');
});

const plan = (name: string, limit: number): Plan => ({ name, title: '', description: '', rate_limits: [{ window: 'minute', limit }], price: { model: 'free', currency: 'USD', monthly_minor: 0, per_call_minor: 0, included_calls: 0, tiers: [] }, requires_approval: false, tags: [] });

test('source: plan uses the caller’s plan for the service; no plan and no default limits → 403', async () => {
  const entitlements = compileEntitlements([plan('free', 1), plan('business', 3)],
    [{ name: 'shipping', title: '', description: '', services: ['s'], plans: ['free', 'business'], status: 'published', tags: [] }],
    [{ consumer: 'acme', product: 'shipping', plan: 'business', status: 'active' }, { consumer: 'globex', product: 'shipping', plan: 'free', status: 'active' }]);
  const identities = compileIdentities([{ name: 'acme', groups: [] }, { name: 'globex', groups: [] }, { name: 'initech', groups: [] }], [], undefined, entitlements);
  const as = (consumer: string) => ({ ...fakeContext({ identities }), consumer: { id: consumer } });
  const conf = compile({ source: 'plan' });
  const acme = [];
  for (let i = 0; i < 4; i++) acme.push((await access(as('acme'), conf)) === undefined);
  assert.deepEqual(acme, [true, true, true, false]);
  assert.equal(await access(as('globex'), conf), undefined);
  assert.ok(await access(as('globex'), conf));
  const none = await access(as('initech'), conf);
  assert.ok(none && 'problem' in none && none.problem === 'subscription-required');

  const byPlan = compile({ source: 'plan', limit_by: 'plan', limits: [{ window: 'minute', limit: 1 }] });
  assert.equal(await access(as('acme'), byPlan), undefined, 'plan business: 3 for all its subscribers together');
  assert.equal(await access(as('acme'), byPlan), undefined);
  assert.equal(await access(as('acme'), byPlan), undefined);
  assert.ok(await access(as('acme'), byPlan));
  assert.equal(await access(as('initech'), byPlan), undefined, 'no plan: the default limits, by IP');
});

test('Redis unreachable: fail-closed answers 503, fail-open counts on this node', async () => {
  const redis = { url: `redis://127.0.0.1:${await refusedPort()}`, command_timeout_ms: 50, key_prefix: 'pt:' };
  const env = { ...fresh(), redis };
  const closed = compile({ limits: [{ window: 'hour', limit: 2 }], backend: 'redis', fail: 'closed' }, env);
  const r = await access(fakeContext(), closed);
  assert.ok(r && 'problem' in r);
  assert.equal(r.problem, 'rate-limit-unavailable');
  assert.equal(r.headers!['retry-after'], '1');
  const open = compile({ limits: [{ window: 'hour', limit: 2 }], backend: 'redis', fail: 'open' }, { ...env, attachedTo: { scope: 'route', name: `o-${randomBytes(4).toString('hex')}` } });
  const outcomes = [];
  for (let i = 0; i < 3; i++) outcomes.push((await access(fakeContext(), open)) === undefined);
  assert.deepEqual(outcomes, [true, true, false], 'the per-node count still enforces the limit');
});

test('cost: graphql counts the GraphQL operation’s cost (at least 1); other requests count 1', async () => {
  const conf = compile({ limits: [{ window: 'hour', limit: 10 }], cost: 'graphql', limit_by: 'route' });
  const withCost = (cost: number) => {
    const ctx = fakeContext();
    ctx.vars.graphql = { operation: 'Q', type: 'query', cost };
    return ctx;
  };
  assert.equal(await access(withCost(6), conf), undefined);
  const refused = await access(withCost(5), conf);
  assert.ok(refused && 'problem' in refused && refused.problem === 'rate-limited', '6 + 5 > 10');
  assert.equal(await access(withCost(0), conf), undefined, 'cost 0 still counts 1');
  assert.equal(await access(fakeContext(), conf), undefined, 'no operation: 1');
  assert.equal(await access(withCost(2), conf), undefined, 'the refused 5 consumed nothing: 6 + 1 + 1 + 2 = 10');
  assert.ok(await access(fakeContext(), conf));
  const byRequest = compile({ limits: [{ window: 'hour', limit: 2 }], limit_by: 'route' });
  assert.equal(await access(withCost(100), byRequest), undefined, 'without the option a request counts 1 whatever its cost');
});
