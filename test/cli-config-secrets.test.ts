// `portcullis config export|diff|apply` (the real CLI, as a child process) against a store holding
// sealed secrets: webhook-verify secrets, a jwt HS256 key, the Redis password. The export shows
// "(sealed)" and never a secret (in clear or sealed); diff finds no change in the export, nor in the
// same secret written in clear, and a change where a secret really changed; applying an edited
// export keeps the stored secrets, so a node started on the store afterwards still accepts a
// correctly signed webhook and HS256 token; an export applied to another store is refused. On
// SQLite, and on Postgres when PORTCULLIS_TEST_POSTGRES names a server.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import YAML from 'yaml';
import { BIN } from './harness/gateway.ts';
import { spawnNode, type NodeProcess } from './harness/node.ts';
import { deliverSigned } from './harness/webhook-delivery.ts';
import { createTestDatabase, onCi, postgresUrl, POSTGRES_ENV } from './harness/postgres.ts';
import { rawSql } from './harness/raw-sql.ts';
import { startUpstream } from './harness/upstream.ts';

const ISS = 'https://issuer.example';
const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const newHsKey = () => `hs-${randomBytes(24).toString('hex')}`;
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_')));

interface Run { status: number; stdout: string; stderr: string }

/** The real CLI on `db`, with the nodes' state directory (where the master key is). */
function cli(db: string, stateDir: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args, '--db', db, '--state-dir', stateDir], { encoding: 'utf8', timeout: 60_000, env }, (err, stdout, stderr) => {
      resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

type Doc = {
  gateway: { redis: { url: string } };
  routes: { name: string; service: string; paths: string[]; plugins: { name: string; config: Record<string, unknown> }[] }[];
};

function document(upstream: string, webhookSecret: string, hsKey: string, redisPassword: string): Doc & Record<string, unknown> {
  return {
    // No plugin uses Redis here: the URL is only stored, never connected to.
    gateway: { redis: { url: `redis://app:${redisPassword}@redis.internal:6379/0` } },
    services: [{ name: 'app', targets: [{ url: upstream }], retries: 0 }],
    consumers: [{ name: 'acme' }],
    routes: [
      { name: 'hooks', service: 'app', paths: ['/hooks'], plugins: [{ name: 'webhook-verify', config: { secrets: [webhookSecret] } }] },
      { name: 'api', service: 'app', paths: ['/api'], plugins: [{ name: 'jwt', config: { issuers: [{ issuer: ISS, algorithms: ['HS256'], keys: [hsKey] }] } }] },
    ],
  };
}

/** A Standard Webhooks delivery signed with `secret`; the status the gateway answers. */
function deliver(node: NodeProcess, secret: string): Promise<number> {
  return deliverSigned(node.proxyUrl, secret);
}

/** A request with an HS256 token signed with `key`; the status the gateway answers. */
async function callApi(node: NodeProcess, key: string): Promise<number> {
  const token = await new SignJWT({ sub: 'acme' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISS).setExpirationTime('5m').sign(new TextEncoder().encode(key));
  const res = await fetch(`${node.proxyUrl}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

function assertNoSecret(text: string, secrets: readonly string[], where: string): void {
  for (const s of secrets) assert.ok(!text.includes(s), `${where} shows a secret in clear`);
  assert.doesNotMatch(text, /sealed:[0-9a-f]+:v1\./, `${where} shows a sealed value`);
}

async function scenario(t: TestContext, db: string, otherDb: string): Promise<void> {
  const up = await startUpstream((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok'); });
  t.after(() => up.close());
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const stateDir = join(dir, 'state');
  const file = (name: string, doc: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, YAML.stringify(doc));
    return path;
  };
  const webhookSecret = newWebhookSecret();
  const hsKey = newHsKey();
  const redisPassword = `pw-${randomBytes(16).toString('hex')}`;
  const rotatedSecret = newWebhookSecret();
  const secrets = [webhookSecret, webhookSecret.slice('whsec_'.length), hsKey, redisPassword, rotatedSecret];

  // The store holds the secrets sealed (the CLI made the nodes' master key in the state directory).
  const applied = await cli(db, stateDir, 'config', 'apply', file('source.yaml', document(up.url, webhookSecret, hsKey, redisPassword)));
  assert.equal(applied.status, 0, applied.stderr);
  assert.match(applied.stderr, /created a new master key/);
  const rows = JSON.stringify(await rawSql(db, 'select data from plugins')) + JSON.stringify(await rawSql(db, 'select data from settings where key = ?', ['gateway']));
  assert.equal(rows.match(/sealed:[0-9a-f]+:v1\./g)?.length, 3, 'the webhook secret, the HS key and the Redis password are sealed');
  for (const s of secrets) assert.ok(!rows.includes(s), 'a secret is stored in clear');

  // Export: the marker in place of each secret, in YAML and JSON.
  const exportFile = join(dir, 'export.yaml');
  const exported = await cli(db, stateDir, 'config', 'export', '-o', exportFile);
  assert.equal(exported.status, 0, exported.stderr);
  const yaml = readFileSync(exportFile, 'utf8');
  assertNoSecret(yaml, secrets, 'the YAML export');
  const doc = YAML.parse(yaml) as Doc;
  assert.deepEqual(doc.routes.find((r) => r.name === 'hooks')!.plugins[0]!.config.secrets, ['(sealed)']);
  assert.deepEqual((doc.routes.find((r) => r.name === 'api')!.plugins[0]!.config.issuers as { keys: string[] }[])[0]!.keys, ['(sealed)']);
  assert.equal(doc.gateway.redis.url, 'redis://app:(sealed)@redis.internal:6379/0');
  const json = await cli(db, stateDir, 'config', 'export', '--format', 'json');
  assert.equal(json.status, 0, json.stderr);
  assertNoSecret(json.stdout, secrets, 'the JSON export');
  assert.deepEqual(JSON.parse(json.stdout), doc, 'JSON and YAML say the same');

  // Diff: the export is no change, nor the same secrets written in clear.
  const same = await cli(db, stateDir, 'config', 'diff', exportFile, '--exit-code');
  assert.equal(same.status, 0, same.stdout + same.stderr);
  assert.match(same.stdout, /^no changes$/m);
  const inClear = await cli(db, stateDir, 'config', 'diff', file('in-clear.yaml', document(up.url, webhookSecret, hsKey, redisPassword)), '--exit-code');
  assert.equal(inClear.status, 0, inClear.stdout + inClear.stderr);

  // A secret that really changed is a change: named, the marker on both sides, never the values.
  const changedDoc = structuredClone(doc);
  changedDoc.routes.find((r) => r.name === 'hooks')!.plugins[0]!.config.secrets = [rotatedSecret];
  const changed = await cli(db, stateDir, 'config', 'diff', file('changed.yaml', changedDoc), '--exit-code');
  assert.equal(changed.status, 2, changed.stdout + changed.stderr);
  assert.match(changed.stdout, /^~ plugin webhook-verify@route:hooks$/m);
  assert.match(changed.stdout, /^ {4}config\.secrets: \["\(sealed\)"\] → \["\(sealed\)"\]$/m);
  assert.match(changed.stdout, /^1 change: 0 to create, 1 to update, 0 to delete$/m);
  assertNoSecret(changed.stdout + changed.stderr, secrets, 'the diff');

  // The export, edited elsewhere in those plugins (so their rows are written again), applied back:
  // every marker keeps its stored secret.
  const edited = structuredClone(doc);
  edited.routes.find((r) => r.name === 'hooks')!.plugins[0]!.config.tolerance_seconds = 600;
  (edited.routes.find((r) => r.name === 'api')!.plugins[0]!.config.issuers as { clock_skew_seconds: number }[])[0]!.clock_skew_seconds = 30;
  const reapplied = await cli(db, stateDir, 'config', 'apply', file('edited.yaml', edited));
  assert.equal(reapplied.status, 0, reapplied.stdout + reapplied.stderr);
  assert.match(reapplied.stdout, /^2 changes: 0 to create, 2 to update, 0 to delete$/m);
  assertNoSecret(reapplied.stdout + reapplied.stderr, secrets, 'the apply');
  // The stored secrets are still the first ones: the edited document with them in clear is no change.
  const editedInClear = structuredClone(edited);
  editedInClear.gateway.redis.url = `redis://app:${redisPassword}@redis.internal:6379/0`;
  editedInClear.routes.find((r) => r.name === 'hooks')!.plugins[0]!.config.secrets = [webhookSecret];
  (editedInClear.routes.find((r) => r.name === 'api')!.plugins[0]!.config.issuers as { keys: string[] }[])[0]!.keys = [hsKey];
  const kept = await cli(db, stateDir, 'config', 'diff', file('edited-in-clear.yaml', editedInClear), '--exit-code');
  assert.equal(kept.status, 0, kept.stdout + kept.stderr);

  // The export is no backup of the secrets: another store has none to keep, and refuses it whole.
  const elsewhere = await cli(otherDb, join(dir, 'other-state'), 'config', 'apply', exportFile);
  assert.equal(elsewhere.status, 1, elsewhere.stdout + elsewhere.stderr);
  assert.match(elsewhere.stderr, /plugin "webhook-verify@route:hooks": config\.secrets\[0\] is "\(sealed\)", but the store holds no secret there to keep/);
  assert.match(elsewhere.stderr, /gateway\.redis\.url: "\(sealed\)" keeps the secret stored here, and there is none/);
  assert.deepEqual(await rawSql(otherDb, 'select key from plugins'), [], 'nothing was written');

  // A node on the store: the secrets reach the plugins as they were first written.
  const node = await spawnNode({ db, stateDir, t });
  assert.equal(await deliver(node, webhookSecret), 200, 'a correctly signed webhook passes');
  assert.equal(await deliver(node, rotatedSecret), 401);
  assert.equal(await callApi(node, hsKey), 200, 'a correctly signed HS256 token passes');
  assert.equal(await callApi(node, newHsKey()), 401);
  assert.equal(await node.stop(), 0);
  assertNoSecret(node.logs(), secrets, 'the node\'s log');
}

test('config export, diff and apply on a SQLite store holding sealed secrets', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-secrets-db-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await scenario(t, `sqlite:${join(dir, 'a.db')}`, `sqlite:${join(dir, 'b.db')}`);
});

if (postgresUrl() !== undefined) {
  test('config export, diff and apply on a Postgres store holding sealed secrets', async (t) => {
    const a = await createTestDatabase();
    t.after(() => a.drop());
    const b = await createTestDatabase();
    t.after(() => b.drop());
    await scenario(t, a.url, b.url);
  });
} else if (onCi()) {
  test('CLI config with sealed secrets on Postgres', () => assert.fail(`${POSTGRES_ENV} is not set: CI must run the Postgres CLI secrets test`));
} else {
  test('CLI config with sealed secrets on Postgres', { skip: `${POSTGRES_ENV} is not set` }, () => undefined);
}
