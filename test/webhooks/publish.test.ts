// Publishing and the delivery table on both stores: validation, fan-out, idempotency, claims and
// leases, and (Postgres) concurrent claimers that never share a delivery.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../../src/store/ports.ts';
import { IDEMPOTENCY_WINDOW_MS, publish, PublishError } from '../../src/webhooks/publish.ts';
import { STORE_CASES } from './stores.ts';

const shipment = { type: 'object', properties: { tracking: { type: 'string' }, weight: { type: 'number' } }, required: ['tracking'], additionalProperties: false };

async function model(store: Store) {
  return store.write(async (tx) => {
    const m = tx.webhookModel;
    await m.createEventType({ name: 'shipment.delivered', description: '', schemas: { '1': shipment }, example: { tracking: '1Z' } });
    await m.createEventType({ name: 'invoice.paid', description: '', schemas: {}, example: null });
    const acme = await m.createApplication({ name: 'acme', consumer: 'acme', description: '', metadata: {} });
    const other = await m.createApplication({ name: 'other', consumer: null, description: '', metadata: {} });
    const base = { description: '', channels: null, disabled: false, allow_http: true, rate_limit: null, max_in_flight: 8, headers: {} };
    const all = await m.createEndpoint(acme.id, { ...base, url: 'http://a.example/all', event_types: null }, []);
    const shipments = await m.createEndpoint(acme.id, { ...base, url: 'http://a.example/ship', event_types: ['shipment.*'] }, []);
    const invoices = await m.createEndpoint(acme.id, { ...base, url: 'http://a.example/inv', event_types: ['invoice.paid'] }, []);
    const eu = await m.createEndpoint(acme.id, { ...base, url: 'http://a.example/eu', event_types: null, channels: ['eu'] }, []);
    const off = await m.createEndpoint(acme.id, { ...base, url: 'http://a.example/off', event_types: null, disabled: true }, []);
    const otherAll = await m.createEndpoint(other.id, { ...base, url: 'http://o.example/all', event_types: null }, []);
    return { acme, other, all, shipments, invoices, eu, off, otherAll };
  });
}

const targets = async (store: Store, messageId: string) => (await store.read().webhookLog.deliveriesOf(messageId)).map((d) => d.endpoint_id).sort();

for (const c of STORE_CASES) {
  test(`${c.dialect}: a payload is validated against its event type's schema; unknown names are refused`, { skip: c.skip }, async (t) => {
    const { store } = await c.open(t);
    await model(store);
    await assert.rejects(publish(store, { event_type: 'shipment.delivered', payload: { weight: 'heavy' }, application: 'acme' }), (err: PublishError) => {
      assert.equal(err.kind, 'invalid');
      assert.deepEqual(err.violations.map((v) => v.pointer).sort(), ['/payload', '/payload/weight']);
      return true;
    });
    await assert.rejects(publish(store, { event_type: 'shipment.lost', payload: {} }), (err: PublishError) => err.kind === 'not-found');
    await assert.rejects(publish(store, { event_type: 'invoice.paid', payload: {}, application: 'nobody' }), (err: PublishError) => err.kind === 'not-found');
    assert.equal((await store.read().webhookLog.listMessages({ limit: 10 })).data.length, 0, 'nothing was stored');
  });

  test(`${c.dialect}: fan-out follows event-type filters, channels and disabled endpoints, in one transaction`, { skip: c.skip }, async (t) => {
    const { store } = await c.open(t);
    const m = await model(store);
    const r1 = await publish(store, { event_type: 'shipment.delivered', payload: { tracking: '1Z' }, application: 'acme' });
    assert.equal(r1.duplicate, false);
    assert.deepEqual(await targets(store, r1.message.id), [m.all.id, m.shipments.id].sort());
    const r2 = await publish(store, { event_type: 'invoice.paid', payload: { n: 1 }, application: 'acme', channels: ['eu'] });
    assert.deepEqual(await targets(store, r2.message.id), [m.all.id, m.invoices.id, m.eu.id].sort());
    const r3 = await publish(store, { event_type: 'invoice.paid', payload: {} });
    assert.equal(r3.message.application_id, null);
    assert.deepEqual(await targets(store, r3.message.id), [m.all.id, m.invoices.id, m.otherAll.id].sort(), 'a broadcast reaches every application');
    const body = JSON.parse(r1.message.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['type', 'timestamp', 'data']);
    assert.deepEqual(body.data, { tracking: '1Z' });
  });

  test(`${c.dialect}: an idempotency key or event id dedupes for 24 hours, per application`, { skip: c.skip }, async (t) => {
    const { store } = await c.open(t);
    await model(store);
    const now = Date.parse('2031-03-01T10:00:00Z');
    const first = await publish(store, { event_type: 'invoice.paid', payload: { n: 1 }, application: 'acme', idempotency_key: 'k1' }, now);
    const again = await publish(store, { event_type: 'invoice.paid', payload: { n: 2 }, application: 'acme', idempotency_key: 'k1' }, now + 1000);
    assert.equal(again.duplicate, true);
    assert.equal(again.message.id, first.message.id);
    assert.equal(again.deliveries, 0);
    const otherApp = await publish(store, { event_type: 'invoice.paid', payload: {}, application: 'other', idempotency_key: 'k1' }, now);
    assert.notEqual(otherApp.message.id, first.message.id);
    const byEventId = await publish(store, { event_type: 'invoice.paid', payload: {}, application: 'acme', event_id: 'evt_1' }, now);
    assert.equal((await publish(store, { event_type: 'invoice.paid', payload: {}, application: 'acme', event_id: 'evt_1' }, now + 5)).message.id, byEventId.message.id);
    const later = await publish(store, { event_type: 'invoice.paid', payload: {}, application: 'acme', idempotency_key: 'k1' }, now + IDEMPOTENCY_WINDOW_MS + 1);
    assert.equal(later.duplicate, false, 'after 24 h the key is free again');
    // Racing publishes with one key: one message.
    const race = await Promise.all(Array.from({ length: 8 }, () => publish(store, { event_type: 'invoice.paid', payload: {}, application: 'acme', idempotency_key: 'race' }, now)));
    assert.equal(new Set(race.map((r) => r.message.id)).size, 1);
    assert.equal(race.filter((r) => !r.duplicate).length, 1);
  });

  test(`${c.dialect}: a claim leases deliveries; they come back when the lease runs out; a stale lease records nothing`, { skip: c.skip }, async (t) => {
    const { store } = await c.open(t);
    const m = await model(store);
    const now = Date.now();
    for (let i = 0; i < 5; i++) await publish(store, { event_type: 'invoice.paid', payload: { i }, application: 'other' }, now);
    const log = () => store.read().webhookLog;
    const first = await store.write((tx) => tx.webhookLog.claimDue(now, 10_000, 3));
    assert.equal(first.length, 3);
    assert.ok(first.every((d) => d.lease === 1 && d.due_at === now + 10_000 && d.endpoint_id === m.otherAll.id));
    const second = await store.write((tx) => tx.webhookLog.claimDue(now, 10_000, 10));
    assert.equal(second.length, 2, 'leased deliveries are not claimed twice');
    assert.equal((await store.write((tx) => tx.webhookLog.claimDue(now + 5000, 10_000, 10))).length, 0);
    const back = await store.write((tx) => tx.webhookLog.claimDue(now + 10_001, 10_000, 10));
    assert.equal(back.length, 5, 'every lease ran out: all are due again');
    assert.ok(back.every((d) => d.lease === 2));
    // The first claimer (lease 1) finishes late: its result is not applied.
    const stale = first[0]!;
    const at = new Date().toISOString();
    await store.write((tx) => tx.webhookLog.recordAttempts([{ delivery: stale, outcome: 'succeeded', status_code: 200, error_code: null, error: null, latency_ms: 5, response_excerpt: 'ok', at, next: { status: 'succeeded' } }]));
    assert.equal((await log().deliveriesOf(stale.message_id))[0]!.status, 'pending');
    const current = back.find((d) => d.id === stale.id)!;
    await store.write((tx) => tx.webhookLog.recordAttempts([{ delivery: current, outcome: 'failed', status_code: 500, error_code: null, error: 'HTTP 500', latency_ms: 5, response_excerpt: '', at, next: { status: 'pending', due_at: now + 99_999 } }]));
    const attempts = (await log().listAttempts({ limit: 10, delivery_id: stale.id })).data;
    assert.equal(attempts.length, 1, 'attempt 1 is recorded once, by whoever recorded first');
    // Disabled endpoints are not claimed.
    await store.write((tx) => tx.webhookModel.disableFailingEndpoint(m.otherAll.id, 'test'));
    assert.equal((await store.write((tx) => tx.webhookLog.claimDue(now + 1e9, 10_000, 10))).length, 0);
  });

  test(`${c.dialect}: concurrent claimers never share a delivery`, { skip: c.skip }, async (t) => {
    const { store } = await c.open(t);
    await model(store);
    const now = Date.now();
    for (let i = 0; i < 60; i++) await publish(store, { event_type: 'invoice.paid', payload: { i }, application: 'other' }, now);
    const claims = await Promise.all(Array.from({ length: 6 }, () => store.write((tx) => tx.webhookLog.claimDue(now, 60_000, 15))));
    const ids = claims.flat().map((d) => d.id);
    assert.equal(ids.length, 60);
    assert.equal(new Set(ids).size, 60);
  });
}
