// Config document ↔ entity sets, and the cross references between consumers, plans, products and
// subscriptions that the file (and every admin write) must satisfy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../config/errors.ts';
import { checkConfig } from '../config/load.ts';
import { assemble, decompose } from './document.ts';
import { KINDS } from './kinds.ts';

const DOC = {
  services: [{ name: 's1', targets: [{ url: 'http://127.0.0.1:1' }], plugins: [{ name: 'request-termination', config: {} }] }],
  routes: [
    { name: 'r2', service: 's1', paths: ['/b'], plugins: [{ name: 'response-transformer', config: {} }] },
    { name: 'r1', service: 's1', paths: ['/a'] },
  ],
  plugins: [{ name: 'ip-restriction', config: { deny: ['10.0.0.0/8'] } }],
  consumers: [{ name: 'acme' }],
  plans: [{ name: 'free' }],
  products: [{ name: 'p', services: ['s1'], plans: ['free'] }],
  subscriptions: [{ consumer: 'acme', product: 'p', plan: 'free' }],
};

test('decompose → assemble gives back the same checked document, order included', () => {
  const config = checkConfig(DOC);
  const sets = decompose(config);
  assert.deepEqual(sets.plugin.map((p) => p.key), ['ip-restriction@global', 'request-termination@service:s1', 'response-transformer@route:r2']);
  assert.deepEqual(sets.route.map((r) => [r.key, r.position]), [['r2', 0], ['r1', 1]]);
  assert.deepEqual(checkConfig(assemble(sets, config.gateway)), config);
});

test('entity sets come back in position order whatever order they are listed in', () => {
  const config = checkConfig(DOC);
  const sets = decompose(config);
  sets.route.reverse();
  assert.deepEqual((assemble(sets, {}).routes as { name: string }[]).map((r) => r.name), ['r2', 'r1']);
});

test('natural keys: by name, plugins by name and scope, subscriptions by consumer/product', () => {
  assert.equal(KINDS.plugin.key({ name: 'cors', route: 'r' }), 'cors@route:r');
  assert.equal(KINDS.plugin.key({ name: 'cors' }), 'cors@global');
  assert.equal(KINDS.subscription.key({ consumer: 'c', product: 'p', plan: 'x' }), 'c/p');
});

test('commerce references are checked: unknown names, plans a product does not offer, duplicates', () => {
  const bad = structuredClone(DOC) as Record<string, unknown[]>;
  bad.consumers!.push({ name: 'acme' });
  bad.products!.push({ name: 'q', services: ['ghost'], plans: ['gold'] });
  bad.subscriptions!.push({ consumer: 'nobody', product: 'p', plan: 'free' }, { consumer: 'acme', product: 'p', plan: 'free' }, { consumer: 'acme', product: 'q', plan: 'free' });
  let issues: string[] = [];
  try {
    checkConfig(bad);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    issues = err.issues.map((i) => `${i.pointer} ${i.message}`);
  }
  assert.deepEqual(issues.sort(), [
    '/consumers/1/name duplicate consumer name "acme"',
    '/products/1/plans/0 no plan is named "gold"',
    '/products/1/services/0 no service is named "ghost"',
    '/subscriptions/1/consumer no consumer is named "nobody"',
    '/subscriptions/2 consumer "acme" is already subscribed to product "p"',
    '/subscriptions/3/plan product "q" has no plan "free"',
  ]);
});
