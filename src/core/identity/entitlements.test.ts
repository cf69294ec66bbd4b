import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileEntitlements } from './entitlements.ts';
import type { Plan, Product, Subscription } from '../entities/schemas.ts';

const plan = (name: string): Plan => ({ name, title: '', description: '', rate_limits: [{ window: 'minute', limit: 10 }], price: { model: 'free', currency: 'USD', monthly_minor: 0, per_call_minor: 0, included_calls: 0, tiers: [] }, requires_approval: false, tags: [] });
const product = (name: string, services: string[], plans: string[]): Product => ({ name, title: '', description: '', services, plans, status: 'published', tags: [] });

test('an active subscription gives the consumer its plan on every service of the product', () => {
  const subs: Subscription[] = [
    { consumer: 'acme', product: 'shipping', plan: 'business', status: 'active' },
    { consumer: 'globex', product: 'shipping', plan: 'free', status: 'suspended' },
  ];
  const e = compileEntitlements([plan('free'), plan('business')], [product('shipping', ['labels', 'tracking'], ['free', 'business'])], subs);
  assert.equal(e.planFor('acme', 'labels')?.plan.name, 'business');
  assert.equal(e.planFor('acme', 'tracking')?.product, 'shipping');
  assert.equal(e.planFor('acme', 'billing'), undefined);
  assert.equal(e.planFor('globex', 'labels'), undefined, 'only active subscriptions count');
  assert.equal(e.planFor('nobody', 'labels'), undefined);
});

test('two products covering one service: the first product by name decides, whatever the order written', () => {
  const products = [product('zeta', ['labels'], ['free']), product('alpha', ['labels'], ['business'])];
  const subs: Subscription[] = [
    { consumer: 'acme', product: 'zeta', plan: 'free', status: 'active' },
    { consumer: 'acme', product: 'alpha', plan: 'business', status: 'active' },
  ];
  assert.equal(compileEntitlements([plan('free'), plan('business')], products, subs).planFor('acme', 'labels')?.product, 'alpha');
  assert.equal(compileEntitlements([plan('free'), plan('business')], products, subs.toReversed()).planFor('acme', 'labels')?.product, 'alpha');
});
