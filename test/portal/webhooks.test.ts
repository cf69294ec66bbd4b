// Webhooks self-service: an application's endpoints through the WebhookService (SSRF guard,
// generated secrets, operator settings kept out of developers' hands), secret rotation, deliveries
// and attempts, resend and replay — scoped to the application (the authorization test covers
// other teams and other applications).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, withPortal, type Json } from './helpers.ts';

test('endpoints: create (secret once), list, update, rotate the secret; SSRF guard and admin-only fields refused', async () => {
  await withPortal(async (h) => {
    const { client, team } = await h.user('dev@example.com');
    const app = await client.post(`/portal/api/teams/${team}/apps`, { name: 'Shop' });
    const base = `/portal/api/teams/${team}/apps/${String(app.body.id)}/webhooks/endpoints`;
    assertProblem(await client.post(base, { url: 'https://127.0.0.1/hook' }), 400, 'validation-failed');
    assertProblem(await client.post(base, { url: 'http://hooks.example.com/hook' }), 400, 'validation-failed');
    assertProblem(await client.post(base, { url: 'https://hooks.example.com/hook', allow_http: true }), 400, 'validation-failed');
    assertProblem(await client.post(base, { url: 'https://hooks.example.com/hook', headers: { 'x-a': 'b' } }), 400, 'validation-failed');

    const created = await client.post(base, { url: 'https://hooks.example.com/hook', description: 'orders', event_types: ['order.created'] });
    assert.equal(created.status, 201, created.text);
    const secret = String(created.body.secret);
    assert.match(secret, /^whsec_/);
    const listed = await client.get(base);
    assert.deepEqual((listed.body.data as Json[]).map((e) => [e.url, e.event_types]), [['https://hooks.example.com/hook', ['order.created']]]);
    assert.ok(!listed.text.includes(secret));
    const hookApp = (await h.store.read().webhookModel.listApplications({ limit: 10, consumer: String(app.body.consumer) })).data;
    assert.equal(hookApp.length, 1, 'a webhook application linked to the consumer');

    const url = `${base}/${String(created.body.id)}`;
    const updated = await client.send('PUT', url, { body: { url: 'https://hooks.example.com/v2' } });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual([updated.body.url, updated.body.event_types], ['https://hooks.example.com/v2', null]);
    const rotated = await client.post(`${url}/secret/rotate`, { overlap_seconds: 3600 });
    assert.equal(rotated.status, 200, rotated.text);
    assert.notEqual(rotated.body.secret, secret);
    assert.equal((rotated.body.endpoint as Json).secrets, 2, 'the old secret keeps signing during the overlap');
    assertProblem(await client.post(`${url}/secret/rotate`, { secret: 'whsec_' + 'A'.repeat(32) }), 400, 'validation-failed');
    assert.equal((await client.delete(url)).status, 204);
    assertProblem(await client.get(url), 404, 'not-found');
  });
});

test('deliveries, attempts, resend and replay of the application’s messages', async () => {
  await withPortal(async (h) => {
    const { client, team } = await h.user('dev@example.com');
    const app = await client.post(`/portal/api/teams/${team}/apps`, { name: 'Shop' });
    const base = `/portal/api/teams/${team}/apps/${String(app.body.id)}/webhooks/endpoints`;
    const endpoint = await client.post(base, { url: 'https://hooks.example.com/hook' });
    const url = `${base}/${String(endpoint.body.id)}`;
    await h.webhooks.createEventType({ name: 'order.created', schemas: { 1: { type: 'object' } } });
    const since = new Date(Date.now() - 1000).toISOString();
    const published = await h.webhooks.publish({ event_type: 'order.created', payload: { id: 1 }, application: `portal-${String(app.body.consumer)}` });
    assert.equal(published.deliveries, 1);

    const deliveries = await client.get(`${url}/deliveries`);
    assert.deepEqual((deliveries.body.data as Json[]).map((d) => [d.message_id, d.status]), [[published.message.id, 'pending']]);
    assert.deepEqual((await client.get(`${url}/attempts`)).body.data, [], 'no worker runs here: no attempts yet');

    const resent = await client.post(`${url}/resend`, { message: published.message.id });
    assert.equal(resent.status, 202, resent.text);
    assert.equal((resent.body.data as Json[]).length, 1);
    assertProblem(await client.post(`${url}/resend`, { message: 'msg_nope' }), 404, 'not-found');
    const replayed = await client.post(`${url}/replay`, { since, mode: 'all' });
    assert.equal(replayed.status, 202, replayed.text);
    assert.equal(replayed.body.replayed, 0, 'messages already on their way are not doubled');
    assert.equal(((await client.get(`${url}/deliveries`)).body.data as Json[]).length, 2);

    // Deleting the application takes its webhook application and endpoints with it.
    assert.equal((await client.delete(`/portal/api/teams/${team}/apps/${String(app.body.id)}`)).status, 204);
    assert.deepEqual((await h.store.read().webhookModel.listApplications({ limit: 10, consumer: String(app.body.consumer) })).data, []);
    assert.equal(await h.store.read().webhookModel.getEndpoint(String(endpoint.body.id)), undefined);
  });
});

test('event types for the endpoint form, and a test event to one endpoint', async () => {
  await withPortal(async (h) => {
    const { client, team } = await h.user('dev@example.com');
    await h.webhooks.createEventType({ name: 'order.created', description: 'An order was placed', schemas: { 1: { type: 'object' } }, example: { id: 7 } });
    await h.webhooks.createEventType({ name: 'order.old', schemas: { 1: { type: 'object' } } });
    await h.webhooks.updateEventType('order.old', { name: 'order.old', schemas: { 1: { type: 'object' } }, archived: true });
    const types = await client.get('/portal/api/webhooks/event-types');
    assert.equal(types.status, 200, types.text);
    assert.deepEqual((types.body.data as Json[]).filter((t) => String(t.name).startsWith('order.')), [{ name: 'order.created', description: 'An order was placed', schemas: { 1: { type: 'object' } }, example: { id: 7 } }], 'archived types are not offered');

    const app = await client.post(`/portal/api/teams/${team}/apps`, { name: 'Shop' });
    const base = `/portal/api/teams/${team}/apps/${String(app.body.id)}/webhooks/endpoints`;
    const endpoint = await client.post(base, { url: 'https://hooks.example.com/hook', event_types: ['order.*'] });
    const other = await client.post(base, { url: 'https://hooks.example.com/other', event_types: ['order.*'] });
    const sent = await client.post(`${base}/${String(endpoint.body.id)}/test`, {});
    assert.equal(sent.status, 202, sent.text);
    assert.equal(sent.body.deliveries, 1, 'to this endpoint only');
    const deliveries = (await client.get(`${base}/${String(endpoint.body.id)}/deliveries`)).body.data as Json[];
    assert.deepEqual(deliveries.map((d) => [d.message_id, d.trigger]), [[sent.body.message_id, 'test']]);
    assert.deepEqual((await client.get(`${base}/${String(other.body.id)}/deliveries`)).body.data, []);
    assertProblem(await client.post(`${base}/${String(endpoint.body.id)}/test`, { event_type: 'nope.nope' }), 404, 'not-found');
  });
});
