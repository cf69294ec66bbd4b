// The webhooks demo end to end with real parts: a Portcullis node (`portcullis start`, SQLite,
// gateway + admin + worker) set up the way `npm start` sets it up (src/cli/demo-webhooks.ts), the
// carrier publishing with its own token and a short tracking step, and the demo receiver
// subscribed to shipment.*: one label yields four signed deliveries, published in the order the
// statuses happened.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateSecret, secretKey, verifySignatureHeader } from '../../src/core/webhooks/signature.ts';
import { carrierEventsToken, ensureDemoWebhooks } from '../../src/cli/demo-webhooks.ts';
import { expectStatus, spawnNode, until } from '../../test/harness/node.ts';
import { createCarrier } from './server.ts';
import type { Label } from './shipments.ts';
import { CarrierClient, listen, must } from './test-support.ts';
import { createWebhookReceiver, type Delivery } from './webhook-receiver.ts';

const STEP_MS = 300;
const STATUSES = ['label_created', 'in_transit', 'out_for_delivery', 'delivered'];

test('a label created at the carrier reaches the subscribed receiver as four signed shipment events', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-webhooks-demo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const node = await spawnNode({ db: `sqlite:${join(dir, 'portcullis.db')}`, args: ['--roles', 'gateway,admin,worker'], env: { PORTCULLIS_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8' }, t });

  // What the demo does on start; the second time it finds everything there.
  assert.deepEqual(await ensureDemoWebhooks(node.adminUrl, node.token), ['shipment.label_created', 'shipment.in_transit', 'shipment.out_for_delivery', 'shipment.delivered', 'demo-shop']);
  assert.deepEqual(await ensureDemoWebhooks(node.adminUrl, node.token), []);
  const tokenFile = join(dir, 'demo-carrier-token');
  const carrierToken = await carrierEventsToken(node.adminUrl, node.token, tokenFile);
  assert.equal(await carrierEventsToken(node.adminUrl, node.token, tokenFile), carrierToken, 'the kept token is reused');
  assert.equal(readFileSync(tokenFile, 'utf8').trim(), carrierToken);
  const me = expectStatus(await node.admin('GET', '/admin/me', undefined, { authorization: `Bearer ${carrierToken}` }), 'carrier token');
  assert.deepEqual([me.body.user, me.body.role], ['carrier', 'editor']);

  // The shop's receiver, subscribed to shipment.* (its secret chosen here, so the receiver can
  // start before the endpoint exists).
  const secret = generateSecret();
  const deliveries: Delivery[] = [];
  const receiver = createWebhookReceiver({ secrets: [secret], onDelivery: (d) => deliveries.push(d) });
  // The headers too, to check each signature here as well as by the receiver's verdict.
  const headersById = new Map<string, IncomingHttpHeaders>();
  receiver.on('request', (req: IncomingMessage) => headersById.set(String(req.headers['webhook-id']), req.headers));
  const receiverUrl = await listen(receiver);
  t.after(() => { receiver.close(); receiver.closeAllConnections(); });
  const created = expectStatus(await node.admin<{ id: string; secret: string }>('POST', '/admin/webhooks/applications/demo-shop/endpoints', { url: `${receiverUrl}/hooks`, allow_http: true, event_types: ['shipment.*'], secret }), 'subscribe', 201);
  assert.equal(created.body.secret, secret);

  // The carrier, publishing to the node with its own token.
  const carrier = createCarrier({ stepMs: STEP_MS, events: { url: `${node.adminUrl}/admin/webhooks/messages`, token: carrierToken, pollMs: 50 } });
  const client = new CarrierClient(await listen(carrier.server));
  t.after(() => { carrier.server.close(); carrier.server.closeAllConnections(); });

  const label = (await client.call<Label>('POST', '/labels', { service: 'ground', from: { postal_code: '10115', country: 'DE' }, to: { postal_code: '75001', country: 'FR' }, parcels: [{ weight_kg: 1, length_cm: 20, width_cm: 20, height_cm: 20 }] })).json;
  await until(() => deliveries.length >= 4, 30_000, 'four deliveries');

  // Every delivery authentic, one per status, for this parcel.
  const key = secretKey(secret);
  for (const d of deliveries) {
    assert.ok(d.verified, `${d.type}: ${d.reason}`);
    const headers = must(headersById.get(d.id), `headers of ${d.id}`);
    assert.ok(verifySignatureHeader(String(headers['webhook-signature']), [key], d.id, Number(headers['webhook-timestamp']), d.body));
    assert.equal(d.trackingNumber, label.tracking_number);
  }
  assert.deepEqual(deliveries.map((d) => d.status).sort(), [...STATUSES].sort());
  assert.equal(new Set(deliveries.map((d) => d.id)).size, 4);
  const envelopes = deliveries.map((d) => JSON.parse(d.body) as { type: string; data: { occurred_at: string; status: string; location: string } });
  const byTime = envelopes.toSorted((a, b) => a.data.occurred_at.localeCompare(b.data.occurred_at));
  assert.deepEqual(byTime.map((e) => e.type), STATUSES.map((s) => `shipment.${s}`));
  assert.deepEqual(byTime.map((e) => e.data.location), ['10115, DE', 'Sorting hub, DE', '75001, FR', '75001, FR']);

  // Published in the order the statuses happened, each once (the list is newest first).
  const messages = expectStatus(await node.admin<{ data: Array<{ id: string; event_type: string; payload: { tracking_number: string } }> }>('GET', '/admin/webhooks/messages?application=demo-shop'), 'messages');
  assert.deepEqual(messages.body.data.toReversed().map((m) => m.event_type), STATUSES.map((s) => `shipment.${s}`));
  assert.deepEqual(new Set(messages.body.data.map((m) => m.id)), new Set(deliveries.map((d) => d.id)));

  // And the node's record of it: four successful attempts, answered 204.
  const attempts = expectStatus(await node.admin<{ data: Array<{ outcome: string; status_code: number }> }>('GET', `/admin/webhooks/attempts?endpoint=${created.body.id}`), 'attempts');
  assert.deepEqual(attempts.body.data.map((a) => [a.outcome, a.status_code]), Array.from({ length: 4 }, () => ['succeeded', 204]));
  assert.equal(must(carrier.events, 'events').outbox.size, 0);
});
