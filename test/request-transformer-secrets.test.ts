// Upstream credentials that request-transformer adds (Authorization, X-API-Key, api_key…), in
// store mode through a real node on a SQLite store: sealed in the plugins row and the
// last-known-good file, shown only as "(sealed)" in the 201, reads, export and audit log, sent to
// the upstream in clear, kept when the marker is sent back, replaced when a new value is. The
// generic sealing path (every marked field, Postgres too) is test/plugin-secrets.test.ts. Also: a
// node seals at start what stored rows hold in clear.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { metricValue, randomToken, spawnNode, until, type NodeProcess } from './harness/node.ts';
import { startUpstream, type Upstream } from './harness/upstream.ts';

const MARKER = '(sealed)';

async function served(node: NodeProcess): Promise<void> {
  const revision = Number((await node.admin('GET', '/admin/config')).headers['x-config-revision']);
  await until(async () => (metricValue(await node.metrics(), 'portcullis_config_revision') ?? 0) >= revision, 20_000, `revision ${revision} served`);
}

/** An echoing upstream, and a SQLite file and state directory, all removed when the test ends. */
async function fixtures(t: TestContext): Promise<{ up: Upstream; file: string; stateDir: string }> {
  const up = await startUpstream();
  t.after(() => up.close());
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-rt-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { up, file: join(dir, 'portcullis.db'), stateDir: join(dir, 'state') };
}

test('request-transformer: credentials it adds are sealed at rest, redacted on the way out, sent upstream in clear', async (t) => {
  const { up, file, stateDir } = await fixtures(t);
  const token = `up-${randomBytes(16).toString('hex')}`;
  const apiKey = `key-${randomBytes(16).toString('hex')}`;
  const node = await spawnNode({ db: `sqlite:${file}`, stateDir, env: { PORTCULLIS_SECRET_KEY: randomBytes(32).toString('base64') }, t });

  assert.equal((await node.admin('POST', '/admin/services', { name: 'carrier', targets: [{ url: up.url }] })).status, 201);
  assert.equal((await node.admin('POST', '/admin/routes', { name: 'tracking', service: 'carrier', paths: ['/tracking'] })).status, 201);
  const config = { add: { headers: { Authorization: `Bearer ${token}`, 'X-Gateway': 'portcullis' }, querystring: { api_key: apiKey, format: 'json' } } };
  const created = await node.admin<Record<string, unknown>>('POST', '/admin/plugins', { name: 'request-transformer', route: 'tracking', config });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const shown = created.body.config as { add: { headers: Record<string, string>; querystring: Record<string, string> } };
  assert.deepEqual(shown.add, { headers: { Authorization: MARKER, 'X-Gateway': 'portcullis' }, querystring: { api_key: MARKER, format: 'json' } });
  await served(node);

  const upstreamSaw = async (): Promise<{ authorization: string | undefined; url: string }> => {
    const res = await fetch(`${node.proxyUrl}/tracking`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const last = up.received.at(-1)!;
    return { authorization: last.headers.authorization, url: last.url };
  };
  assert.deepEqual(await upstreamSaw(), { authorization: `Bearer ${token}`, url: `/tracking?api_key=${apiKey}&format=json` }, 'the plugin got the plaintext');

  // At rest: sealed in the row and in the last-known-good file, never in clear.
  const db = new DatabaseSync(file, { readOnly: true });
  const rows = JSON.stringify(db.prepare('SELECT * FROM plugins').all());
  db.close();
  assert.match(rows, /sealed:/);
  for (const text of [rows, readFileSync(join(stateDir, 'last-good-config.json'), 'utf8')]) {
    assert.ok(!text.includes(token) && !text.includes(apiKey), 'a credential in clear at rest');
  }

  // GET → PUT with the markers and another field changed: the credentials stay.
  const id = String(created.body.id);
  const read = await node.admin<Record<string, unknown>>('GET', `/admin/plugins/${id}`);
  const { id: _i, created_at: _c, updated_at: _u, version: _v, ...editable } = read.body;
  const edited = structuredClone(editable.config) as typeof config & { add: { headers: Record<string, string> } };
  edited.add.headers['X-Gateway'] = 'portcullis-2';
  assert.equal((await node.admin('PUT', `/admin/plugins/${id}`, { ...editable, config: edited })).status, 200);
  await served(node);
  assert.deepEqual(await upstreamSaw(), { authorization: `Bearer ${token}`, url: `/tracking?api_key=${apiKey}&format=json` }, 'the markers kept the credentials');
  assert.equal(up.received.at(-1)!.headers['x-gateway'], 'portcullis-2');

  // A new value replaces the stored one.
  const rotated = `up-${randomBytes(16).toString('hex')}`;
  edited.add.headers.Authorization = `Bearer ${rotated}`;
  assert.equal((await node.admin('PUT', `/admin/plugins/${id}`, { ...editable, config: edited })).status, 200);
  await served(node);
  assert.equal((await upstreamSaw()).authorization, `Bearer ${rotated}`);

  // Export and audit log: markers only.
  for (const path of ['/admin/config', '/admin/config?format=yaml', '/admin/audit?entity=plugin&limit=100', `/admin/plugins/${id}`]) {
    const reply = await node.admin('GET', path);
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    assert.match(text, /\(sealed\)/, path);
    for (const secret of [token, rotated, apiKey]) assert.ok(!text.includes(secret), `${path} shows a credential in clear`);
    assert.doesNotMatch(text, /sealed:/, `${path} shows a ciphertext`);
  }
  assert.equal(await node.stop(), 0);
});

test('a node seals, at start, the secrets that stored plugin rows hold in clear (written before they were secrets)', async (t) => {
  const { up, file, stateDir } = await fixtures(t);
  // One master key and one admin token for the three starts of the node.
  const opts = { db: `sqlite:${file}`, stateDir, env: { PORTCULLIS_SECRET_KEY: randomBytes(32).toString('base64') }, adminToken: randomToken(), t };
  const token = `up-${randomBytes(16).toString('hex')}`;
  const first = await spawnNode(opts);
  assert.equal((await first.admin('POST', '/admin/services', { name: 'carrier', targets: [{ url: up.url }] })).status, 201);
  assert.equal((await first.admin('POST', '/admin/routes', { name: 'tracking', service: 'carrier', paths: ['/tracking'] })).status, 201);
  assert.equal((await first.admin('POST', '/admin/plugins', { name: 'request-transformer', route: 'tracking', config: { add: { headers: { 'X-Gateway': 'portcullis' } } } })).status, 201);
  assert.equal(await first.stop(), 0);

  // The row as an older version wrote it: the credential in clear.
  const db = new DatabaseSync(file);
  const row = db.prepare("SELECT id, data, version FROM plugins WHERE plugin = 'request-transformer'").get() as { id: string; data: string; version: number };
  const data = JSON.parse(row.data) as { config: { add: { headers: Record<string, string> } } };
  data.config.add.headers.Authorization = `Bearer ${token}`;
  db.prepare('UPDATE plugins SET data = ? WHERE id = ?').run(JSON.stringify(data), row.id);
  db.close();

  const node = await spawnNode(opts);
  await until(async () => node.logs().includes('sealed secrets that stored configs held in clear'), 20_000, 'the sealing log line');
  const line = JSON.parse(node.logs().split('\n').find((l) => l.includes('sealed secrets that stored configs held in clear'))!) as { rows: number };
  assert.equal(line.rows, 1);
  const after = new DatabaseSync(file, { readOnly: true });
  const stored = after.prepare('SELECT data, version FROM plugins WHERE id = ?').get(row.id) as { data: string; version: number };
  after.close();
  assert.match(stored.data, /"Authorization":"sealed:/);
  assert.ok(!stored.data.includes(token), 'the credential is still in clear in the row');
  assert.equal(stored.version, row.version + 1);
  await served(node);
  const res = await fetch(`${node.proxyUrl}/tracking`);
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  assert.equal(up.received.at(-1)!.headers.authorization, `Bearer ${token}`, 'the sealed credential still reaches the upstream');
  assert.equal(await node.stop(), 0);

  // The next start finds nothing in clear: no write, no line.
  const again = await spawnNode(opts);
  await served(again);
  const check = new DatabaseSync(file, { readOnly: true });
  assert.equal((check.prepare('SELECT version FROM plugins WHERE id = ?').get(row.id) as { version: number }).version, row.version + 1);
  check.close();
  assert.ok(!again.logs().includes('sealed secrets that stored configs held in clear'));
  assert.equal(await again.stop(), 0);
});
