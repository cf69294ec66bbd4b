// The portal end to end on a real node (store mode, SQLite, one gateway worker): a developer signs
// up over HTTP, reads the verification link from the node's log (the `log` mail transport), logs in,
// creates an application and an API key, and calls the gateway with it; a rotation keeps the old
// key working through the gateway during the overlap, and the old key stops once its overlap ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectStatus, spawnNode, until, type NodeProcess } from '../harness/node.ts';
import { echoHandler, startUpstream } from '../harness/upstream.ts';

const PASSWORD = 'a long enough password';

/** A browser talking to the node's portal API: cookie jar, CSRF token, same-origin Origin. */
function browser(node: NodeProcess) {
  let cookie: string | undefined;
  let csrf: string | undefined;
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const headers: Record<string, string> = { origin: node.adminUrl };
    if (cookie) headers.cookie = cookie;
    if (csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${node.adminUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    for (const c of res.headers.getSetCookie()) cookie = c.split(';')[0];
    const text = await res.text();
    const parsed = text ? JSON.parse(text) as Record<string, unknown> : {};
    if (typeof parsed.csrf_token === 'string') csrf = parsed.csrf_token;
    return { status: res.status, body: parsed };
  };
}

/** The token in the last link the node logged for this kind of mail to this address. */
function mailedToken(node: NodeProcess, to: string, kind: string): string | undefined {
  const lines = node.logs().split('\n').filter((l) => l.includes('"portal.mail"'));
  const mail = lines.map((l) => JSON.parse(l) as { mail: { to: string; kind: string; link?: string } }).filter((e) => e.mail.to === to && e.mail.kind === kind).at(-1);
  return mail?.mail.link ? new URL(mail.mail.link).searchParams.get('token') ?? undefined : undefined;
}

test('a portal key reaches the gateway; after rotation the old key works until its overlap ends', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-portal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const up = await startUpstream(echoHandler);
  t.after(() => up.close());
  const node = await spawnNode({ db: `sqlite:${join(dir, 'portcullis.db')}`, stateDir: dir, t });
  expectStatus(await node.admin('POST', '/admin/config/apply', {
    services: [{ name: 'echo', targets: [{ url: up.url }], retries: 0 }],
    routes: [{ name: 'keyed', service: 'echo', paths: ['/keyed'], plugins: [{ name: 'key-auth', config: {} }] }],
  }), 'config apply');

  const portal = browser(node);
  assert.equal((await portal('POST', '/portal/api/signup', { email: 'dev@example.com', password: PASSWORD })).status, 202);
  await until(() => mailedToken(node, 'dev@example.com', 'verify-email') !== undefined, 10_000, 'the verification mail in the log');
  assert.equal((await portal('POST', '/portal/api/account/verify', { token: mailedToken(node, 'dev@example.com', 'verify-email') })).status, 200);
  const login = await portal('POST', '/portal/api/session', { email: 'dev@example.com', password: PASSWORD });
  assert.equal(login.status, 200);
  const team = String(((login.body.account as { teams: { id: string }[] }).teams[0]!).id);
  const app = await portal('POST', `/portal/api/teams/${team}/apps`, { name: 'Shop' });
  assert.equal(app.status, 201);
  const keys = `/portal/api/teams/${team}/apps/${String(app.body.id)}/keys`;
  const first = await portal('POST', keys, {});
  assert.equal(first.status, 201);
  const oldKey = String(first.body.key);

  const status = (key: string) => callWith(node, key);
  await until(async () => await status(oldKey) === 200, 10_000, 'the portal key to reach the gateway');

  const rotated = await portal('POST', `${keys}/${String(first.body.id)}/rotate`, { overlap_seconds: 3600 });
  assert.equal(rotated.status, 201);
  const newKey = String(rotated.body.key);
  await until(async () => await status(newKey) === 200, 10_000, 'the new key to reach the gateway');
  for (let i = 0; i < 5; i++) assert.equal(await status(oldKey), 200, 'the old key keeps working during the overlap');

  // The overlap ends (its end moved to now through the portal's expiry setting): the old key stops, the new one goes on.
  assert.equal((await portal('PATCH', `${keys}/${String(first.body.id)}`, { expires_at: new Date(Date.now() + 1000).toISOString() })).status, 200);
  await until(async () => await status(oldKey) === 401, 15_000, 'the old key to stop once its overlap ended');
  assert.equal(await status(newKey), 200);
  assert.ok(!node.logs().includes(newKey) && !node.logs().includes(oldKey), 'keys never reach the log');
});

async function callWith(node: NodeProcess, key: string): Promise<number> {
  const res = await fetch(`${node.proxyUrl}/keyed`, { headers: { apikey: key } });
  await res.arrayBuffer();
  return res.status;
}
