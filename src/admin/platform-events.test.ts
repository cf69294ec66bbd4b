import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from '../store/open.ts';
import { announceEntityChange } from './platform-events.ts';

test('config changes raise platform events: consumer created, subscription approved (once per activation)', async (t) => {
  const store = await openStore('sqlite::memory:');
  t.after(() => store.close());
  const sub = { consumer: 'acme', product: 'shipping', plan: 'gold' };
  await store.write(async (tx) => {
    await announceEntityChange(tx, 'consumer', 'c1', null, { name: 'acme', groups: [] });
    await announceEntityChange(tx, 'consumer', 'c1', { name: 'acme' }, { name: 'acme', custom_id: 'x' });
    await announceEntityChange(tx, 'subscription', 's1', null, { ...sub, status: 'pending' });
    await announceEntityChange(tx, 'subscription', 's1', { ...sub, status: 'pending' }, { ...sub, status: 'active' });
    await announceEntityChange(tx, 'subscription', 's1', { ...sub, status: 'active' }, { ...sub, plan: 'silver', status: 'active' });
    await announceEntityChange(tx, 'subscription', 's2', null, { ...sub, consumer: 'beta', status: 'active' });
    await announceEntityChange(tx, 'route', 'r1', null, { name: 'r' });
  });
  const events = (await store.read().listEvents({ limit: 10 })).data.map((e) => [e.type, JSON.parse(e.payload) as Record<string, unknown>] as const);
  assert.deepEqual(events.map(([type, p]) => `${type}:${String(p.consumer)}`), ['consumer.created:acme', 'subscription.approved:acme', 'subscription.approved:beta']);
  assert.deepEqual(events[1]![1], { subscription: 'acme/shipping', consumer: 'acme', product: 'shipping', plan: 'gold' });
});
