// The run order of the bundled plugins is a contract (like Kong's plugins_order spec): changing
// a priority changes what users' configs do, so it must be a deliberate, reviewed change here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PHASES } from '../core/pipeline/phases.ts';
import { BUNDLED_PLUGINS } from './index.ts';

test('bundled plugins run in this order', () => {
  const order = [...BUNDLED_PLUGINS].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name)).map((p) => `${p.priority} ${p.name}`);
  assert.deepEqual(order, [
    '3000 ip-restriction',
    '2500 webhook-verify',
    '2000 cors',
    '1450 jwt',
    '1400 oauth2-introspection',
    '1250 key-auth',
    '1100 basic-auth',
    '999 request-validator',
    '994 soap-proxy',
    '993 soap-mediation',
    '951 request-size-limiting',
    '950 acl',
    '930 graphql',
    '910 rate-limiting',
    '908 quota',
    '905 concurrency-limit',
    '900 edi',
    '801 request-transformer',
    '800 response-transformer',
    '100 proxy-cache',
    '50 circuit-breaker',
    '2 request-termination',
  ]);
});

test('bundled plugins implement these phases', () => {
  const phases = Object.fromEntries(BUNDLED_PLUGINS.map((p) => [p.name, PHASES.filter((ph) => p.handlers[ph] !== undefined)]));
  assert.deepEqual(phases, {
    'ip-restriction': ['access'],
    'webhook-verify': ['access'],
    'cors': ['access', 'upstream-response'],
    'jwt': ['access'],
    'oauth2-introspection': ['access'],
    'key-auth': ['access'],
    'basic-auth': ['access'],
    'acl': ['access'],
    'quota': ['access'],
    'request-validator': ['access', 'upstream-response', 'response-body', 'log'],
    'request-size-limiting': ['access'],
    'rate-limiting': ['access'],
    'request-transformer': ['upstream-request'],
    'response-transformer': ['upstream-response', 'response-body'],
    'concurrency-limit': ['access', 'log'],
    'circuit-breaker': ['access'],
    'request-termination': ['access'],
    'proxy-cache': ['upstream-request', 'upstream-response', 'log'],
    'soap-proxy': ['access'],
    'soap-mediation': ['access', 'upstream-response', 'response-body'],
    'graphql': ['access'],
    'edi': ['access', 'response-body'],
  });
});

test('every plugin has a unique name, a version, a description and an object config schema', () => {
  const names = new Set<string>();
  for (const p of BUNDLED_PLUGINS) {
    assert.ok(!names.has(p.name), `duplicate plugin ${p.name}`);
    names.add(p.name);
    assert.match(p.name, /^[a-z][a-z0-9-]*$/);
    assert.match(p.version, /^\d+\.\d+\.\d+$/);
    assert.ok(p.description.length > 10);
    assert.equal((p.configSchema as { type?: string }).type, 'object');
    // A rewrite handler runs before routing, so only global instances can have one.
    if (p.handlers.rewrite) assert.deepEqual(p.scopes, ['global'], `${p.name} has a rewrite handler but is not global-only`);
  }
});

test('bundled plugins with the upstream-error hook', () => {
  assert.deepEqual(BUNDLED_PLUGINS.filter((p) => p.handlers['upstream-error'] !== undefined).map((p) => p.name), ['proxy-cache']);
});
