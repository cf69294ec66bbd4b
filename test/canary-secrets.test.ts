// RELIABILITY.md: "Tests seed unique canary secrets and fail if any canary shows up in any sink."
// Credentials ride in every place a client can put them, through every kind of answer (proxied,
// 404, 403, 413, 502, invalid path, malformed); then the logs, the metrics and every response body the
// gateway produced itself are searched for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { refusedPort, startUpstream } from './harness/upstream.ts';
import { spawnGateway } from './harness/gateway.ts';
import { rawRequest } from './harness/raw-http.ts';

test('canary secrets never reach logs, metrics or gateway-made error bodies', async () => {
  const canary = `canary-${randomUUID()}`;
  const up = await startUpstream((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': `session=${canary}` }); res.end('ok'); });
  const dead = await refusedPort();
  const gw = await spawnGateway({
    gateway: { max_body_bytes: 64 },
    services: [
      { name: 'live', targets: [{ url: up.url }] },
      { name: 'dead', targets: [{ url: `http://127.0.0.1:${dead}` }], retries: 0 },
    ],
    routes: [
      { name: 'live', service: 'live', paths: ['/live'] },
      { name: 'dead', service: 'dead', paths: ['/dead'] },
      { name: 'blocked', service: 'live', paths: ['/blocked'], plugins: [{ name: 'ip-restriction', config: { deny: ['127.0.0.0/8', '::1'] } }] },
    ],
  });
  const bodies: string[] = [];
  try {
    const headers = { authorization: `Bearer ${canary}`, cookie: `sid=${canary}`, 'proxy-authorization': `Basic ${canary}`, 'x-api-key': canary };
    for (const path of ['/live/a', '/dead/a', '/blocked/a', '/nowhere', '/live/%2F', '/live/../../x']) {
      const res = await fetch(`${gw.url}${path}?api_key=${canary}&token=${canary}`, { headers });
      const body = await res.text();
      if (res.headers.get('content-type')?.startsWith('application/problem+json')) bodies.push(body);
    }
    const big = await fetch(`${gw.url}/live/upload?api_key=${canary}`, { method: 'POST', headers, body: 'x'.repeat(1000) });
    bodies.push(await big.text());
    const raw = await rawRequest(gw.proxyPort, `GET /live?key=${canary} HTTP/1.1\r\nHost: x\r\nAuthorization: ${canary}\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n`);
    bodies.push(raw.text);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    const ready = await (await fetch(`${gw.adminUrl}/ready`)).text();
    assert.equal(await gw.stop(), 0);
    const sinks: Record<string, string> = { logs: gw.output(), metrics, ready, 'problem bodies': bodies.join('\n') };
    for (const [sink, text] of Object.entries(sinks)) assert.ok(!text.includes(canary), `the canary leaked into ${sink}`);
    // The sinks were not empty: the test looked at real output.
    assert.ok(gw.output().includes('"log":"access"') && bodies.length >= 5 && metrics.includes('portcullis_http_requests_total'));
  } finally {
    await gw.stop();
    await up.close();
  }
});
