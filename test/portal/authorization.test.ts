// Authorization, enumerated from the operation table itself so that a new team-scoped endpoint
// cannot be forgotten: every operation whose path names a team is called by an outsider with team
// A's ids (and with the outsider's own team and app but A's objects) and must answer 404 — the same as for
// things that do not exist — and leave A exactly as it was. Owner-only operations refuse developers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogFixture, withPortal, type Client, type Json, type PortalHarness } from './helpers.ts';

const BODIES: Record<string, unknown> = {
  'portal-rename-team': { name: 'Hijacked' },
  'portal-set-member-role': { role: 'owner' },
  'portal-invite': { email: 'intruder@example.com', role: 'owner' },
  'portal-create-app': { name: 'Planted' },
  'portal-update-app': { name: 'Hijacked' },
  'portal-subscribe': { product: 'shipping', plan: 'gold' },
  'portal-create-key': {},
  'portal-update-key': { expires_at: null },
  'portal-rotate-key': { overlap_seconds: 0 },
  'portal-create-webhook-endpoint': { url: 'https://intruder.example/hook' },
  'portal-update-webhook-endpoint': { url: 'https://intruder.example/hook' },
  'portal-rotate-webhook-secret': { overlap_seconds: 0 },
  'portal-resend-webhook': { message: 'msg_unknown' },
  'portal-replay-webhooks': { since: '2020-01-01T00:00:00Z', mode: 'all' },
};

const OWNER_ONLY = new Set(['portal-rename-team', 'portal-set-member-role', 'portal-remove-member', 'portal-list-invitations', 'portal-invite', 'portal-withdraw-invitation']);

interface World {
  readonly ids: Record<string, string>;
  readonly owner: Client;
  readonly developer: Client;
  readonly outsider: Client;
  readonly outsiderTeam: string;
  /** An application of the outsider's own team. */
  readonly outsiderApp: string;
  snapshot(): Promise<unknown>;
}

async function world(h: PortalHarness): Promise<World> {
  await catalogFixture(h);
  const { client: owner, team } = await h.user('alice@example.com');
  const { client: developer, account: dave } = await h.user('dave@example.com');
  const { client: outsider, team: outsiderTeam } = await h.user('bob@example.com');
  await owner.post(`/portal/api/teams/${team}/invitations`, { email: 'dave@example.com' });
  assert.equal((await developer.post('/portal/api/invitations/accept', { token: h.tokenFrom('dave@example.com', 'invite') })).status, 200);
  const invitation = await owner.post(`/portal/api/teams/${team}/invitations`, { email: 'carol@example.com' });
  const app = await owner.post(`/portal/api/teams/${team}/apps`, { name: 'Alpha' });
  const base = `/portal/api/teams/${team}/apps/${String(app.body.id)}`;
  const key = await owner.post(`${base}/keys`, {});
  const subscription = await owner.post(`${base}/subscriptions`, { product: 'shipping', plan: 'free' });
  const endpoint = await owner.post(`${base}/webhooks/endpoints`, { url: 'https://hooks.example.com/alpha' });
  for (const r of [invitation, app, key, subscription, endpoint]) assert.equal(r.status, 201, r.text);
  const own = await outsider.post(`/portal/api/teams/${outsiderTeam}/apps`, { name: 'Own' });
  assert.equal(own.status, 201);
  // An invoice of A's (as the worker's finalisation stores them).
  const invoice = await h.store.write((tx) => tx.invoices.insert({
    team_id: team, app_id: String(app.body.id), consumer: String(app.body.consumer), product: 'shipping', plan: 'gold', period_start: '2026-01-01T00:00:00.000Z', period_end: '2026-02-01T00:00:00.000Z',
    currency: 'USD', calls: 10, billable_calls: 10, lines: '[]', subtotal_minor: 1, total_minor: 1, provider: 'manual', provider_reference: null,
  }));
  const ids = { team, app: String(app.body.id), key: String(key.body.id), subscription: String(subscription.body.id), user: String(dave.id), invitation: String(invitation.body.id), endpoint: String(endpoint.body.id), invoice: invoice.id };
  return {
    ids, owner, developer, outsider, outsiderTeam, outsiderApp: String(own.body.id),
    async snapshot() {
      const urls = [`/portal/api/teams/${team}`, `/portal/api/teams/${team}/members`, `/portal/api/teams/${team}/invitations`, `/portal/api/teams/${team}/apps`, `${base}/keys`, `${base}/subscriptions`, `${base}/webhooks/endpoints`, `${base}/webhooks/endpoints/${String(endpoint.body.id)}/deliveries`, `/portal/api/teams/${team}/invoices`, `/portal/api/teams/${team}/invoices/${invoice.id}`];
      const out: Json = {};
      for (const url of urls) {
        const r = await owner.get(url);
        assert.equal(r.status, 200, r.text);
        out[url] = r.body;
      }
      return out;
    },
  };
}

function fill(path: string, ids: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const id = ids[name];
    assert.ok(id, `no fixture for {${name}} in ${path}: add one to this test (and keep the endpoint team-scoped)`);
    return id;
  });
}

test('a member of another team can neither see nor change team A’s team, members, invitations, apps, subscriptions or keys', async () => {
  await withPortal(async (h) => {
    const w = await world(h);
    const before = await w.snapshot();
    const scoped = h.portal.operations.filter((op) => op.path.includes('{team}'));
    assert.ok(scoped.length >= 20, `expected the team-scoped table, got ${scoped.length}`);
    for (const op of scoped) {
      const body = BODIES[op.id];
      // A's team; the outsider's own team with A's objects; the outsider's own team and app with A's objects.
      for (const own of [{}, { team: w.outsiderTeam }, { team: w.outsiderTeam, app: w.outsiderApp }] as Record<string, string>[]) {
        const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
        if (names.every((n) => n in own)) continue; // nothing of A's left in the path
        const url = fill(op.path, { ...w.ids, ...own });
        const r = await w.outsider.send(op.method, url, body === undefined ? {} : { body });
        assert.equal(r.status, 404, `${op.id} ${op.method} ${url} as an outsider: ${r.text}`);
        assert.equal(r.body.type, 'https://portcullis.dev/problems/not-found', `${op.id}: ${r.text}`);
      }
    }
    assert.deepEqual(await w.snapshot(), before, 'team A is unchanged');
    assert.ok(!((await w.outsider.get('/portal/api/teams')).body.data as Json[]).some((t) => t.id === w.ids.team));
    assert.deepEqual(h.mails.filter((m) => m.to === 'intruder@example.com'), []);
  });
});

test('developers cannot manage the team (owner-only operations answer 403)', async () => {
  await withPortal(async (h) => {
    const w = await world(h);
    const before = await w.snapshot();
    const ownerOnly = h.portal.operations.filter((op) => OWNER_ONLY.has(op.id));
    assert.equal(ownerOnly.length, OWNER_ONLY.size, 'every listed operation exists');
    const alice = String(((await w.owner.get('/portal/api/account')).body.id));
    for (const op of ownerOnly) {
      // Removing or promoting: aim at the owner (removal) and at oneself (promotion).
      const url = fill(op.path, { ...w.ids, user: op.id === 'portal-remove-member' ? alice : w.ids.user! });
      const body = BODIES[op.id];
      const r = await w.developer.send(op.method, url, body === undefined ? {} : { body });
      assert.equal(r.status, 403, `${op.id} ${op.method} ${url} as a developer: ${r.text}`);
    }
    assert.deepEqual(await w.snapshot(), before);
  });
});
