import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PassiveHealthCheck } from '../../core/config/schema.ts';
import { HealthRegistry, targetKey } from './registry.ts';

const policy: PassiveHealthCheck = { unhealthy_threshold: 3, unhealthy_statuses: [502, 503, 504], recovery_ms: 1000 };
const KEY = targetKey('svc', 'http://10.0.0.1:80');

function recorder(reg: HealthRegistry): [string, boolean][] {
  const events: [string, boolean][] = [];
  reg.onChange((k, h) => events.push([k, h]));
  return events;
}

test('targetKey joins service and origin', () => {
  assert.equal(KEY, 'svc|http://10.0.0.1:80');
  assert.notEqual(targetKey('a', 'http://x'), targetKey('b', 'http://x'));
});

test('a new target is healthy, and get returns the same record every time', () => {
  const reg = new HealthRegistry();
  const t = reg.get(KEY);
  assert.deepEqual({ ...t }, { key: KEY, activeHealthy: true, passiveFailures: 0, ejectedUntil: 0 });
  assert.equal(reg.get(KEY), t);
  assert.equal(reg.isHealthy(t, Date.now()), true);
});

test('passive: ejected after exactly unhealthy_threshold consecutive failures, for recovery_ms', () => {
  const reg = new HealthRegistry();
  const events = recorder(reg);
  const t = reg.get(KEY);
  const now = 1_000_000;
  reg.recordFailure(t, policy, now);
  reg.recordFailure(t, policy, now);
  assert.equal(reg.isHealthy(t, now), true);
  assert.deepEqual(events, []);
  reg.recordFailure(t, policy, now);
  assert.equal(reg.isHealthy(t, now), false);
  assert.equal(reg.isHealthy(t, now + policy.recovery_ms - 1), false);
  assert.equal(reg.isHealthy(t, now + policy.recovery_ms), true, 'tried again after recovery_ms');
  assert.deepEqual(events, [[KEY, false]]);
});

test('passive: a success resets the count of consecutive failures', () => {
  const reg = new HealthRegistry();
  const t = reg.get(KEY);
  const now = 5000;
  for (let round = 0; round < 5; round++) {
    reg.recordFailure(t, policy, now);
    reg.recordFailure(t, policy, now);
    reg.recordSuccess(t);
  }
  assert.equal(t.passiveFailures, 0);
  assert.equal(reg.isHealthy(t, now), true);
});

test('passive: without a policy failures are ignored', () => {
  const reg = new HealthRegistry();
  const t = reg.get(KEY);
  for (let i = 0; i < 100; i++) reg.recordFailure(t, undefined, 1);
  assert.equal(reg.isHealthy(t, 1), true);
  assert.equal(t.passiveFailures, 0);
});

test('passive: failing again after recovery ejects again', () => {
  const reg = new HealthRegistry();
  const events = recorder(reg);
  const t = reg.get(KEY);
  for (let i = 0; i < 3; i++) reg.recordFailure(t, policy, 0);
  const later = policy.recovery_ms + 10;
  assert.equal(reg.isHealthy(t, later), true);
  for (let i = 0; i < 3; i++) reg.recordFailure(t, policy, later);
  assert.equal(reg.isHealthy(t, later), false);
  assert.equal(reg.isHealthy(t, later + policy.recovery_ms), true);
  assert.deepEqual(events, [[KEY, false], [KEY, false]]);
});

test('passive: a success ends an ejection and is announced', () => {
  const reg = new HealthRegistry();
  const events = recorder(reg);
  const t = reg.get(KEY);
  for (let i = 0; i < 3; i++) reg.recordFailure(t, policy, 100);
  reg.recordSuccess(t);
  assert.equal(reg.isHealthy(t, 100), true);
  assert.deepEqual(events, [[KEY, false], [KEY, true]]);
  reg.recordSuccess(t);
  assert.equal(events.length, 2, 'no event without a change');
});

test('active: setActive(false) takes a target out and setActive(true) puts it back, events only on change', () => {
  const reg = new HealthRegistry();
  const events = recorder(reg);
  const t = reg.get(KEY);
  reg.setActive(KEY, false);
  reg.setActive(KEY, false);
  assert.equal(reg.isHealthy(t, Date.now()), false);
  reg.setActive(KEY, true);
  reg.setActive(KEY, true);
  assert.equal(reg.isHealthy(t, Date.now()), true);
  assert.deepEqual(events, [[KEY, false], [KEY, true]]);
});

test('active down wins over passive: a success in traffic does not bring back an actively failed target', () => {
  const reg = new HealthRegistry();
  const t = reg.get(KEY);
  reg.setActive(KEY, false);
  reg.recordSuccess(t);
  assert.equal(reg.isHealthy(t, Date.now()), false);
});

test('an active healthy verdict ends a passive ejection and clears the failure count', () => {
  const reg = new HealthRegistry();
  const t = reg.get(KEY);
  reg.setActive(KEY, false);
  for (let i = 0; i < 3; i++) reg.recordFailure(t, policy, 0);
  reg.recordFailure(t, policy, 0);
  reg.setActive(KEY, true);
  assert.equal(reg.isHealthy(t, 1), true);
  assert.equal(t.ejectedUntil, 0);
  assert.equal(t.passiveFailures, 0);
});

test('targets are independent', () => {
  const reg = new HealthRegistry();
  const other = targetKey('svc', 'http://10.0.0.2:80');
  for (let i = 0; i < 3; i++) reg.recordFailure(reg.get(KEY), policy, 0);
  reg.setActive(KEY, false);
  assert.equal(reg.isHealthy(reg.get(other), 0), true);
  assert.equal(reg.get(targetKey('svc2', 'http://10.0.0.1:80')).activeHealthy, true, 'same origin, other service');
});

test('retainOnly forgets removed targets; snapshot reports health', () => {
  const reg = new HealthRegistry();
  const other = targetKey('svc', 'http://10.0.0.2:80');
  reg.setActive(KEY, false);
  reg.get(other);
  assert.deepEqual(reg.snapshot().sort((x, y) => x.key.localeCompare(y.key)), [{ key: KEY, healthy: false }, { key: other, healthy: true }]);
  reg.retainOnly(new Set([other]));
  assert.deepEqual(reg.snapshot(), [{ key: other, healthy: true }]);
  assert.equal(reg.get(KEY).activeHealthy, true, 'a re-added target starts fresh');
});
