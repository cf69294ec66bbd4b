// The demo's webhook receiver: Standard Webhooks verification (signature, timestamp tolerance),
// its answers, and what it reports per delivery. Signed here with the same core module the
// delivery worker signs with; the receiver against real Portcullis deliveries is in
// webhooks-demo.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateSecret, secretKey, signatureHeader } from '../../src/core/webhooks/signature.ts';
import { listen } from './test-support.ts';
import { createWebhookReceiver, formatDelivery, verifyDelivery, type Delivery } from './webhook-receiver.ts';

const NOW = 1_736_933_400; // 2025-01-15T09:30:00Z
const secret = generateSecret();
const body = JSON.stringify({ type: 'shipment.in_transit', timestamp: '2025-01-15T09:30:00.000Z', data: { tracking_number: 'PC0000000002', status: 'in_transit' } });

function signed(overrides: { secret?: string; ts?: number; id?: string; body?: string } = {}): Record<string, string> {
  const id = overrides.id ?? 'msg_1';
  const ts = overrides.ts ?? NOW;
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signatureHeader([overrides.secret ?? secret], id, ts, overrides.body ?? body) };
}

test('verifyDelivery: authentic and fresh, or why not', () => {
  const keys = [secretKey(secret)];
  const check = (headers: Record<string, string>, text = body, now = NOW) => verifyDelivery(headers, Buffer.from(text), keys, now);
  assert.equal(check(signed()), undefined);
  assert.equal(check(signed(), body, NOW + 300), undefined, 'at the edge of the tolerance');
  assert.equal(check(signed(), body, NOW + 301), 'timestamp outside the tolerance');
  assert.equal(check(signed(), body, NOW - 301), 'timestamp outside the tolerance');
  assert.equal(check(signed({ secret: generateSecret() })), 'bad signature');
  assert.equal(check(signed(), body.replace('in_transit', 'delivered')), 'bad signature', 'the body is signed');
  assert.equal(check({ ...signed(), 'webhook-id': 'msg_2' }), 'bad signature', 'the id is signed');
  assert.equal(check({ ...signed(), 'webhook-timestamp': String(NOW + 1) }), 'bad signature', 'the timestamp is signed');
  assert.equal(check({ ...signed(), 'webhook-timestamp': '1e9' }), 'malformed webhook-timestamp');
  const { 'webhook-signature': _dropped, ...unsigned } = signed();
  assert.equal(check(unsigned), 'missing webhook-* headers');
  // During a rotation the header carries one signature per secret; either key verifies.
  const rotated = { ...signed(), 'webhook-signature': signatureHeader([generateSecret(), secret], 'msg_1', NOW, body) };
  assert.equal(check(rotated), undefined);
});

const deliveries: Delivery[] = [];
const server = createWebhookReceiver({ secrets: [secret], now: () => NOW, onDelivery: (d) => deliveries.push(d) });
let url = '';
after(() => {
  server.close();
  server.closeAllConnections();
});

test('the receiver answers 204 to authentic deliveries and 401 to the rest, and reports each', async () => {
  url ||= await listen(server);
  const post = (headers: Record<string, string>, text = body) => fetch(url + '/hooks', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
  assert.equal((await post(signed())).status, 204);
  assert.equal((await post(signed())).status, 204, 'a repeat is still answered 204 (retries must stop)');
  assert.equal((await post(signed({ secret: generateSecret(), id: 'msg_forged' }))).status, 401);
  assert.equal((await post(signed({ ts: NOW - 3600, id: 'msg_old' }))).status, 401);
  assert.equal((await fetch(url + '/hooks')).status, 405);
  assert.deepEqual(deliveries.map((d) => [d.id, d.verified, d.reason, d.again]), [
    ['msg_1', true, undefined, false],
    ['msg_1', true, undefined, true],
    ['msg_forged', false, 'bad signature', false],
    ['msg_old', false, 'timestamp outside the tolerance', false],
  ]);
  const first = deliveries[0]!;
  assert.deepEqual([first.type, first.trackingNumber, first.status], ['shipment.in_transit', 'PC0000000002', 'in_transit']);
  assert.equal(formatDelivery(first, new Date(2025, 0, 15, 9, 30, 5)), '09:30:05  shipment.in_transit        PC0000000002  in_transit        ✓ verified');
  assert.match(formatDelivery(deliveries[1]!), / ✓ verified \(again\)$/);
  assert.match(formatDelivery(deliveries[2]!), / ✗ bad signature$/);
  // What it prints comes from the body: escape sequences do not reach the terminal.
  const hostile = JSON.stringify({ type: 'shipment.\u001b[2Jx', data: { tracking_number: 'PC\u0007', status: 'ok' } });
  assert.equal((await post(signed({ id: 'msg_hostile', body: hostile }), hostile)).status, 204);
  assert.deepEqual([deliveries[4]?.type, deliveries[4]?.trackingNumber], ['shipment.?[2Jx', 'PC?']);
});

test('the receiver refuses bodies over its cap, declared or streamed', async () => {
  url ||= await listen(server);
  const big = 'x'.repeat(300 * 1024);
  assert.equal((await fetch(url + '/hooks', { method: 'POST', headers: signed({ body: big }), body: big })).status, 413);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 3; i++) controller.enqueue(new TextEncoder().encode(big.slice(0, 100 * 1024)));
      controller.close();
    },
  });
  assert.equal((await fetch(url + '/hooks', { method: 'POST', headers: signed(), body: stream, duplex: 'half' } as RequestInit)).status, 413);
});

test('run directly: a secret is required and must be a whsec_ secret', async () => {
  const RECEIVER = fileURLToPath(new URL('./webhook-receiver.ts', import.meta.url));
  const run = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const child = spawn(process.execPath, [RECEIVER, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WEBHOOK_SECRET: '', ...env } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); if (out.includes('\n')) child.kill('SIGTERM'); });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const [code] = await once(child, 'exit');
    return { code: code as number | null, out };
  };
  const none = await run([]);
  assert.equal(none.code, 2);
  assert.match(none.out, /a secret is needed/);
  const malformed = await run(['--secret', 'not-a-secret']);
  assert.equal(malformed.code, 2);
  assert.match(malformed.out, /signing secret is "whsec_"/);
  const fromEnv = await run([], { WEBHOOK_SECRET: secret });
  assert.equal(fromEnv.code, 0);
  assert.match(fromEnv.out, /^receiver listening on http:\/\/127\.0\.0\.1:\d+: one line per delivery\n$/);
});
