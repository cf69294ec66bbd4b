// `portcullis webhooks …` as an operator runs it: the real CLI against a SQLite store, and at the
// end a real worker node delivering what the CLI published to a receiver that checks the signature
// with the secret the CLI printed. Each CLI call is a process (~0.5-1 s), so assertions are batched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretKey, verifySignatureHeader } from '../src/core/webhooks/signature.ts';
import { openStore } from '../src/store/open.ts';
import { BIN } from './harness/gateway.ts';
import { spawnNode, until } from './harness/node.ts';
import { startUpstream } from './harness/upstream.ts';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-webhooks-cli-'));
const stateDir = join(dir, 'state');
const db = `sqlite:${join(dir, 'webhooks.db')}`;
/** No PORTCULLIS_* settings from the caller (they are fallbacks for flags); loopback receivers allowed. */
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_'))),
  PORTCULLIS_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8',
};

interface Run { status: number | null; stdout: string; stderr: string }

function cli(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** `portcullis webhooks ARGS --db <db> --state-dir <state>`. */
const wh = (...args: string[]) => cli(['webhooks', ...args, '--db', db, '--state-dir', stateDir]);

function ok(r: Run, what: string): Run {
  assert.equal(r.status, 0, `${what}: exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

const field = (stdout: string, name: string): string => {
  const m = new RegExp(`^${name}\\s+(\\S+)$`, 'm').exec(stdout);
  assert.ok(m, `no "${name}" line in:\n${stdout}`);
  return m[1]!;
};

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

const SCHEMA = { type: 'object', required: ['tracking'], properties: { tracking: { type: 'string' }, weight: { type: 'number', minimum: 0 } } };
const HEADER_SECRET = `Bearer ${randomBytes(8).toString('hex')}`;

// Shared by the tests below, in order (node:test runs a file's tests one after another).
let endpointId = '';
let firstSecret = '';
let messageId = '';

test('model: an event type with a schema, an application, an endpoint whose secret is printed once; tables and JSON', async () => {
  ok(await wh('event-types', 'create', 'shipment.delivered', '--description', 'A parcel arrived', '--schema', file('schema.json', SCHEMA), '--example', file('example.json', { tracking: '1Z' })), 'event-types create');
  ok(await wh('apps', 'create', 'acme', '--consumer', 'acme'), 'apps create');
  const added = ok(await wh('endpoints', 'add', 'acme', 'http://127.0.0.1:9/hooks', '--allow-http', '--types', 'shipment.*,invoice.paid', '--header', `authorization=${HEADER_SECRET}`, '--rate-limit', '5'), 'endpoints add');
  endpointId = field(added.stdout, 'endpoint');
  firstSecret = field(added.stdout, 'secret');
  assert.match(endpointId, /^ep_[0-9a-f]{32}$/);
  assert.match(firstSecret, /^whsec_/);
  assert.equal(secretKey(firstSecret).byteLength, 32, 'a usable Standard Webhooks secret');
  assert.match(added.stderr, /keep the secret/);
  assert.doesNotMatch(added.stderr, /whsec_/, 'the note on stderr does not repeat the secret');
  assert.match(added.stderr, /created a new master key in .*secret\.key/, 'the first secret needs a master key, made where the nodes look for it');
  assert.ok(existsSync(join(stateDir, 'secret.key')));

  const [table, shown] = await Promise.all([wh('endpoints', 'list'), wh('endpoints', 'show', endpointId, '--json')]);
  const lines = ok(table, 'endpoints list').stdout.trim().split('\n');
  assert.match(lines[0]!, /^ID\s+APPLICATION\s+STATE\s+URL\s+EVENT TYPES\s+CHANNELS$/);
  assert.equal(lines.length, 2);
  assert.deepEqual(lines[1]!.split(/\s{2,}/), [endpointId, 'acme', 'enabled', 'http://127.0.0.1:9/hooks', 'shipment.*,invoice.paid', '(all)']);
  const e = JSON.parse(ok(shown, 'endpoints show --json').stdout) as Record<string, unknown>;
  assert.equal(e.id, endpointId);
  assert.equal(e.rate_limit, 5);
  assert.equal(e.secrets, 1, 'how many secrets sign, not the secrets');
  assert.deepEqual(e.headers, { authorization: '(hidden)' }, 'header values (credentials, often) are not printed');
  for (const r of [table, shown]) {
    assert.doesNotMatch(r.stdout + r.stderr, /whsec_/);
    assert.ok(!(r.stdout + r.stderr).includes(HEADER_SECRET));
  }
});

test('publish: a valid payload gives a message id, an idempotency key dedupes, an invalid payload exits 1 naming the pointer', async () => {
  const first = ok(await wh('publish', 'shipment.delivered', '--app', 'acme', '--payload', '{"tracking":"1Z999","weight":2.5}', '--idempotency-key', 'order-17'), 'publish');
  messageId = field(first.stdout, 'message');
  assert.match(messageId, /^msg_[0-9a-f]{32}$/);
  assert.equal(field(first.stdout, 'deliveries'), '1');
  const [again, invalid] = await Promise.all([
    wh('publish', 'shipment.delivered', '--app', 'acme', '--payload', '{"tracking":"1Z999","weight":2.5}', '--idempotency-key', 'order-17', '--json'),
    wh('publish', 'shipment.delivered', '--app', 'acme', '--payload-file', file('bad.json', { tracking: 17, weight: -1 })),
  ]);
  const dup = JSON.parse(ok(again, 'publish again').stdout) as { id: string; duplicate: boolean; deliveries: number };
  assert.deepEqual([dup.id, dup.duplicate, dup.deliveries], [messageId, true, 0], 'the first message, nothing new sent');
  assert.equal(invalid.status, 1, invalid.stderr);
  assert.equal(invalid.stdout, '');
  assert.match(invalid.stderr, /does not match the schema of "shipment.delivered"/);
  assert.match(invalid.stderr, /^ {2}\/payload\/tracking: must be string$/m, 'one line per problem, with its pointer');
  assert.match(invalid.stderr, /^ {2}\/payload\/weight: must be >= 0$/m);
});

test('rotate shows a new secret and `secret` then lists both; disable/enable; replay sends what was missed while disabled', async () => {
  const rotated = ok(await wh('endpoints', 'rotate', endpointId, '--overlap', '3600'), 'rotate');
  const next = field(rotated.stdout, 'secret');
  assert.match(next, /^whsec_/);
  assert.notEqual(next, firstSecret);
  assert.match(rotated.stderr, /previous secret keeps signing until/);
  const secrets = JSON.parse(ok(await wh('endpoints', 'secret', endpointId, '--json'), 'secret').stdout) as { secret: string; expires_at: string | null }[];
  assert.deepEqual(secrets.map((s) => s.secret), [next, firstSecret], 'newest first');
  assert.equal(secrets[0]!.expires_at, null);
  assert.ok(Date.parse(secrets[1]!.expires_at!) > Date.now() + 3500_000, 'the old one signs for the overlap');

  assert.match(ok(await wh('endpoints', 'disable', endpointId), 'disable').stdout, new RegExp(`^disabled ${endpointId}$`, 'm'));
  const whileDisabled = ok(await wh('publish', 'shipment.delivered', '--app', 'acme', '--payload', '{"tracking":"2"}'), 'publish while disabled');
  assert.equal(field(whileDisabled.stdout, 'deliveries'), '0', 'a disabled endpoint is not a target');
  assert.match(ok(await wh('endpoints', 'enable', endpointId), 'enable').stdout, new RegExp(`^enabled ${endpointId}$`, 'm'));
  const replay = ok(await wh('replay', endpointId, '--since', '10m'), 'replay');
  assert.match(replay.stdout, new RegExp(`^replayed 1 message to ${endpointId}$`, 'm'), 'the missed message only: the first is still pending');

  const store = await openStore(db);
  try {
    assert.equal((await store.read().webhookModel.getEndpoint(endpointId))!.disabled, false);
  } finally {
    await store.close();
  }
});

test('messages, attempts and dead letters list what the worker recorded (control characters from receivers are not printed)', async () => {
  // What a worker records when a delivery has used up its attempts, written through the store's own API.
  const store = await openStore(db);
  try {
    const claimed = await store.write((tx) => tx.webhookLog.claimDue(Date.now(), 60_000, 100));
    assert.equal(claimed.length, 2);
    await store.write((tx) => tx.webhookLog.recordAttempts(claimed.map((delivery) => ({
      delivery, outcome: 'failed', status_code: null, error_code: 'connect', error: 'cannot connect to 127.0.0.1:9\u001b[2J (ECONNREFUSED)', latency_ms: 3,
      response_excerpt: '', at: new Date().toISOString(), next: { status: 'failed' },
    }))));
  } finally {
    await store.close();
  }
  const [messages, attempts, dead] = await Promise.all([wh('messages', '--app', 'acme'), wh('attempts', '--failed', '--endpoint', endpointId), wh('dead-letters', '--json')]);
  const rows = ok(messages, 'messages').stdout.trim().split('\n');
  assert.match(rows[0]!, /^ID\s+CREATED\s+EVENT TYPE\s+APPLICATION\s+CHANNELS$/);
  assert.equal(rows.length, 3, 'two messages (the duplicate publish made none)');
  assert.match(rows[2]!, new RegExp(`^${messageId}\\s+\\S+Z\\s+shipment\\.delivered\\s+acme\\s+-$`), 'newest first');
  const attemptRows = ok(attempts, 'attempts').stdout.trim().split('\n');
  assert.equal(attemptRows.length, 3);
  assert.match(attemptRows.join('\n'), new RegExp(`${endpointId}\\s+${messageId}\\s+1\\s+scheduled\\s+failed\\s+connect\\s+3\\s+cannot connect to 127\\.0\\.0\\.1:9\\?\\[2J \\(ECONNREFUSED\\)`));
  assert.ok(!attempts.stdout.includes('\u001b'), 'no terminal escapes');
  const letters = JSON.parse(ok(dead, 'dead-letters').stdout) as { message_id: string; endpoint_id: string; status: string; attempts: number }[];
  assert.equal(letters.length, 2);
  assert.ok(letters.every((d) => d.status === 'failed' && d.endpoint_id === endpointId && d.attempts === 1));
  assert.ok(letters.some((d) => d.message_id === messageId));
});

test('usage errors exit 2, things that cannot be done exit 1, and a wrong master key is refused', async () => {
  const otherState = join(dir, 'other-state');
  const runs = await Promise.all([
    cli(['webhooks']),
    wh('endpoints', 'add', 'acme'),
    wh('publish', 'shipment.delivered', '--colour', 'blue'),
    wh('messages', '--since', 'yesterday'),
    wh('endpoints', 'frobnicate'),
    wh('endpoints', 'show', 'ep_nope'),
    cli(['webhooks', 'apps', 'list', '--db', 'postgres://portcullis@127.0.0.1:1/nowhere']),
    cli(['webhooks', 'endpoints', 'secret', endpointId, '--db', db, '--state-dir', otherState]),
    cli(['webhooks', 'endpoints', 'secret', endpointId, '--db', db], { PORTCULLIS_SECRET_KEY: randomBytes(32).toString('base64') }),
  ]);
  const expected: [number, RegExp][] = [
    [2, /Usage: portcullis webhooks COMMAND/],
    [2, /webhooks endpoints add needs URL/],
    [2, /Unknown option '--colour'/],
    [2, /--since must be a date-time .* not "yesterday"/],
    [2, /unknown webhooks endpoints subcommand "frobnicate"/],
    [1, /no endpoint "ep_nope"/],
    [1, /cannot open the store/],
    [1, /no master key: .*other-state.*secret\.key does not exist/],
    [1, /does not open with this master key.*PORTCULLIS_SECRET_KEY/],
  ];
  runs.forEach((r, i) => {
    assert.equal(r.status, expected[i]![0], `case ${i}: ${r.stderr}`);
    assert.match(r.stderr, expected[i]![1], `case ${i}`);
    assert.doesNotMatch(r.stdout, /whsec_/, `case ${i}`);
  });
  assert.ok(!existsSync(join(otherState, 'secret.key')), 'no stray key is made while the store holds secrets sealed with another');
});

test('end to end: the CLI publishes, a worker node delivers, the signature verifies with the secret the CLI printed', { timeout: 90_000 }, async (t) => {
  const e2eDb = `sqlite:${join(dir, 'e2e.db')}`;
  const received: { id: string; ts: string; sig: string; body: string }[] = [];
  const receiver = await startUpstream((req, res, body) => {
    received.push({ id: String(req.headers['webhook-id']), ts: String(req.headers['webhook-timestamp']), sig: String(req.headers['webhook-signature']), body: body.toString('utf8') });
    res.end('ok');
  });
  t.after(() => receiver.close());
  const run = (...args: string[]) => cli(['webhooks', ...args, '--db', e2eDb, '--state-dir', stateDir]);

  await Promise.all([run('event-types', 'create', 'parcel.scanned'), run('apps', 'create', 'shop')]).then((rs) => rs.forEach((r) => ok(r, 'setup')));
  const added = ok(await run('endpoints', 'add', 'shop', `${receiver.url}/hooks`, '--allow-http'), 'endpoints add');
  const endpoint = field(added.stdout, 'endpoint');
  const secret = field(added.stdout, 'secret');

  await spawnNode({ db: e2eDb, stateDir, args: ['--roles', 'worker'], env: { PORTCULLIS_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8', PORTCULLIS_WEBHOOK_POLL_MS: '50' }, t });
  const published = ok(await run('publish', 'parcel.scanned', '--app', 'shop', '--payload', '{"parcel":"P-1","hub":"LEJ"}'), 'publish');
  const message = field(published.stdout, 'message');
  assert.equal(field(published.stdout, 'deliveries'), '1');

  const store = await openStore(e2eDb);
  t.after(() => store.close());
  const settled = async (id: string) => (await store.read().webhookLog.deliveriesOf(id)).every((d) => d.status === 'succeeded');
  await until(() => settled(message), 20_000, 'the delivery to succeed');
  assert.equal(received.length, 1);
  const got = received[0]!;
  assert.equal(got.id, message, 'webhook-id is the message id');
  assert.ok(verifySignatureHeader(got.sig, [secretKey(secret)], got.id, Number(got.ts), got.body), 'signed with the secret the CLI printed');
  assert.deepEqual(JSON.parse(got.body), { type: 'parcel.scanned', timestamp: JSON.parse(got.body).timestamp, data: { parcel: 'P-1', hub: 'LEJ' } });

  const [attempts, stats] = await Promise.all([run('attempts', '--message', message, '--json'), run('stats', endpoint, '--json')]);
  const list = JSON.parse(ok(attempts, 'attempts').stdout) as { outcome: string; status_code: number; endpoint_id: string }[];
  assert.deepEqual(list.map((a) => [a.outcome, a.status_code, a.endpoint_id]), [['succeeded', 200, endpoint]]);
  const s = JSON.parse(ok(stats, 'stats').stdout) as { deliveries: { succeeded: number }; attempts: { succeeded: number } };
  assert.deepEqual([s.deliveries.succeeded, s.attempts.succeeded], [1, 1]);
  assert.match(ok(await run('resend', message), 'resend').stdout, new RegExp(`^queued 1 delivery of ${message}$`, 'm'));
  await until(() => received.length === 2 && settled(message), 20_000, 'the resent delivery');
  assert.equal(received[1]!.id, message, 'a resend is the same message (receivers dedupe on webhook-id)');
  assert.ok(verifySignatureHeader(received[1]!.sig, [secretKey(secret)], received[1]!.id, Number(received[1]!.ts), received[1]!.body));
});
