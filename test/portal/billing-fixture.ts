// A billed world for the billing API tests (SQLite and Postgres): Alice's team with application
// "Alpha <script>…" on gold (0.1 per call, approved by the admin), Bob's team with "Own" on free,
// and traffic an hour ago this month, written as gateway nodes write it and rolled up.
import assert from 'node:assert/strict';
import { addUsage, usageRow } from '../../src/portal/billing/testing.ts';
import { catalogFixture, type PortalHarness } from './helpers.ts';

export async function billed(h: PortalHarness) {
  await catalogFixture(h);
  const alice = await h.user('alice@example.com');
  const bob = await h.user('bob@example.com');
  const app = await alice.client.post(`/portal/api/teams/${alice.team}/apps`, { name: 'Alpha <script>alert(1)</script>' });
  assert.equal(app.status, 201, app.text);
  const sub = await alice.client.post(`/portal/api/teams/${alice.team}/apps/${String(app.body.id)}/subscriptions`, { product: 'shipping', plan: 'gold' });
  assert.equal(sub.status, 201, sub.text);
  // Gold needs approval: the admin approves.
  const approved = await h.admin('PATCH', `/admin/subscriptions/${String(sub.body.id)}`, { status: 'active' });
  assert.ok(approved.status === 200, approved.text);
  const own = await bob.client.post(`/portal/api/teams/${bob.team}/apps`, { name: 'Own' });
  const consumer = String(app.body.consumer);
  const now = h.settings.now();
  const d = new Date(now);
  // An hour ago, but in this month (the preview's period).
  const hourAgo = Math.max(now - 3_600_000, Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  await addUsage(h.store, [
    usageRow({ atMs: hourAgo, consumer, product: 'shipping', plan: 'gold', service: 'carrier', calls: 300 }),
    usageRow({ atMs: hourAgo, consumer, product: 'shipping', plan: 'gold', service: 'carrier', status: 429, calls: 50 }),
    usageRow({ atMs: hourAgo, consumer, product: 'shipping', plan: 'gold', service: 'carrier', status: 502, calls: 5 }),
    usageRow({ atMs: hourAgo, consumer: String(own.body.consumer), product: 'shipping', plan: 'free', service: 'carrier', calls: 999 }),
  ], now);
  return { alice, bob, app: String(app.body.id), ownApp: String(own.body.id), consumer };
}

