import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream } from './harness/upstream.ts';
import { startGateway, spawnGateway, service } from './harness/gateway.ts';
import { rawRequest } from './harness/raw-http.ts';

test('harness: in-process and child-process gateways proxy to a real upstream', async () => {
  const up = await startUpstream();
  const config = { services: [service('s', [up.url])], routes: [{ name: 'r', service: 's', paths: ['/'] }] };
  const gw = await startGateway(config);
  const res = await fetch(`${gw.url}/a?b=1`);
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { url: string }).url, '/a?b=1');
  await gw.close();
  const proc = await spawnGateway(config);
  const r2 = await fetch(`${proc.url}/x`);
  assert.equal(r2.status, 200);
  await r2.text();
  const raw = await rawRequest(proc.proxyPort, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
  assert.equal(raw.status, 400);
  assert.equal(await proc.stop(), 0);
  assert.equal(up.received.length, 2);
  await up.close();
});
