// At-least-once across crashes: the worker process is killed with SIGKILL again and again while
// deliveries are in flight and events keep being published; a receiver counts what arrives. Every
// event must arrive at least once and nothing may be left undelivered. On Postgres two workers run
// side by side, and no message may arrive twice while nobody crashes (claims never overlap).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { masterKeyFingerprint } from '../../src/core/identity/sealed.ts';
import type { Store } from '../../src/store/ports.ts';
import { WebhookService } from '../../src/webhooks/service.ts';
import { compileSsrfPolicy } from '../../src/webhooks/ssrf.ts';
import { waitFor } from '../harness/gateway.ts';
import { launchNode, type LaunchedNode } from '../harness/node.ts';
import { startUpstream } from '../harness/upstream.ts';
import { STORE_CASES } from './stores.ts';

const keyBytes = randomBytes(32);
const master = { key: keyBytes, fingerprint: masterKeyFingerprint(keyBytes) };
const workerEnv = {
  PORTCULLIS_SECRET_KEY: keyBytes.toString('base64'),
  PORTCULLIS_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8',
  PORTCULLIS_WEBHOOK_TIMEOUT_MS: '1000',
  PORTCULLIS_WEBHOOK_LEASE_MS: '1600',
  PORTCULLIS_WEBHOOK_POLL_MS: '50',
  PORTCULLIS_WEBHOOK_CONCURRENCY: '32',
};

async function counting(defer: (fn: () => unknown) => void) {
  const seen = new Map<string, number>();
  const rx = await startUpstream((req, res) => {
    const id = String(req.headers['webhook-id']);
    // A little latency, so that a kill finds deliveries in flight.
    setTimeout(() => { seen.set(id, (seen.get(id) ?? 0) + 1); res.end('ok'); }, Math.floor(Math.random() * 20));
  });
  defer(() => rx.close());
  return { rx, seen };
}

async function setup(store: Store, url: string) {
  const service = new WebhookService(store, master, compileSsrfPolicy({ allow: ['127.0.0.0/8'] }));
  await service.createEventType({ name: 'shipment.updated' });
  await service.createApplication({ name: 'acme' });
  await service.createEndpoint('acme', { url, allow_http: true, max_in_flight: 16 });
  const published: string[] = [];
  const publishMany = async (n: number) => {
    for (let i = 0; i < n; i++) published.push((await service.publish({ event_type: 'shipment.updated', payload: { i } , application: 'acme' })).message.id);
  };
  return { published, publishMany };
}

const worker = (db: string): LaunchedNode => launchNode({ db, args: ['--roles', 'worker'], env: workerEnv });

async function pendingCount(store: Store): Promise<number> {
  return (await store.read().webhookLog.listDeliveries({ limit: 1000, status: 'pending' })).data.length;
}

for (const c of STORE_CASES) {
  test(`${c.dialect}: SIGKILL the worker mid-delivery, again and again: every event is delivered at least once`, { skip: c.skip, timeout: 240_000 }, async (t) => {
    const { url, store, defer } = await c.open(t);
    const { rx, seen } = await counting(defer);
    const { published, publishMany } = await setup(store, rx.url);
    await publishMany(300);
    const KILLS = 20;
    let killedInFlight = 0;
    for (let round = 0; round < KILLS; round++) {
      const node = worker(url);
      await node.started;
      const before = seen.size;
      // Let it get going, publish more meanwhile, then kill it without warning.
      const publishing = publishMany(60);
      await waitFor(() => seen.size > before, 20_000, 'some progress before the kill');
      await new Promise((r) => setTimeout(r, 10 + Math.floor(Math.random() * 120)));
      if ((await store.read().webhookLog.listDeliveries({ limit: 1, status: 'pending' })).data.length > 0) killedInFlight++;
      node.child.kill('SIGKILL');
      await node.exited;
      await publishing;
    }
    const last = worker(url);
    defer(async () => { last.child.kill('SIGKILL'); await last.exited; });
    await last.started;
    await waitFor(async () => published.every((id) => seen.has(id)) && await pendingCount(store) === 0, 60_000, 'every event delivered');
    last.child.kill('SIGTERM');
    assert.equal(await last.exited, 0);
    const missing = published.filter((id) => !seen.has(id));
    assert.deepEqual(missing, [], 'no event lost');
    const failed = (await store.read().webhookLog.listDeliveries({ limit: 10, status: 'failed' })).data;
    assert.deepEqual(failed, [], 'nothing dead-lettered');
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    t.diagnostic(`${published.length} events, ${KILLS} kills (${killedInFlight} with deliveries outstanding), ${duplicates} delivered more than once (at-least-once)`);
  });
}

const pg = STORE_CASES.find((c) => c.dialect === 'postgres')!;
test('postgres: two workers share the deliveries and never send the same one twice', { skip: pg.skip, timeout: 120_000 }, async (t) => {
  const { url, store, defer } = await pg.open(t);
  const { rx, seen } = await counting(defer);
  const { published, publishMany } = await setup(store, rx.url);
  const a = worker(url);
  const b = worker(url);
  defer(async () => { for (const n of [a, b]) { n.child.kill('SIGKILL'); await n.exited; } });
  await Promise.all([a.started, b.started]);
  await publishMany(600);
  await waitFor(() => published.every((id) => seen.has(id)), 60_000, 'every event delivered');
  await waitFor(async () => await pendingCount(store) === 0, 10_000, 'attempts recorded');
  const twice = [...seen.entries()].filter(([, n]) => n > 1).map(([id]) => id);
  assert.deepEqual(twice, [], 'no message delivered twice');
  const attempts = (await store.read().webhookLog.listAttempts({ limit: 1000 })).data;
  assert.equal(attempts.length, 600);
});
