// The carrier's live tracking stream, direct and through the gateway on a route like the demo's
// (key-auth, request-transformer to the carrier's path): the events so far arrive first, then each
// new one as the (injected) clock moves the parcel on; no key, no stream; unknown numbers get 404.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { checkConfig } from '../../src/core/config/load.ts';
import type { GatewayConfig } from '../../src/core/snapshot/compile.ts';
import { Gateway } from '../../src/gateway/gateway.ts';
import { BUNDLED_CATALOG } from '../../src/plugins/index.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { connectWs, refused } from '../../test/harness/websocket.ts';
import { createCarrier, type Carrier } from './server.ts';
import { DEMO_TRACKING_NUMBER } from './shipments.ts';

const STEP_MS = 60_000;
const KEY = `demo-${randomBytes(8).toString('hex')}`;
let clock = Date.parse('2026-01-01T00:00:00Z');
let carrier: Carrier;
let carrierUrl: string;
let gateway: Gateway;
let gatewayUrl: string;

before(async () => {
  carrier = createCarrier({ now: () => clock, stepMs: STEP_MS });
  await new Promise<void>((resolve) => carrier.server.listen(0, '127.0.0.1', resolve));
  carrierUrl = `ws://127.0.0.1:${(carrier.server.address() as AddressInfo).port}`;
  const config = checkConfig({
    gateway: { access_log: false },
    consumers: [{ name: 'demo-shop' }],
    services: [{ name: 'carrier', targets: [{ url: carrierUrl.replace('ws:', 'http:') }] }],
    routes: [{
      name: 'carrier-tracking-stream',
      service: 'carrier',
      paths: ['/carrier/tracking/{number}/stream'],
      methods: ['GET'],
      strip_path: true,
      websocket: { max_message_bytes: 4096 },
      plugins: [{ name: 'key-auth' }, { name: 'request-transformer', config: { replace: { uri: '/tracking/{number}/stream' } } }],
    }],
  });
  const lookup = createHash('sha256').update(KEY).digest('hex');
  const withKey: GatewayConfig = { ...config, credentials: [{ id: 'k1', consumer: 'demo-shop', type: 'key-auth', lookup, secret_hash: null, expires_at: null, revoked_at: null }] };
  gateway = new Gateway(withKey, { logger: createLogger({ pretty: false, level: 'silent' }), catalog: BUNDLED_CATALOG });
  gatewayUrl = `ws://127.0.0.1:${(await gateway.listen(0, '127.0.0.1')).port}`;
});

after(async () => {
  await gateway.drain(2000);
  carrier.server.closeAllConnections();
  await new Promise((resolve) => carrier.server.close(resolve));
});

const parse = (m: string | Buffer) => JSON.parse(String(m)) as { type: string; tracking_number: string; status: string };

test('through the gateway with the API key: the history first, then each status change as it happens', async () => {
  const c = await connectWs(`${gatewayUrl}/carrier/tracking/${DEMO_TRACKING_NUMBER}/stream`, { headers: { apikey: KEY } });
  const first = parse(await c.next());
  assert.equal(first.type, 'tracking');
  assert.equal(first.tracking_number, DEMO_TRACKING_NUMBER);
  assert.equal(first.status, 'label_created');
  clock += STEP_MS; // the parcel moves on; the stream notices within its check interval
  assert.equal(parse(await c.next()).status, 'in_transit');
  clock += STEP_MS;
  assert.equal(parse(await c.next()).status, 'out_for_delivery');
  c.ws.close(1000);
  assert.equal((await c.closed).code, 1000);
});

test('without a key: 401, no stream', async () => {
  const r = await refused(`${gatewayUrl}/carrier/tracking/${DEMO_TRACKING_NUMBER}/stream`);
  assert.equal(r.status, 401);
});

test('an unknown tracking number: the carrier refuses the upgrade (404), the gateway answers 502', async () => {
  const direct = await refused(`${carrierUrl}/tracking/PC9999999999/stream`);
  assert.equal(direct.status, 404);
  const proxied = await refused(`${gatewayUrl}/carrier/tracking/PC9999999999/stream`, { headers: { apikey: KEY } });
  assert.equal(proxied.status, 502);
});
