// The webhooks admin API on a real node (gateway, admin and worker roles): model validation, the
// SSRF guard at the edge, publishing with idempotency, signed deliveries, message and attempt
// listings, resend, replay, test-send, statistics, and the platform events the node publishes
// about itself (consumer created, key rotated, subscription approved).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { secretKey, verifySignatureHeader } from '../../src/core/webhooks/signature.ts';
import { waitFor } from '../harness/gateway.ts';
import { spawnNode } from '../harness/node.ts';
import { startUpstream } from '../harness/upstream.ts';

interface Got { path: string; id: string; ts: string; sig: string; body: string }
type Json = Record<string, unknown>;

test('webhooks through the admin API, delivered by the node\'s worker', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-webhooks-api-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const got: Got[] = [];
  const rx = await startUpstream((req, res, body) => {
    got.push({ path: req.url ?? '', id: String(req.headers['webhook-id']), ts: String(req.headers['webhook-timestamp']), sig: String(req.headers['webhook-signature']), body: body.toString('utf8') });
    res.writeHead(204).end();
  });
  t.after(() => rx.close());
  const node = await spawnNode({ db: `sqlite:${join(dir, 'db.sqlite')}`, t, env: { PORTCULLIS_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8', PORTCULLIS_WEBHOOK_POLL_MS: '50' } });
  const api = <T = Json>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => node.admin<T>(method, `/admin/webhooks${path}`, body, headers);

  // --- the model, validated at the edge
  let r = await api('POST', '/event-types', { name: 'shipment.delivered', description: 'A parcel arrived.', schemas: { '1': { type: 'object', properties: { tracking: { type: 'string' } }, required: ['tracking'] } }, example: { tracking: '1Z' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  r = await api('POST', '/event-types', { name: 'bad.schema', schemas: { '1': { type: 'no-such-type' } } });
  assert.equal(r.status, 400);
  assert.equal((r.body.errors as { pointer: string }[])[0]!.pointer, '/schemas/1');
  r = await api('POST', '/event-types', { name: 'not a name' });
  assert.equal(r.status, 400);
  assert.equal((await api('POST', '/applications', { name: 'acme', consumer: 'acme' })).status, 201);
  assert.equal((await api('POST', '/applications', { name: 'acme' })).status, 409);

  for (const [url, extra, why] of [
    [`${rx.url}/h`, {}, /https/],
    ['http://10.0.0.7/h', { allow_http: true }, /private/],
    ['https://169.254.169.254/latest/meta-data', {}, /metadata/],
    ['https://user:pw@example.com/h', {}, /credentials|userinfo/],
    ['ftp://example.com/h', {}, /http/],
  ] as const) {
    r = await api('POST', '/applications/acme/endpoints', { url, ...extra });
    assert.equal(r.status, 400, `${url}: ${JSON.stringify(r.body)}`);
    assert.match(JSON.stringify(r.body), why);
  }
  r = await api('POST', '/applications/acme/endpoints', { url: `${rx.url}/acme`, allow_http: true, event_types: ['shipment.*'], headers: { 'x-tenant': 'acme' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const endpoint = r.body as { id: string; secret: string; secrets: number };
  assert.match(endpoint.secret, /^whsec_/);
  assert.equal(endpoint.secrets, 1);
  const shown = await api<Json>('GET', `/endpoints/${endpoint.id}`);
  assert.equal(JSON.stringify(shown.body).includes(endpoint.secret), false, 'the endpoint never shows its secret');
  assert.equal((await api<{ data: { secret: string }[] }>('GET', `/endpoints/${endpoint.id}/secret`)).body.data[0]!.secret, endpoint.secret);

  // --- publishing: validated, idempotent, delivered signed
  r = await api('POST', '/messages', { event_type: 'shipment.delivered', application: 'acme', payload: { nope: 1 } });
  assert.equal(r.status, 400);
  assert.equal((r.body.errors as { pointer: string }[])[0]!.pointer, '/payload');
  r = await api('POST', '/messages', { event_type: 'shipment.delivered', application: 'acme', payload: { tracking: 'PC1' } }, { 'idempotency-key': 'order-1' });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const message = r.body as { id: string; deliveries: number };
  assert.equal(message.deliveries, 1);
  r = await api('POST', '/messages', { event_type: 'shipment.delivered', application: 'acme', payload: { tracking: 'PC1' } }, { 'idempotency-key': 'order-1' });
  assert.equal(r.status, 200);
  assert.equal(r.body.id, message.id);
  await waitFor(() => got.some((g) => g.id === message.id), 10_000, 'delivery');
  const d = got.find((g) => g.id === message.id)!;
  assert.equal(d.path, '/acme');
  assert.ok(verifySignatureHeader(d.sig, [secretKey(endpoint.secret)], d.id, Number(d.ts), d.body));
  assert.deepEqual((JSON.parse(d.body) as Json).data, { tracking: 'PC1' });
  await waitFor(async () => ((await api<{ deliveries: { status: string }[] }>('GET', `/messages/${message.id}`)).body.deliveries[0]?.status === 'succeeded'), 10_000, 'recorded');
  const attempts = await api<{ data: Json[] }>('GET', `/attempts?endpoint=${endpoint.id}&outcome=succeeded`);
  assert.equal(attempts.body.data.length, 1);
  assert.equal(attempts.body.data[0]!.status_code, 204);
  assert.equal((await api('GET', '/attempts?outcome=maybe')).status, 400);
  assert.equal((await api<{ data: Json[] }>('GET', '/messages?event_type=shipment.delivered&application=acme')).body.data.length, 1);

  // --- operations: resend, test-send, replay, stats
  assert.equal((await api('POST', `/messages/${message.id}/resend`)).status, 202);
  await waitFor(() => got.filter((g) => g.id === message.id).length === 2, 10_000, 'resend');
  r = await api('POST', `/endpoints/${endpoint.id}/test`, {});
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const testId = r.body.id as string;
  await waitFor(() => got.some((g) => g.id === testId), 10_000, 'test-send');
  assert.deepEqual((JSON.parse(got.find((g) => g.id === testId)!.body) as Json).data, { tracking: '1Z' }, 'the example payload');
  r = await api('POST', `/endpoints/${endpoint.id}/replay`, { since: new Date(Date.now() - 3_600_000).toISOString(), mode: 'all' });
  assert.equal(r.status, 202);
  assert.equal(r.body.replayed, 2);
  await waitFor(() => got.filter((g) => g.id === message.id).length === 3, 10_000, 'replay');
  r = await api('POST', `/endpoints/${endpoint.id}/replay`, { since: new Date(Date.now() - 3_600_000).toISOString() });
  assert.equal(r.body.replayed, 0, 'mode failed: everything was received');
  await waitFor(async () => ((await api<{ attempts: { total: number } }>('GET', `/endpoints/${endpoint.id}/stats`)).body.attempts.total === 5), 10_000, 'stats');
  const stats = (await api<Json>('GET', `/endpoints/${endpoint.id}/stats`)).body as { success_rate: number; latency_ms: { p50: number } };
  assert.equal(stats.success_rate, 1);
  assert.equal(typeof stats.latency_ms.p50, 'number');

  // --- platform events: the API owner subscribes the platform application
  r = await api('POST', '/applications/platform/endpoints', { url: `${rx.url}/owner`, allow_http: true });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const ownerSecret = (r.body as { secret: string }).secret;
  assert.equal((await node.admin('POST', '/admin/consumers', { name: 'acme' })).status, 201);
  const cred = await node.admin<{ id: string }>('POST', '/admin/credentials', { consumer: 'acme', type: 'key-auth' });
  assert.equal((await node.admin('POST', `/admin/credentials/${cred.body.id}/rotate`, { overlap_seconds: 60 })).status, 201);
  await waitFor(() => ['consumer.created', 'credential.rotated'].every((type) => got.some((g) => g.path === '/owner' && (JSON.parse(g.body) as { type: string }).type === type)), 15_000, 'platform events');
  for (const g of got.filter((x) => x.path === '/owner')) assert.ok(verifySignatureHeader(g.sig, [secretKey(ownerSecret)], g.id, Number(g.ts), g.body));
  const created = got.find((g) => g.path === '/owner' && g.body.includes('consumer.created'))!;
  assert.equal(((JSON.parse(created.body) as { data: { consumer: string } }).data).consumer, 'acme');
  const types = (await api<{ data: { name: string; platform: boolean }[] }>('GET', '/event-types')).body.data;
  assert.ok(types.some((x) => x.name === 'quota.warning' && x.platform));
  assert.equal((await api('DELETE', '/event-types/quota.warning')).status, 409, 'platform event types are Portcullis\'s');

  // RELIABILITY.md: webhook secrets never reach logs, metrics or listings.
  const listings = JSON.stringify([(await api('GET', '/endpoints')).body, (await api('GET', '/attempts')).body, (await api('GET', '/messages')).body]);
  const sinks = node.logs() + await node.metrics() + listings;
  for (const secret of [endpoint.secret, ownerSecret]) {
    assert.equal(sinks.includes(secret.slice('whsec_'.length)), false, 'a signing secret leaked into a log, a metric or a listing');
  }
});
