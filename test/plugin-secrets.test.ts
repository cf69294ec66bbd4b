// Plugin secrets in store mode, through a real node on a real store (SQLite, and Postgres when
// PORTCULLIS_TEST_POSTGRES names one): a webhook-verify secret written through the admin API is
// sealed in the database row and the last-known-good file, shown only as "(sealed)" (entity reads,
// audit log, export, diff), still reaches the plugin (a signed delivery passes), is kept when the
// marker is sent back and replaced when a new one is; a node with another master key refuses to
// start and says which plugin field it cannot open.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Client } from 'pg';
import { launchNode, metricValue, spawnNode, until, type NodeProcess } from './harness/node.ts';
import { deliverSigned } from './harness/webhook-delivery.ts';
import { createTestDatabase, onCi, postgresUrl, POSTGRES_ENV } from './harness/postgres.ts';
import { startUpstream } from './harness/upstream.ts';

const MARKER = '(sealed)';
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const newMasterKey = () => randomBytes(32).toString('base64');

/** A Standard Webhooks delivery signed with `secret`; the status the gateway answers. */
function deliver(node: NodeProcess, secret: string): Promise<number> {
  return deliverSigned(node.proxyUrl, secret);
}

/** Waits until the node serves store revision `revision` or later. */
async function served(node: NodeProcess, revision: number): Promise<void> {
  await until(async () => (metricValue(await node.metrics(), 'portcullis_config_revision') ?? 0) >= revision, 20_000, `revision ${revision} served`);
}

const revisionOf = async (node: NodeProcess) => Number((await node.admin('GET', '/admin/config')).headers['x-config-revision']);

/** The secret, and the key part of it, appear nowhere in `text`. */
function assertAbsent(text: string, secrets: readonly string[], where: string): void {
  for (const s of secrets) {
    assert.ok(!text.includes(s), `${where} contains a secret in clear`);
    assert.ok(!text.includes(s.slice('whsec_'.length)), `${where} contains a secret's key in clear`);
  }
}

async function scenario(t: TestContext, db: string, rawPluginRows: () => Promise<string>): Promise<void> {
  const up = await startUpstream((_req, res) => { res.writeHead(204); res.end(); });
  t.after(() => up.close());
  const stateDir = mkdtempSync(join(tmpdir(), 'portcullis-plugin-secrets-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const masterKey = newMasterKey();
  const first = newSecret();
  const second = newSecret();

  const node = await spawnNode({ db, stateDir, env: { PORTCULLIS_SECRET_KEY: masterKey }, t });
  assert.equal((await node.admin('POST', '/admin/services', { name: 'hooks', targets: [{ url: up.url }] })).status, 201);
  assert.equal((await node.admin('POST', '/admin/routes', { name: 'hooks', service: 'hooks', paths: ['/hooks'] })).status, 201);
  const created = await node.admin<Record<string, unknown>>('POST', '/admin/plugins', { name: 'webhook-verify', route: 'hooks', config: { secrets: [first] } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual((created.body.config as { secrets: string[] }).secrets, [MARKER], 'the 201 shows the marker');
  const id = String(created.body.id);
  await served(node, await revisionOf(node));
  assert.equal(await deliver(node, first), 204, 'the plugin got the plaintext');
  assert.equal(await deliver(node, second), 401);

  // At rest: sealed in the row and in the last-known-good file.
  const rows = await rawPluginRows();
  assert.match(rows, /sealed:/);
  assertAbsent(rows, [first], 'the plugins table');
  const lastGood = readFileSync(join(stateDir, 'last-good-config.json'), 'utf8');
  assert.match(lastGood, /sealed:/);
  assertAbsent(lastGood, [first], 'the last-known-good file');

  // GET → edit another field → PUT with the marker: the secret stays.
  const read = await node.admin<Record<string, unknown>>('GET', `/admin/plugins/${id}`);
  assert.deepEqual((read.body.config as { secrets: string[] }).secrets, [MARKER]);
  const { id: _i, created_at: _c, updated_at: _u, version: _v, ...editable } = read.body;
  const kept = await node.admin('PUT', `/admin/plugins/${id}`, { ...editable, config: { ...(editable.config as object), tolerance_seconds: 600 } });
  assert.equal(kept.status, 200, JSON.stringify(kept.body));
  await served(node, await revisionOf(node));
  assert.equal(await deliver(node, first), 204, 'the marker kept the secret');

  // A new secret replaces it: the old signature is refused from then on.
  const rotated = await node.admin('PUT', `/admin/plugins/${id}`, { ...editable, config: { secrets: [second] } });
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  await served(node, await revisionOf(node));
  assert.equal(await deliver(node, second), 204);
  assert.equal(await deliver(node, first), 401);

  // A marker with no stored secret at its place is refused, naming the field.
  const dangling = await node.admin<{ errors?: { pointer: string }[] }>('PUT', `/admin/plugins/${id}`, { ...editable, config: { secrets: [MARKER, MARKER] } });
  assert.equal(dangling.status, 400, JSON.stringify(dangling.body));
  assert.match(JSON.stringify(dangling.body), /\/config\/secrets\/1/);

  // Audit log, export and diff: never the plaintext nor the ciphertext.
  const audit = await node.admin('GET', '/admin/audit?entity=plugin&limit=100');
  const auditText = JSON.stringify(audit.body);
  assert.match(auditText, /\(sealed\)/);
  assert.doesNotMatch(auditText, /sealed:/);
  assertAbsent(auditText, [first, second], 'the audit log');
  const exported = await node.admin<Record<string, unknown>>('GET', '/admin/config');
  const exportText = JSON.stringify(exported.body);
  assert.doesNotMatch(exportText, /sealed:/);
  assertAbsent(exportText, [first, second], 'the export');
  const roundTrip = await node.admin<{ changes: unknown[] }>('POST', '/admin/config/diff', exported.body);
  assert.deepEqual(roundTrip.body.changes, [], 'the export applies back unchanged (markers keep the secrets)');
  const withPlaintext = structuredClone(exported.body) as { routes: { plugins: { config: { secrets: string[] } }[] }[] };
  withPlaintext.routes[0]!.plugins[0]!.config.secrets = [second];
  assert.deepEqual((await node.admin<{ changes: unknown[] }>('POST', '/admin/config/diff', withPlaintext)).body.changes, [], 'the same secret in clear is no change');
  withPlaintext.routes[0]!.plugins[0]!.config.secrets = [first];
  const changed = await node.admin<{ changes: { fields?: unknown[] }[] }>('POST', '/admin/config/diff', withPlaintext);
  assert.equal(changed.body.changes.length, 1, JSON.stringify(changed.body));
  assert.deepEqual(changed.body.changes[0]!.fields, [{ path: 'config.secrets', before: [MARKER], after: [MARKER] }]);
  assertAbsent(JSON.stringify(changed.body), [first, second], 'the diff');

  assert.equal(await node.stop(), 0);

  // Another master key: the node says which plugin field it cannot open, and does not start.
  const otherState = mkdtempSync(join(tmpdir(), 'portcullis-plugin-secrets-other-'));
  t.after(() => rmSync(otherState, { recursive: true, force: true }));
  const wrong = launchNode({ db, stateDir: otherState, env: { PORTCULLIS_SECRET_KEY: newMasterKey() } });
  await assert.rejects(wrong.started);
  assert.notEqual(await wrong.exited, 0);
  const problems = wrong.logs().split('\n').filter((l) => l.startsWith('{')).flatMap((l) => (JSON.parse(l) as { problems?: string[] }).problems ?? []);
  assert.ok(problems.some((p) => p.startsWith('plugin "webhook-verify@route:hooks": config.secrets[0] cannot be opened: it was sealed with another master key')), wrong.logs());
  assertAbsent(wrong.logs(), [first, second], 'the refusal');
}

test('plugin secrets on SQLite: sealed at rest, redacted on the way out, opened for the plugin', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-plugin-secrets-db-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'portcullis.db');
  await scenario(t, `sqlite:${file}`, async () => {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      return JSON.stringify(db.prepare('SELECT * FROM plugins').all());
    } finally {
      db.close();
    }
  });
});

if (postgresUrl() !== undefined) {
  test('plugin secrets on Postgres: sealed at rest, redacted on the way out, opened for the plugin', async (t) => {
    const database = await createTestDatabase();
    t.after(() => database.drop());
    await scenario(t, database.url, async () => {
      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        return JSON.stringify((await client.query('SELECT * FROM plugins')).rows);
      } finally {
        await client.end();
      }
    });
  });
} else if (onCi()) {
  test('plugin secrets on Postgres', () => {
    assert.fail(`${POSTGRES_ENV} is not set: CI must run the Postgres plugin-secrets test`);
  });
} else {
  test('plugin secrets on Postgres', { skip: `${POSTGRES_ENV} is not set` }, () => undefined);
}
