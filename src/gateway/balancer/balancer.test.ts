import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pool } from 'undici';
import { HistogramSeries } from '../../telemetry/fast-series.ts';
import type { UpstreamTarget } from '../upstream/target.ts';
import type { Balancer } from './balancer.ts';
import { ConsistentHashBalancer, hash32 } from './consistent-hash.ts';
import { LeastConnectionsBalancer } from './least-connections.ts';
import { RoundRobinBalancer } from './round-robin.ts';

/** A fake target: only what the balancers look at is real. */
function target(name: string, weight = 100, inFlight = 0): UpstreamTarget {
  const origin = `http://${name}.test:8080`;
  return {
    origin,
    hostHeader: `${name}.test:8080`,
    label: `${name}.test:8080`,
    weight,
    pool: {} as Pool,
    poolKey: origin,
    health: { key: `svc|${origin}`, activeHealthy: true, passiveFailures: 0, ejectedUntil: 0 },
    latency: new HistogramSeries({}, [1]),
    inFlight,
  };
}

const all = () => true;
const healthyExcept = (...down: UpstreamTarget[]) => (t: UpstreamTarget) => !down.includes(t);

function counts(b: Balancer, n: number, isHealthy: (t: UpstreamTarget) => boolean = all, key = (i: number) => String(i)): Map<UpstreamTarget | undefined, number> {
  const m = new Map<UpstreamTarget | undefined, number>();
  for (let i = 0; i < n; i++) {
    const t = b.pick(isHealthy, key(i), undefined);
    m.set(t, (m.get(t) ?? 0) + 1);
  }
  return m;
}

// ---- round robin ----------------------------------------------------------------------------

test('round robin: weights 1:2:3 give exact 100/200/300 over 600 picks', () => {
  const [a, b, c] = [target('a', 1), target('b', 2), target('c', 3)];
  const m = counts(new RoundRobinBalancer([a, b, c]), 600);
  assert.equal(m.get(a), 100);
  assert.equal(m.get(b), 200);
  assert.equal(m.get(c), 300);
});

test('round robin is smooth: every window of sum(weights) picks holds each target weight times', () => {
  const [a, b, c] = [target('a', 1), target('b', 2), target('c', 3)];
  const rr = new RoundRobinBalancer([a, b, c]);
  const seq = Array.from({ length: 60 }, () => rr.pick(all, '', undefined));
  for (let w = 0; w < 60; w += 6) {
    const window = seq.slice(w, w + 6);
    assert.deepEqual([a, b, c].map((t) => window.filter((x) => x === t).length), [1, 2, 3], `window at ${w}`);
  }
  // interleaved, not bursts: the weight-3 target is never picked three times in a row
  for (let i = 2; i < seq.length; i++) assert.ok(!(seq[i] === c && seq[i - 1] === c && seq[i - 2] === c), `burst at ${i}`);
});

test('round robin: weight 0 is never chosen, equal weights alternate', () => {
  const [a, b, z] = [target('a'), target('b'), target('z', 0)];
  const rr = new RoundRobinBalancer([a, z, b]);
  const seq = Array.from({ length: 10 }, () => rr.pick(all, '', undefined));
  assert.ok(!seq.includes(z));
  for (let i = 1; i < seq.length; i++) assert.notEqual(seq[i], seq[i - 1]);
});

test('round robin skips unhealthy targets and returns undefined when none is healthy', () => {
  const [a, b, c] = [target('a'), target('b'), target('c')];
  const rr = new RoundRobinBalancer([a, b, c]);
  const m = counts(rr, 30, healthyExcept(b));
  assert.equal(m.get(b), undefined);
  assert.equal(m.get(a), 15);
  assert.equal(m.get(c), 15);
  assert.equal(rr.pick(() => false, '', undefined), undefined);
  assert.equal(new RoundRobinBalancer([a]).pick(() => false, '', undefined), undefined);
});

test('round robin avoids excluded targets, but falls back to them when nothing else is healthy', () => {
  const [a, b] = [target('a', 1000), target('b', 1)];
  const rr = new RoundRobinBalancer([a, b]);
  for (let i = 0; i < 20; i++) assert.equal(rr.pick(all, '', [a]), b);
  assert.equal(rr.pick(healthyExcept(b), '', [a]), a);
  const only = new RoundRobinBalancer([a]);
  assert.equal(only.pick(all, '', [a]), a);
  assert.equal(rr.pick(all, '', [a, b]) !== undefined, true);
});

// ---- least connections ------------------------------------------------------------------------

test('least connections picks the target with the fewest requests in flight', () => {
  const [a, b, c] = [target('a', 100, 5), target('b', 100, 1), target('c', 100, 3)];
  const lc = new LeastConnectionsBalancer([a, b, c]);
  for (let i = 0; i < 10; i++) assert.equal(lc.pick(all, '', undefined), b);
  b.inFlight = 9;
  assert.equal(lc.pick(all, '', undefined), c);
});

test('least connections weighs load by weight', () => {
  // a: (4+1)/100 = 0.05, b: (9+1)/300 = 0.033 → b despite more requests in flight
  const [a, b] = [target('a', 100, 4), target('b', 300, 9)];
  const lc = new LeastConnectionsBalancer([a, b]);
  assert.equal(lc.pick(all, '', undefined), b);
  b.inFlight = 20; // 21/300 = 0.07 > 0.05
  assert.equal(lc.pick(all, '', undefined), a);
});

test('least connections rotates among equally loaded targets', () => {
  const [a, b, c] = [target('a'), target('b'), target('c')];
  const m = counts(new LeastConnectionsBalancer([a, b, c]), 300);
  assert.equal(m.get(a), 100);
  assert.equal(m.get(b), 100);
  assert.equal(m.get(c), 100);
});

test('least connections: weight 0, unhealthy and excluded targets', () => {
  const [a, b, z] = [target('a', 100, 50), target('b', 100, 0), target('z', 0, 0)];
  const lc = new LeastConnectionsBalancer([a, b, z]);
  assert.ok(![...counts(lc, 20).keys()].includes(z));
  assert.equal(lc.pick(healthyExcept(b), '', undefined), a);
  assert.equal(lc.pick(all, '', [b]), a);
  assert.equal(lc.pick(healthyExcept(a), '', [b]), b, 'falls back to an excluded target');
  assert.equal(lc.pick(() => false, '', undefined), undefined);
});

// ---- consistent hash --------------------------------------------------------------------------

const keys = Array.from({ length: 3000 }, (_, i) => `user-${i}`);
const assign = (b: Balancer, isHealthy: (t: UpstreamTarget) => boolean = all) => new Map(keys.map((k) => [k, b.pick(isHealthy, k, undefined)]));

test('hash32 is a deterministic unsigned 32-bit hash', () => {
  assert.equal(hash32('abc'), hash32('abc'));
  assert.notEqual(hash32('abc'), hash32('abd'));
  for (const s of ['', 'a', 'user-1', '10.0.0.1']) {
    const h = hash32(s);
    assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff, s);
  }
});

test('consistent hash: a key always maps to the same target, and keys spread over all targets', () => {
  const ts = [target('a'), target('b'), target('c')];
  const ch = new ConsistentHashBalancer(ts);
  const first = assign(ch);
  assert.deepEqual(assign(ch), first);
  assert.deepEqual(assign(new ConsistentHashBalancer(ts.toReversed())), first, 'independent of target order');
  for (const t of ts) {
    const share = [...first.values()].filter((x) => x === t).length / keys.length;
    assert.ok(share > 0.2 && share < 0.47, `${t.label} share ${share}`);
  }
});

test('consistent hash: removing a target only moves that target\'s keys', () => {
  const [a, b, c] = [target('a'), target('b'), target('c')];
  const before = assign(new ConsistentHashBalancer([a, b, c]));
  const after = assign(new ConsistentHashBalancer([a, b]));
  let moved = 0;
  for (const k of keys) {
    if (before.get(k) === c) { moved++; assert.notEqual(after.get(k), c); } else assert.equal(after.get(k), before.get(k), k);
  }
  assert.ok(moved > 0);
});

test('consistent hash: adding a target only moves keys to the new target', () => {
  const [a, b, c, d] = [target('a'), target('b'), target('c'), target('d')];
  const before = assign(new ConsistentHashBalancer([a, b, c]));
  const after = assign(new ConsistentHashBalancer([a, b, c, d]));
  let moved = 0;
  for (const k of keys) {
    if (after.get(k) !== before.get(k)) { moved++; assert.equal(after.get(k), d, k); }
  }
  assert.ok(moved > keys.length * 0.1 && moved < keys.length * 0.4, `moved ${moved}`);
});

test('consistent hash: an unhealthy target\'s keys go elsewhere, the others stay', () => {
  const [a, b, c] = [target('a'), target('b'), target('c')];
  const ch = new ConsistentHashBalancer([a, b, c]);
  const before = assign(ch);
  const during = assign(ch, healthyExcept(b));
  for (const k of keys) {
    if (before.get(k) === b) assert.ok(during.get(k) === a || during.get(k) === c, k);
    else assert.equal(during.get(k), before.get(k), k);
  }
  assert.deepEqual(assign(ch), before, 'keys return once the target is healthy');
  assert.equal(ch.pick(() => false, 'k', undefined), undefined);
});

test('consistent hash: weight shapes the share, weight 0 is never chosen', () => {
  const [a, b, z] = [target('a', 300), target('b', 100), target('z', 0)];
  const m = assign(new ConsistentHashBalancer([a, b, z]));
  const share = (t: UpstreamTarget) => [...m.values()].filter((x) => x === t).length / keys.length;
  assert.equal(share(z), 0);
  assert.ok(share(a) > 0.6 && share(a) < 0.88, `heavy share ${share(a)}`);
});

test('consistent hash: an excluded target is avoided, but used when it is the only healthy one', () => {
  const [a, b] = [target('a'), target('b')];
  const ch = new ConsistentHashBalancer([a, b]);
  for (const k of keys.slice(0, 200)) {
    const first = ch.pick(all, k, undefined)!;
    const other = first === a ? b : a;
    assert.equal(ch.pick(all, k, [first]), other, k);
    assert.equal(ch.pick(healthyExcept(other), k, [first]), first, k);
  }
});
