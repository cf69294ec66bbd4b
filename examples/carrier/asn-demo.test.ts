// The EDI demo end to end with real parts: a Portcullis node (`portcullis start`, SQLite) given the
// demo's EDI route and trading partner the way `npm start` does (src/cli/demo-edi.ts), the real
// carrier as its upstream, and the sample 856 posted with the demo shop's API key: the carrier
// stores the notice from JSON, the shop gets a 997 accepting it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureDemoEdi } from '../../src/cli/demo-edi.ts';
import { parseEdi } from '../../src/core/edi/index.ts';
import { expectStatus, spawnNode, until } from '../../test/harness/node.ts';
import { createCarrier } from './server.ts';
import { listen } from './test-support.ts';

const SAMPLE = readFileSync(new URL('./samples/856-demo-shop.edi', import.meta.url), 'utf8');

test('the sample 856 posted to /edi/asn is stored by the carrier as JSON and acknowledged with a 997', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-edi-demo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const carrier = createCarrier();
  const carrierUrl = await listen(carrier.server);
  t.after(() => { carrier.server.close(); carrier.server.closeAllConnections(); });
  const node = await spawnNode({ db: `sqlite:${join(dir, 'portcullis.db')}`, args: ['--roles', 'gateway,admin'], t });

  expectStatus(await node.admin('POST', '/admin/services', { name: 'carrier', targets: [{ url: carrierUrl }] }), 'service', 201);
  expectStatus(await node.admin('POST', '/admin/consumers', { name: 'demo-shop' }), 'consumer', 201);
  const key = String(expectStatus(await node.admin('POST', '/admin/credentials', { consumer: 'demo-shop', type: 'key-auth' }), 'key', 201).body.key);
  assert.deepEqual(await ensureDemoEdi(node.adminUrl, node.token), ['route carrier-asn', 'trading partner demo-shop-edi']);
  assert.deepEqual(await ensureDemoEdi(node.adminUrl, node.token), [], 'idempotent');

  const post = (headers: Record<string, string>) => fetch(`${node.proxyUrl}/edi/asn`, { method: 'POST', headers: { 'content-type': 'application/edi-x12', ...headers }, body: SAMPLE });
  // The config reaches the gateway within a second or so.
  let res: Response | undefined;
  await until(async () => {
    res = await post({ apikey: key });
    if (res.status === 201) return true;
    await res.body?.cancel();
    return false;
  }, 15_000, 'the EDI route to answer 201');
  assert.equal(res!.headers.get('content-type'), 'application/edi-x12');
  const ack = await res!.text();
  assert.deepEqual(parseEdi(ack).issues, []);
  assert.match(ack, /^ISA\*00\*          \*00\*          \*ZZ\*CARRIER        \*ZZ\*DEMOSHOP       \*/);
  assert.ok(ack.includes('AK1*SH*101~\nAK2*856*0001~\nAK5*A~\nAK9*A*1*1*1~'), ack);

  const notice = await (await fetch(`${carrierUrl}/asn/asn_00000001`)).json() as Record<string, unknown>;
  assert.deepEqual({ ...notice, received_at: undefined }, {
    notice_id: 'asn_00000001', partner: 'demo-shop-edi', shipment_id: 'SHP-20251124-01', ship_date: '20251124',
    orders: ['PO-4471'], packages: 2, items: [{ description: 'COFFEE MUG, BLUE', quantity: 6 }, { description: 'TEA SAMPLER, 12 PACK', quantity: 12 }],
    received_at: undefined,
  });

  // Without the shop's key: 401 from key-auth; the sender id alone proves nothing.
  const anonymous = await post({});
  assert.equal(anonymous.status, 401);
  await anonymous.body?.cancel();
});
