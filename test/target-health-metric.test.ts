// portcullis_upstream_target_healthy follows the config: a reload adds series for new targets
// and drops those of removed ones (with one worker and with two).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnGateway, waitFor } from './harness/gateway.ts';
import { startUpstream } from './harness/upstream.ts';

for (const workers of [1, 2]) {
  test(`target health series follow reloads (${workers} worker(s))`, async () => {
    const a = await startUpstream();
    const b = await startUpstream();
    const config = (url: string) => ({ services: [{ name: 's', targets: [{ url }] }], routes: [{ name: 'r', service: 's' }] });
    const gw = await spawnGateway(config(a.url), { workers });
    const series = async () => {
      const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
      return [...text.matchAll(/^portcullis_upstream_target_healthy\{service="s",target="([^"]+)"\} (\d)$/gm)].map((m) => `${m[1]}=${m[2]}`);
    };
    try {
      assert.deepEqual(await series(), [`127.0.0.1:${a.port}=1`]);
      gw.writeConfig(config(b.url));
      await waitFor(async () => (await series()).join() === `127.0.0.1:${b.port}=1`, 5000, 'only the new target to be reported');
    } finally {
      await gw.stop();
      await a.close();
      await b.close();
    }
  });
}
