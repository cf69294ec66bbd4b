// Platform events: from the events outbox to webhook messages, once, to the platform application
// and (for events about a consumer) to that consumer's applications.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensurePlatformModel, relayPlatformEvents } from '../../src/webhooks/relay.ts';
import { STORE_CASES } from './stores.ts';

const base = { description: '', event_types: null, channels: null, disabled: false, allow_http: true, rate_limit: null, max_in_flight: 4, headers: {} };

for (const c of STORE_CASES) {
  test(`${c.dialect}: quota events reach the platform application and the consumer's own, exactly once`, { skip: c.skip }, async (t) => {
    const { store } = await c.open(t);
    const ids = await store.write(async (tx) => {
      await ensurePlatformModel(tx);
      await ensurePlatformModel(tx); // idempotent
      const platform = (await tx.webhookModel.getApplication('platform'))!;
      const acme = await tx.webhookModel.createApplication({ name: 'acme-hooks', consumer: 'acme', description: '', metadata: {} });
      const beta = await tx.webhookModel.createApplication({ name: 'beta-hooks', consumer: 'beta', description: '', metadata: {} });
      const owner = await tx.webhookModel.createEndpoint(platform.id, { ...base, url: 'https://owner.example/h' }, []);
      const shop = await tx.webhookModel.createEndpoint(acme.id, { ...base, url: 'https://acme.example/h', event_types: ['quota.*'] }, []);
      const other = await tx.webhookModel.createEndpoint(beta.id, { ...base, url: 'https://beta.example/h' }, []);
      await tx.insertEvent({ type: 'quota.warning', subject: 'subscription:acme/shipping', idempotency_key: 'q1', payload: JSON.stringify({ subject: 'subscription:acme/shipping', consumer: 'acme', plan: 'gold', product: 'shipping', period: 'month', period_start: '2031-01-01T00:00:00.000Z', limit: 10, used: 8, threshold: 80, resets_at: '2031-02-01T00:00:00.000Z' }) });
      await tx.insertEvent({ type: 'consumer.created', subject: 'consumer:acme', idempotency_key: 'c1', payload: JSON.stringify({ consumer: 'acme', consumer_id: 'x', custom_id: null }) });
      return { owner: owner.id, shop: shop.id, other: other.id };
    });
    assert.equal(await relayPlatformEvents(store), 2);
    assert.equal(await relayPlatformEvents(store), 0, 'relayed once');
    const messages = (await store.read().webhookLog.listMessages({ limit: 10 })).data;
    const deliveries = (await Promise.all(messages.map((m) => store.read().webhookLog.deliveriesOf(m.id)))).flat();
    const to = (endpoint: string) => deliveries.filter((d) => d.endpoint_id === endpoint).map((d) => messages.find((m) => m.id === d.message_id)!.event_type).sort();
    assert.deepEqual(to(ids.owner), ['consumer.created', 'quota.warning']);
    assert.deepEqual(to(ids.shop), ['quota.warning'], 'the consumer hears about its own quota');
    assert.deepEqual(to(ids.other), [], 'and nobody else does');
    assert.deepEqual((await store.read().unpublishedEvents(10)), []);
  });
}

const pgCase = STORE_CASES.find((c) => c.dialect === 'postgres')!;
test('postgres: nodes starting together register the platform model once, and concurrent relays publish each event once', { skip: pgCase.skip }, async (t) => {
  const { store } = await pgCase.open(t);
  await Promise.all(Array.from({ length: 4 }, () => store.write((tx) => ensurePlatformModel(tx))));
  assert.equal((await store.read().webhookModel.listApplications({ limit: 10 })).data.filter((a) => a.name === 'platform').length, 1);
  await store.write(async (tx) => {
    const platform = (await tx.webhookModel.getApplication('platform'))!;
    await tx.webhookModel.createEndpoint(platform.id, { ...base, url: 'https://owner.example/h' }, []);
    for (let i = 0; i < 50; i++) await tx.insertEvent({ type: 'consumer.created', subject: `consumer:c${i}`, idempotency_key: `c${i}`, payload: JSON.stringify({ consumer: `c${i}`, consumer_id: String(i), custom_id: null }) });
  });
  const taken = await Promise.all(Array.from({ length: 4 }, () => relayPlatformEvents(store)));
  assert.equal(taken.reduce((a, b) => a + b, 0), 50);
  assert.equal((await store.read().webhookLog.listMessages({ limit: 100 })).data.length, 50);
});
