import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OUTCOME_FAILURE, OUTCOME_NONE, OUTCOME_SUCCESS } from '../../core/pipeline/upstream-guard.ts';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { CircuitBreaker, CLOSED, CLOSED_PERMIT, FOLLOWER_GRACE_MS, HALF_OPEN, OPEN, REFUSED, STATE_NAMES, type BreakerSettings } from './breaker.ts';
import type { BreakerGuard } from './guard.ts';
import { circuitBreaker } from './plugin.ts';
import { BreakerRegistry, BREAKERS } from './registry.ts';

const SETTINGS: BreakerSettings = {
  failureRatio: 0.5, minRequests: 4, windowMs: 10_000, cooldownMs: 1000, cooldownMultiplier: 2, maxCooldownMs: 3000,
  halfOpenMaxProbes: 2, halfOpenSuccesses: 2,
};

function breaker(over: Partial<BreakerSettings> = {}) {
  const log: string[] = [];
  const b = new CircuitBreaker({ ...SETTINGS, ...over }, (_b, from, to, now) => log.push(`${STATE_NAMES[from]}→${STATE_NAMES[to]}@${now}`));
  return { b, log };
}

/** One request through a closed breaker. */
function call(b: CircuitBreaker, ok: boolean, now: number): void {
  const p = b.acquire(now);
  assert.equal(p, CLOSED_PERMIT);
  b.release(p, ok ? OUTCOME_SUCCESS : OUTCOME_FAILURE, now);
}

test('closed → open only once min_requests are in the window and the ratio is reached', () => {
  const { b, log } = breaker();
  call(b, false, 0);
  call(b, false, 1);
  call(b, false, 2);
  assert.equal(b.state(3), CLOSED, '3 failures < min_requests 4');
  call(b, true, 4);
  // 3 of 4 failed (75% ≥ 50%): the 4th request counted makes it trip… but a success never opens
  assert.equal(b.state(5), CLOSED);
  call(b, false, 6);
  assert.equal(b.state(7), OPEN);
  assert.deepEqual(log, ['closed→open@6']);
});

test('below the ratio stays closed', () => {
  const { b } = breaker({ minRequests: 1 });
  for (let i = 0; i < 10; i++) call(b, true, i);
  for (let i = 0; i < 9; i++) call(b, false, 20 + i); // 9 of 19 failed: 47%
  assert.equal(b.state(100), CLOSED);
  call(b, false, 101); // 10 of 20: 50%
  assert.equal(b.state(102), OPEN);
});

test('the rolling window drops old buckets', () => {
  const { b } = breaker();
  call(b, false, 0);
  call(b, false, 1);
  call(b, false, 2);
  // 10 s later the first bucket has rolled off: these are the only requests in the window
  call(b, false, 10_500);
  assert.equal(b.state(10_500), CLOSED, 'the three old failures rolled off');
  assert.equal(b.view(10_500).requests, 1);
  // within one window they add up
  call(b, false, 11_000);
  call(b, false, 12_000);
  call(b, false, 19_000);
  assert.equal(b.state(19_000), OPEN);
});

test('a partial roll keeps the newer buckets', () => {
  const { b } = breaker();
  call(b, false, 0);
  call(b, false, 5000);
  assert.equal(b.view(9999).requests, 2);
  assert.equal(b.view(10_000).requests, 1, 'the bucket of t=0 rolled off');
  assert.equal(b.view(15_000).requests, 0);
});

test('open refuses until the cool-down, then half-open admits at most half_open_max_probes', () => {
  const { b, log } = breaker({ minRequests: 1 });
  call(b, false, 100);
  assert.equal(b.acquire(500), REFUSED);
  assert.equal(b.admits(1099), false);
  assert.equal(b.retryInMs(600), 500);
  assert.equal(b.admits(1100), true);
  assert.equal(b.state(1100), HALF_OPEN);
  const p1 = b.acquire(1100);
  const p2 = b.acquire(1100);
  assert.ok(p1 > 0 && p2 > 0);
  assert.equal(b.acquire(1100), REFUSED, 'two probes at most');
  assert.equal(b.admits(1100), false);
  // a probe that ends uncounted (client gone) frees its slot
  b.release(p1, OUTCOME_NONE, 1101);
  assert.equal(b.admits(1101), true);
  const p3 = b.acquire(1101);
  b.release(p2, OUTCOME_SUCCESS, 1102);
  assert.equal(b.state(1102), HALF_OPEN, 'one success of two');
  b.release(p3, OUTCOME_SUCCESS, 1103);
  assert.equal(b.state(1103), CLOSED);
  assert.deepEqual(log, ['closed→open@100', 'open→half-open@1100', 'half-open→closed@1103']);
  assert.equal(b.view(1103).requests, 0, 'a closed breaker starts with an empty window');
});

test('a probe failure reopens with a growing cool-down, capped; closing resets it', () => {
  const { b, log } = breaker({ minRequests: 1 });
  call(b, false, 0);
  let p = b.acquire(1000);
  b.release(p, OUTCOME_FAILURE, 1000);
  assert.equal(b.state(1000), OPEN);
  assert.equal(b.retryInMs(1000), 2000, 'doubled');
  p = b.acquire(3000);
  b.release(p, OUTCOME_FAILURE, 3000);
  assert.equal(b.retryInMs(3000), 3000, 'capped at max_cooldown_ms');
  p = b.acquire(6000);
  const q = b.acquire(6000);
  b.release(p, OUTCOME_SUCCESS, 6001);
  b.release(q, OUTCOME_SUCCESS, 6002);
  assert.equal(b.state(6002), CLOSED);
  call(b, false, 7000);
  assert.equal(b.retryInMs(7000), 1000, 'back to the base cool-down');
  assert.deepEqual(log, ['closed→open@0', 'open→half-open@1000', 'half-open→open@1000', 'open→half-open@3000', 'half-open→open@3000', 'open→half-open@6000', 'half-open→closed@6002', 'closed→open@7000']);
});

test('late outcomes are ignored: closed-era results after opening, probes of an earlier round', () => {
  const { b } = breaker({ minRequests: 1, halfOpenSuccesses: 1 });
  const early = b.acquire(0);
  call(b, false, 1);
  assert.equal(b.state(1), OPEN);
  b.release(early, OUTCOME_FAILURE, 2);
  assert.equal(b.retryInMs(2), 999, 'a stale failure does not restart the cool-down');
  const old = b.acquire(1001);
  b.release(b.acquire(1001), OUTCOME_FAILURE, 1002); // round 1 fails → open
  b.acquire(4000); // round 2 (cool-down doubled to 2 s)
  b.release(old, OUTCOME_SUCCESS, 4001);
  assert.equal(b.state(4001), HALF_OPEN, "round 1's probe does not close round 2");
});

test('the registry keeps breakers across identical configs and drops removed ones', () => {
  const reg = new BreakerRegistry();
  const seen: string[] = [];
  reg.onTransition((e, from, to) => seen.push(`${e.service}/${e.target ?? '-'} ${STATE_NAMES[from]}→${STATE_NAMES[to]}`));
  const g = reg.group('svc', 'fp1', { ...SETTINGS, minRequests: 1 }, 'both');
  const t = g.target('http://a:1')!;
  call(t, false, 0);
  assert.equal(reg.group('svc', 'fp1', SETTINGS, 'both'), g, 'same config: same breakers');
  assert.equal(g.target('http://a:1'), t);
  assert.deepEqual(seen, ['svc/http://a:1 closed→open']);
  reg.retainOnly(new Set(['svc']), new Set(['svc|http://b:2']));
  assert.notEqual(g.target('http://a:1'), t, 'a removed target is forgotten');
  const g2 = reg.group('svc', 'fp2', SETTINGS, 'targets');
  assert.notEqual(g2, g, 'a changed config starts afresh');
  assert.equal(g2.serviceBreaker, undefined);
  reg.retainOnly(new Set(), new Set());
  assert.deepEqual(reg.entries(), []);
});

test('plugin: the service breaker answers 503 circuit-open with Retry-After, or the fallback', () => {
  const conf = compileConf(circuitBreaker, { min_requests: 1, cooldown_ms: 4500, level: 'service' });
  const ctx = fakeContext();
  (ctx as { serviceName: string }).serviceName = 'unit-svc';
  assert.equal(circuitBreaker.handlers.access!(ctx, conf), undefined);
  const guard = ctx.upstream.guard as BreakerGuard;
  assert.ok(guard);
  assert.equal(guard.isFailureStatus(503), true);
  assert.equal(guard.isFailureStatus(404), false);
  guard.requestEnded(OUTCOME_FAILURE, Date.now());
  guard.requestEnded(OUTCOME_FAILURE, Date.now()); // once only: the second call is ignored
  const refused = circuitBreaker.handlers.access!(fakeContextFor('unit-svc'), conf);
  assert.deepEqual(refused, { problem: 'circuit-open', headers: { 'retry-after': '5' } });
  const withFallback = compileConf(circuitBreaker, { min_requests: 1, cooldown_ms: 4500, level: 'service', fallback: { status: 200, body: '{"cached":true}', content_type: 'application/json', headers: { 'X-Fallback': '1' } } });
  const ctx2 = fakeContextFor('unit-svc2');
  circuitBreaker.handlers.access!(ctx2, withFallback);
  ctx2.upstream.guard!.requestEnded(OUTCOME_FAILURE, Date.now());
  assert.deepEqual(circuitBreaker.handlers.access!(fakeContextFor('unit-svc2'), withFallback), { status: 200, headers: { 'x-fallback': '1', 'content-type': 'application/json', 'retry-after': '5' }, body: '{"cached":true}' });
  BREAKERS.retainOnly(new Set(), new Set());
});

test('plugin: a half-open service breaker lets only half_open_max_probes requests through', () => {
  const conf = compileConf(circuitBreaker, { min_requests: 1, cooldown_ms: 1, level: 'service', half_open_max_probes: 1 });
  const first = fakeContextFor('probe-svc');
  circuitBreaker.handlers.access!(first, conf);
  first.upstream.guard!.requestEnded(OUTCOME_FAILURE, Date.now());
  const start = Date.now();
  while (Date.now() - start < 5); // the 1 ms cool-down passes
  const probe = fakeContextFor('probe-svc');
  assert.equal(circuitBreaker.handlers.access!(probe, conf), undefined, 'the probe goes through');
  assert.deepEqual(circuitBreaker.handlers.access!(fakeContextFor('probe-svc'), conf), { problem: 'circuit-open', headers: { 'retry-after': '1' } });
  probe.upstream.guard!.requestEnded(OUTCOME_NONE, Date.now()); // the probe's client left: uncounted, slot freed
  assert.equal(circuitBreaker.handlers.access!(fakeContextFor('probe-svc'), conf), undefined);
  BREAKERS.retainOnly(new Set(), new Set());
});

test('config checks', () => {
  assert.throws(() => compileConf(circuitBreaker, { cooldown_ms: 5000, max_cooldown_ms: 1000 }), /max_cooldown_ms/);
  assert.throws(() => compileConf(circuitBreaker, { failure_ratio: 0 }));
  assert.throws(() => compileConf(circuitBreaker, { failure_ratio: 1.5 }));
  assert.deepEqual(circuitBreaker.scopes, ['global', 'service']);
});

function fakeContextFor(service: string) {
  const ctx = fakeContext();
  (ctx as { serviceName: string }).serviceName = service;
  return ctx;
}

test('another worker\'s verdicts: open until its retry time plus the follower grace, closed when its probes succeeded', () => {
  const log: string[] = [];
  const b = new CircuitBreaker(SETTINGS, (_b, from, to, now, adopted) => log.push(`${STATE_NAMES[from]}→${STATE_NAMES[to]}@${now}${adopted ? ' (adopted)' : ''}`));
  b.adopt('open', 100, 1100, 1000);
  assert.equal(b.state(100), OPEN);
  assert.equal(b.acquire(200), REFUSED);
  assert.equal(b.state(1100 + FOLLOWER_GRACE_MS - 1), OPEN, 'the worker that opened it probes first');
  b.adopt('open', 150, 600, 1000);
  assert.equal(b.retryAtMs, 1100 + FOLLOWER_GRACE_MS, 'an earlier verdict never shortens the opening');
  b.adopt('closed', 1500);
  assert.equal(b.state(1500), CLOSED);
  assert.equal(b.acquire(1501), CLOSED_PERMIT);
  assert.deepEqual(log, ['closed→open@100 (adopted)', 'open→closed@1500 (adopted)']);
  // Without a verdict in time, it probes by itself after the grace.
  b.adopt('open', 2000, 3000, 1000);
  assert.equal(b.state(3000 + FOLLOWER_GRACE_MS), HALF_OPEN);
  assert.ok(b.acquire(3000 + FOLLOWER_GRACE_MS) > 0, 'a probe permit');
  // Opened on its own traffic already: another worker's verdict does not make it wait longer.
  const own = breaker({ minRequests: 1 }).b;
  call(own, false, 5000);
  own.adopt('open', 5001, 5500, 1000);
  assert.equal(own.retryAtMs, 6000, 'it keeps its own cool-down and probes first');
  // A verdict whose time has passed changes nothing.
  const fresh = breaker().b;
  fresh.adopt('open', 10_000, 5000, 1000);
  assert.equal(fresh.state(10_000), CLOSED);
});

test('registry: own openings and closings become verdicts; adopted ones do not; verdicts reach breakers made later', () => {
  const registry = new BreakerRegistry();
  const verdicts: unknown[] = [];
  registry.onTransition((entry, _from, to, _now, adopted) => { const v = BreakerRegistry.verdictOf(entry, to, adopted); if (v) verdicts.push(v); });
  const group = registry.group('svc', 'fp', SETTINGS, 'both');
  const target = group.target('http://a:1')!;
  const now = Date.now();
  for (let i = 0; i < 4; i++) call(target, false, now);
  assert.deepEqual(verdicts, [{ service: 'svc', fingerprint: 'fp', target: 'http://a:1', verdict: 'open', retryAt: now + 1000, cooldownMs: 1000 }]);

  registry.adopt({ service: 'svc', fingerprint: 'fp', target: null, verdict: 'open', retryAt: now + 5000, cooldownMs: 5000 }, now);
  assert.equal(group.serviceBreaker!.state(now), OPEN, 'the service breaker adopted it');
  assert.equal(verdicts.length, 1, 'an adopted change is not announced again');
  registry.adopt({ service: 'svc', fingerprint: 'other config', target: 'http://b:1', verdict: 'open', retryAt: now + 5000, cooldownMs: 5000 }, now);
  registry.adopt({ service: 'svc', fingerprint: 'fp', target: 'http://b:1', verdict: 'open', retryAt: now + 5000, cooldownMs: 5000 }, now);
  assert.equal(group.target('http://b:1')!.state(now), OPEN, 'a breaker made after the verdict starts open');
  registry.adopt({ service: 'svc', fingerprint: 'fp', target: 'http://c:1', verdict: 'open', retryAt: now + 5000, cooldownMs: 5000 }, now);
  registry.adopt({ service: 'svc', fingerprint: 'fp', target: 'http://c:1', verdict: 'closed', retryAt: 0, cooldownMs: 0 }, now);
  assert.equal(group.target('http://c:1')!.state(now), CLOSED, 'a closed verdict cancels the kept one');
});
