// The delivery worker against real receivers on loopback: signing, attempts, retries and dead
// letters, Retry-After, auto-disable, per-endpoint caps and rate limits, rotation, SSRF.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { masterKeyFingerprint } from '../../src/core/identity/sealed.ts';
import { secretKey, verifySignatureHeader } from '../../src/core/webhooks/signature.ts';
import type { Store } from '../../src/store/ports.ts';
import { WebhookService } from '../../src/webhooks/service.ts';
import { WebhookSender } from '../../src/webhooks/sender.ts';
import { compileSsrfPolicy } from '../../src/webhooks/ssrf.ts';
import { DeliveryWorker, type WorkerOptions } from '../../src/webhooks/worker.ts';
import { waitFor } from '../harness/gateway.ts';
import { startUpstream, type Upstream } from '../harness/upstream.ts';
import { STORE_CASES } from './stores.ts';

const key = randomBytes(32);
const master = { key, fingerprint: masterKeyFingerprint(key) };
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as unknown as WorkerOptions['logger'];
const loopback = compileSsrfPolicy({ allow: ['127.0.0.0/8', '::1/128'] });

interface Receiver extends Upstream { bodies: { id: string; ts: string; sig: string; body: string; at: number }[] }

async function receiver(answer: (req: IncomingMessage, res: ServerResponse, n: number) => void = (_q, res) => res.end('ok')): Promise<Receiver> {
  const bodies: Receiver['bodies'] = [];
  const up = await startUpstream((req, res, body) => {
    bodies.push({ id: String(req.headers['webhook-id']), ts: String(req.headers['webhook-timestamp']), sig: String(req.headers['webhook-signature']), body: body.toString('utf8'), at: Date.now() });
    answer(req, res, bodies.length);
  });
  return Object.assign(up, { bodies });
}

async function setup(store: Store, defer: (fn: () => unknown) => void, opts: Partial<WorkerOptions> = {}) {
  const service = new WebhookService(store, master, loopback);
  await service.createEventType({ name: 'shipment.delivered', schemas: { '1': { type: 'object' } } });
  await service.createApplication({ name: 'acme', consumer: 'acme' });
  const sender = new WebhookSender({ policy: loopback });
  const worker = new DeliveryWorker({ store, sender, masterKey: master, logger: quiet, timeoutMs: 2000, leaseMs: 5000, concurrency: 64, pollMs: 20, disableAfterMs: 3_600_000, schedule: [100, 100], ...opts });
  worker.start();
  defer(async () => { await worker.stop(); await sender.close(); });
  return { service, worker };
}

const statuses = async (store: Store, messageId: string) => (await store.read().webhookLog.deliveriesOf(messageId)).map((d) => d.status);

for (const c of STORE_CASES) {
  test(`${c.dialect}: delivers signed Standard Webhooks and records the attempt`, { skip: c.skip }, async (t) => {
    const { store, defer } = await c.open(t);
    const rx = await receiver();
    defer(() => rx.close());
    const { service } = await setup(store, defer);
    const { endpoint, secret } = await service.createEndpoint('acme', { url: rx.url + '/hooks', allow_http: true, headers: { 'x-tenant': 'acme', 'webhook-id': 'forged' } });
    const r = await service.publish({ event_type: 'shipment.delivered', payload: { tracking: '1Z999' }, application: 'acme' });
    await waitFor(async () => (await statuses(store, r.message.id))[0] === 'succeeded', 10_000, 'delivery');
    assert.equal(rx.bodies.length, 1);
    const got = rx.bodies[0]!;
    assert.equal(got.id, r.message.id, 'webhook-id is the message id (the endpoint header cannot forge it)');
    assert.equal(got.body, r.message.body, 'the stored bytes are sent');
    assert.ok(verifySignatureHeader(got.sig, [secretKey(secret)], got.id, Number(got.ts), got.body));
    assert.ok(Math.abs(Number(got.ts) - Date.now() / 1000) < 60);
    assert.equal(rx.received[0]!.headers['x-tenant'], 'acme');
    assert.equal(rx.received[0]!.headers['content-type'], 'application/json');
    const [attempt] = (await store.read().webhookLog.listAttempts({ limit: 5, endpoint_id: endpoint.id })).data;
    assert.equal(attempt!.outcome, 'succeeded');
    assert.equal(attempt!.status_code, 200);
    assert.equal(attempt!.response_excerpt, 'ok');
    assert.equal(attempt!.attempt, 1);
    assert.equal((await store.read().webhookModel.getEndpoint(endpoint.id))!.last_success_at !== null, true);
  });

  test(`${c.dialect}: failures are retried on the schedule and dead-lettered after the last attempt`, { skip: c.skip }, async (t) => {
    const { store, defer } = await c.open(t);
    const rx = await receiver((_q, res) => { res.statusCode = 503; res.end('down for maintenance'); });
    defer(() => rx.close());
    const { service } = await setup(store, defer);
    const { endpoint } = await service.createEndpoint('acme', { url: rx.url, allow_http: true });
    const r = await service.publish({ event_type: 'shipment.delivered', payload: {}, application: 'acme' });
    await waitFor(async () => (await statuses(store, r.message.id))[0] === 'failed', 10_000, 'dead letter');
    assert.equal(rx.bodies.length, 3, 'three attempts with a two-step schedule');
    const attempts = (await store.read().webhookLog.listAttempts({ limit: 10, endpoint_id: endpoint.id })).data;
    assert.deepEqual(attempts.map((a) => a.attempt).sort(), [1, 2, 3]);
    assert.ok(attempts.every((a) => a.outcome === 'failed' && a.status_code === 503 && a.response_excerpt === 'down for maintenance'));
    assert.deepEqual((await store.read().webhookLog.listDeliveries({ limit: 5, status: 'failed' })).data.map((d) => d.message_id), [r.message.id]);
    // Resend brings a dead letter back with a fresh schedule; once the receiver is back it lands.
    rx.server.removeAllListeners('request');
    rx.server.on('request', (_q: IncomingMessage, res: ServerResponse) => res.end('ok'));
    await service.resend(r.message.id, {});
    await waitFor(async () => (await statuses(store, r.message.id)).includes('succeeded'), 10_000, 'resend');
  });

  test(`${c.dialect}: Retry-After pushes the next attempt back`, { skip: c.skip }, async (t) => {
    const { store, defer } = await c.open(t);
    const rx = await receiver((_q, res) => { res.writeHead(429, { 'retry-after': '120' }); res.end(); });
    defer(() => rx.close());
    const { service } = await setup(store, defer);
    await service.createEndpoint('acme', { url: rx.url, allow_http: true });
    const before = Date.now();
    const r = await service.publish({ event_type: 'shipment.delivered', payload: {}, application: 'acme' });
    await waitFor(async () => (await store.read().webhookLog.deliveriesOf(r.message.id))[0]!.attempts === 1, 10_000, 'first attempt');
    const d = (await store.read().webhookLog.deliveriesOf(r.message.id))[0]!;
    assert.equal(d.status, 'pending');
    assert.ok(d.due_at >= before + 120_000, `due ${d.due_at - before} ms later, not the schedule's 100 ms`);
  });

  test(`${c.dialect}: a 410 Gone disables the endpoint at once; a 3xx is a failure, never followed`, { skip: c.skip }, async (t) => {
    const { store, defer } = await c.open(t);
    const gone = await receiver((_q, res) => { res.statusCode = 410; res.end(); });
    const moved = await receiver((_q, res) => { res.writeHead(302, { location: gone.url }); res.end(); });
    defer(() => gone.close());
    defer(() => moved.close());
    const { service } = await setup(store, defer, { schedule: [60_000] });
    await service.createApplication({ name: 'movedco' });
    const { endpoint } = await service.createEndpoint('acme', { url: gone.url, allow_http: true });
    const { endpoint: redirecting } = await service.createEndpoint('movedco', { url: moved.url, allow_http: true });
    for (let i = 0; i < 5; i++) await service.publish({ event_type: 'shipment.delivered', payload: { i }, application: 'acme' });
    await service.publish({ event_type: 'shipment.delivered', payload: {}, application: 'movedco' });
    await waitFor(async () => (await store.read().webhookModel.getEndpoint(endpoint.id))!.disabled, 10_000, 'disabled by 410');
    assert.match((await store.read().webhookModel.getEndpoint(endpoint.id))!.disabled_reason!, /410 Gone/);
    const events = (await store.read().listEvents({ limit: 10, type: 'webhook.endpoint.disabled' })).data;
    assert.equal(events.length, 1);
    assert.ok(gone.bodies.length <= 5);
    await waitFor(async () => (await store.read().webhookLog.listAttempts({ limit: 5, endpoint_id: redirecting.id })).data.length === 1, 10_000, 'redirect attempt');
    const [attempt] = (await store.read().webhookLog.listAttempts({ limit: 5, endpoint_id: redirecting.id })).data;
    assert.equal(attempt!.status_code, 302);
    assert.equal(attempt!.outcome, 'failed');
    assert.equal(moved.bodies.length, 1);
    assert.equal((await store.read().webhookModel.getEndpoint(redirecting.id))!.disabled, false);
  });

  test(`${c.dialect}: an endpoint failing without a success for the disable period is disabled, with a platform event`, { skip: c.skip }, async (t) => {
    const { store, defer } = await c.open(t);
    const rx = await receiver((_q, res) => { res.statusCode = 500; res.end(); });
    defer(() => rx.close());
    let offset = 0;
    const { service } = await setup(store, defer, { now: () => Date.now() + offset, disableAfterMs: 5 * 86_400_000, schedule: [0, 0, 0, 0, 0, 0, 0] });
    const { endpoint } = await service.createEndpoint('acme', { url: rx.url, allow_http: true });
    await service.publish({ event_type: 'shipment.delivered', payload: {}, application: 'acme' });
    await waitFor(async () => (await store.read().webhookModel.getEndpoint(endpoint.id))!.failing_since !== null, 10_000, 'failure clock');
    assert.equal((await store.read().webhookModel.getEndpoint(endpoint.id))!.disabled, false);
    offset += 5 * 86_400_000 + 1000; // five days later, still failing
    await service.publish({ event_type: 'shipment.delivered', payload: {}, application: 'acme' });
    await waitFor(async () => (await store.read().webhookModel.getEndpoint(endpoint.id))!.disabled, 10_000, 'disabled');
    const e = (await store.read().webhookModel.getEndpoint(endpoint.id))!;
    assert.match(e.disabled_reason!, /failing without a success since/);
    const events = (await store.read().listEvents({ limit: 10, type: 'webhook.endpoint.disabled' })).data;
    assert.equal(events.length, 1);
    assert.equal((JSON.parse(events[0]!.payload) as { endpoint_id: string }).endpoint_id, endpoint.id);
  });

  test(`${c.dialect}: a slow endpoint holds only its own slots; a rate limit spaces deliveries`, { skip: c.skip }, async (t) => {
    const { store, defer } = await c.open(t);
    const hung: ServerResponse[] = [];
    const slow = await receiver((_q, res) => { hung.push(res); });
    const fast = await receiver();
    const limited = await receiver();
    defer(async () => { for (const r of hung) r.end(); await slow.close(); await fast.close(); await limited.close(); });
    const { service } = await setup(store, defer, { timeoutMs: 4000, leaseMs: 10_000, concurrency: 32 });
    await service.createApplication({ name: 'slowco' });
    await service.createApplication({ name: 'ratedco' });
    await service.createEndpoint('slowco', { url: slow.url, allow_http: true, max_in_flight: 2 });
    await service.createEndpoint('acme', { url: fast.url, allow_http: true });
    await service.createEndpoint('ratedco', { url: limited.url, allow_http: true, rate_limit: 4 });
    for (let i = 0; i < 40; i++) await service.publish({ event_type: 'shipment.delivered', payload: { i }, application: 'slowco' });
    for (let i = 0; i < 30; i++) await service.publish({ event_type: 'shipment.delivered', payload: { i }, application: 'acme' });
    for (let i = 0; i < 8; i++) await service.publish({ event_type: 'shipment.delivered', payload: { i }, application: 'ratedco' });
    await waitFor(() => fast.bodies.length === 30, 10_000, "every fast delivery");
    assert.equal(slow.bodies.length, 2, 'the slow endpoint has exactly its two slots in flight, no more');
    assert.equal(hung.length, 2);
    await waitFor(() => limited.bodies.length === 8, 10_000, 'rate-limited deliveries');
    // 4 per second with a bucket of 4: the first four at once, the last four over the next second.
    const span = limited.bodies.at(-1)!.at - limited.bodies[0]!.at;
    assert.ok(span >= 900, `8 deliveries at 4/s took ${span} ms`);
  });

  test(`${c.dialect}: during a rotation both secrets sign; the SSRF guard refuses a private address`, { skip: c.skip }, async (t) => {
    const { store, defer } = await c.open(t);
    const rx = await receiver();
    defer(() => rx.close());
    const { service, worker } = await setup(store, defer);
    const { endpoint, secret: old } = await service.createEndpoint('acme', { url: rx.url, allow_http: true });
    const { secret: fresh } = await service.rotateSecret(endpoint.id, { overlap_seconds: 3600 });
    assert.notEqual(fresh, old);
    assert.deepEqual((await service.secrets(endpoint.id)).map((s) => s.secret), [fresh, old]);
    const r = await service.publish({ event_type: 'shipment.delivered', payload: {}, application: 'acme' });
    await waitFor(() => rx.bodies.length === 1, 10_000, 'delivery');
    const got = rx.bodies[0]!;
    assert.equal(got.sig.split(' ').length, 2);
    for (const s of [old, fresh]) assert.ok(verifySignatureHeader(got.sig, [secretKey(s)], r.message.id, Number(got.ts), got.body));
    const { secret: third } = await service.rotateSecret(endpoint.id, { overlap_seconds: 0 });
    assert.deepEqual((await service.secrets(endpoint.id)).map((s) => s.secret), [third]);

    // A worker whose policy does not allow loopback: the attempt fails before any connection.
    await worker.stop();
    const strictSender = new WebhookSender({ policy: compileSsrfPolicy({ allow: [] }) });
    const before = rx.bodies.length;
    const strict = new DeliveryWorker({ store, sender: strictSender, masterKey: master, logger: quiet, timeoutMs: 2000, leaseMs: 5000, concurrency: 8, pollMs: 20, disableAfterMs: 3_600_000, schedule: [60_000] });
    const { endpoint: local } = await service.createEndpoint('acme', { url: `http://localhost:${rx.port}/x`, allow_http: true, event_types: ['probe.*'] });
    await service.createEventType({ name: 'probe.sent' });
    defer(async () => { await strict.stop(); await strictSender.close(); });
    const r2 = await service.publish({ event_type: 'probe.sent', payload: {}, application: 'acme' });
    strict.start();
    await waitFor(async () => (await store.read().webhookLog.listAttempts({ limit: 5, endpoint_id: local.id })).data.length > 0, 10_000, 'refused attempt');
    // The first endpoint (no filter, a literal 127.0.0.1) is refused the same way.
    assert.ok((await store.read().webhookLog.deliveriesOf(r2.message.id)).length === 2);
    const [attempt] = (await store.read().webhookLog.listAttempts({ limit: 5, endpoint_id: local.id })).data;
    assert.equal(attempt!.error_code, 'ssrf-blocked');
    assert.equal(attempt!.status_code, null);
    assert.equal(rx.bodies.length, before, 'nothing reached the loopback receiver');
  });
}
