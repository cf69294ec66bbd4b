// SIGTERM on `portcullis start` with WebSocket connections open (one worker and two): every client
// and every upstream connection gets a 1001 close frame, each connection leaves one access-log line
// with its counts and close code, and the process exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnGateway, service } from './harness/gateway.ts';
import { connectWs, startWsUpstream } from './harness/websocket.ts';

for (const workers of [1, 2]) {
  test(`SIGTERM closes proxied WebSocket connections with 1001 on both sides (${workers} worker(s))`, { timeout: 90_000 }, async () => {
    const up = await startWsUpstream();
    const gw = await spawnGateway({
      gateway: { drain_timeout_ms: 10_000 },
      services: [service('ws', [up.url], { retries: 0 })],
      routes: [{ name: 'live', service: 'ws', paths: ['/live'], strip_path: true, websocket: {} }],
    }, { workers });
    try {
      const base = gw.url.replace('http:', 'ws:');
      const clients = await Promise.all(Array.from({ length: 6 }, () => connectWs(`${base}/live/echo`)));
      for (const [i, c] of clients.entries()) {
        c.ws.send(`hello ${i}`);
        assert.equal(await c.next(), `hello ${i}`);
      }
      const upstreamCloses = Promise.all(clients.map((_, i) => up.nextClose(i)));
      const exit = gw.stop('SIGTERM');
      const closed = await Promise.all(clients.map((c) => c.closed));
      for (const c of closed) assert.deepEqual(c, { code: 1001, reason: 'gateway shutting down' });
      for (const c of await upstreamCloses) assert.equal(c.code, 1001);
      assert.equal(await exit, 0);
      const lines = gw.output().split('\n').filter((l) => l.includes('"log":"websocket"')).map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, clients.length, 'one access-log line per connection');
      for (const l of lines) {
        assert.equal(l.close_code, 1001);
        assert.equal(l.closed_by, 'gateway');
        assert.equal(l.messages_in, 1);
        assert.equal(l.messages_out, 1);
        assert.equal(l.route, 'live');
        assert.equal(typeof l.duration_ms, 'number');
      }
    } finally {
      await gw.stop('SIGKILL');
      await up.close();
    }
  });
}
