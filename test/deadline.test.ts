// The route deadline (request_timeout_ms) bounds the whole wait for response headers: time
// queued for a free upstream connection, every attempt and every retry backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { startGateway, service } from './harness/gateway.ts';
import { startUpstream } from './harness/upstream.ts';

test('requests queued behind a hanging upstream get 504 at the route deadline', async () => {
  const held: ServerResponse[] = [];
  const up = await startUpstream((_req, res) => { held.push(res); });
  const gw = await startGateway({
    services: [service('s', [up.url], { max_connections: 1, read_timeout_ms: 60_000, request_timeout_ms: 400, retries: 0 })],
    routes: [{ name: 'r', service: 's' }],
  });
  try {
    const started = performance.now();
    const results = await Promise.all([1, 2, 3].map(async () => {
      const res = await fetch(`${gw.url}/x`);
      const body = await res.json() as { type: string };
      return { status: res.status, type: body.type, ms: performance.now() - started };
    }));
    for (const r of results) {
      assert.equal(r.status, 504);
      assert.equal(r.type, 'https://portcullis.dev/problems/upstream-timeout');
      assert.ok(r.ms >= 390 && r.ms < 3000, `answered after ${r.ms} ms`);
    }
    assert.ok(up.received.length >= 1, 'the first request reached the upstream; the others waited in the pool queue');
    // The gateway still serves once the upstream answers again.
    for (const res of held) res.end('late');
  } finally {
    await gw.close();
    await up.close();
  }
});
