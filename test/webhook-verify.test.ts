// webhook-verify through real gateway processes and a real upstream: verified deliveries of each
// scheme reach the upstream with the body byte for byte; refused ones (bad or missing signature,
// stale timestamp, copies, bodies over the cap) never reach it. Copies are caught across the
// workers of a node (the supervisor's memory) and across nodes on one real Redis.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { service, spawnGateway, waitFor, type GatewayProcess } from './harness/gateway.ts';
import { testWithRedis } from './harness/redis.ts';
import { startUpstream, type Upstream } from './harness/upstream.ts';

const STANDARD_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const GITHUB_SECRET = 'a-github-webhook-secret-of-some-length';
const STRIPE_SECRET = `whsec_${randomBytes(24).toString('hex')}`;

interface Seen { path: string; body: Buffer; headers: Record<string, string | string[] | undefined> }

async function upstream(t: TestContext): Promise<{ up: Upstream; seen: Seen[] }> {
  const seen: Seen[] = [];
  const up = await startUpstream((req, res, body) => {
    seen.push({ path: req.url ?? '', body, headers: req.headers });
    res.writeHead(204);
    res.end();
  });
  t.after(() => up.close());
  return { up, seen };
}

const route = (name: string, config: Record<string, unknown>) => ({ name, service: 'hooks', paths: [`/${name}`], plugins: [{ name: 'webhook-verify', config }] });

async function gateway(t: TestContext, raw: Record<string, unknown>, workers = 1): Promise<GatewayProcess> {
  const gw = await spawnGateway(raw, { workers });
  t.after(() => gw.stop());
  return gw;
}

const standard = (id: string, ts: number, body: Buffer | string, secret = STANDARD_SECRET): Record<string, string> => ({
  'webhook-id': id,
  'webhook-timestamp': String(ts),
  'webhook-signature': `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${ts}.`).update(body).digest('base64')}`,
});

const post = (url: string, body: Buffer | string, headers: Record<string, string>) =>
  fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

const now = () => Math.floor(Date.now() / 1000);

/** Every refusal body the gateway wrote, searched for secrets at the end. */
const refusals: string[] = [];

async function problemType(res: Response): Promise<string> {
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  const text = await res.text();
  refusals.push(text);
  return (JSON.parse(text) as { type: string }).type.replace('https://portcullis.dev/problems/', '');
}

/** The secrets (whole, and the key part of whsec_ ones) never show up in logs, metrics or refusals. */
async function assertNoSecrets(gw: GatewayProcess): Promise<void> {
  const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  const sinks = { logs: gw.output(), metrics, refusals: refusals.join('\n') };
  for (const secret of [STANDARD_SECRET, STANDARD_SECRET.slice(6), GITHUB_SECRET, STRIPE_SECRET, STRIPE_SECRET.slice(6)]) {
    for (const [sink, text] of Object.entries(sinks)) assert.ok(!text.includes(secret), `a secret in the ${sink}`);
  }
}

test('verified deliveries reach the upstream byte for byte; refused ones never do; copies are caught across workers', { timeout: 120_000 }, async (t) => {
  const { up, seen } = await upstream(t);
  const gw = await gateway(t, {
    services: [service('hooks', [up.url], { retries: 0 })],
    routes: [
      route('standard', { secrets: [`whsec_${randomBytes(32).toString('base64')}`, STANDARD_SECRET], max_body_bytes: 4096 }),
      route('github', { scheme: 'github', secrets: [GITHUB_SECRET] }),
      route('stripe', { scheme: 'stripe', secrets: [STRIPE_SECRET] }),
    ],
  }, 2);

  // Bytes a re-serialising proxy would change: odd spacing, key order, escapes, raw UTF-8.
  const body = Buffer.from('{ "type":"parcel.delivered" ,\n "data": {"note":"caf\\u00e9 ☕", "b":1,"a":2} }\r\n');
  const ok = await post(`${gw.url}/standard`, body, standard('msg_ok', now(), body));
  assert.equal(ok.status, 204);
  assert.equal(seen.length, 1);
  assert.ok(seen[0]!.body.equals(body), 'the upstream got the exact bytes');
  assert.equal(seen[0]!.headers['content-length'], String(body.length));
  assert.equal(seen[0]!.headers['webhook-id'], 'msg_ok', 'the signature headers are forwarded for the upstream\'s own checks');

  // Refusals: none of these reaches the upstream.
  const tampered = await post(`${gw.url}/standard`, Buffer.concat([body, Buffer.from(' ')]), standard('msg_t', now(), body));
  assert.equal(tampered.status, 401);
  assert.equal(tampered.headers.get('www-authenticate'), 'Webhook-Signature scheme="standard"');
  assert.equal(await problemType(tampered), 'webhook-signature-invalid');
  const { 'webhook-signature': _omitted, ...unsigned } = standard('msg_u', now(), body);
  const missing = await post(`${gw.url}/standard`, body, unsigned);
  assert.equal(missing.status, 401);
  assert.equal(await problemType(missing), 'webhook-signature-invalid');
  assert.equal((JSON.parse(refusals.at(-1)!) as { detail: string }).detail, 'The webhook-signature header is missing.');
  const stale = await post(`${gw.url}/standard`, body, standard('msg_s', now() - 3600, body));
  assert.equal(stale.status, 401);
  assert.equal(await problemType(stale), 'webhook-timestamp-out-of-tolerance');
  const big = Buffer.alloc(5000, 0x20);
  const tooLarge = await post(`${gw.url}/standard`, big, standard('msg_big', now(), big));
  assert.equal(tooLarge.status, 413);
  assert.equal(await problemType(tooLarge), 'payload-too-large');
  assert.equal(seen.length, 1, 'no refused request reached the upstream');

  // One delivery sent ten times at once on ten connections (spread over both workers): one passes.
  const copy = Buffer.from('{"id":"evt_copy"}');
  const headers = standard('msg_copy', now(), copy);
  const statuses = await Promise.all(Array.from({ length: 10 }, () => post(`${gw.url}/standard`, copy, { ...headers, connection: 'close' }).then(async (r) => {
    if (r.status === 409) assert.equal(await problemType(r), 'webhook-replayed');
    return r.status;
  })));
  assert.deepEqual(statuses.sort(), [204, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
  assert.equal(seen.length, 2);
  // Copies must be refused by both workers (their access log lines say which). The kernel picks
  // the worker that accepts each connection (SCHED_NONE), and under load one worker can take a
  // whole burst: send more bursts of copies (each refused) until both workers have refused one.
  const refusedBy = () => new Set(gw.output().split('\n').filter((l) => l.includes('"log":"access"') && l.includes('"status":409')).map((l) => (JSON.parse(l) as { worker: number }).worker));
  let copiesRefused = 9;
  for (let burst = 0; burst < 10 && refusedBy().size < 2; burst++) {
    // Log lines reach the test's pipe late on a loaded machine: give them a moment before deciding.
    if (await waitFor(() => refusedBy().size === 2, 2_000, 'copies refused by both workers').then(() => true, () => false)) break;
    const more = await Promise.all(Array.from({ length: 10 }, () => post(`${gw.url}/standard`, copy, { ...headers, connection: 'close' }).then((r) => r.status)));
    assert.deepEqual(more, Array(10).fill(409), 'every later copy is refused, whichever worker takes it');
    copiesRefused += more.length;
  }
  await waitFor(() => refusedBy().size === 2, 30_000, 'copies refused by both workers');
  assert.equal(seen.length, 2, 'no copy reached the upstream');

  // GitHub and Stripe style.
  const gh = Buffer.from('{"action":"opened","number":7}');
  const ghSig = `sha256=${createHmac('sha256', GITHUB_SECRET).update(gh).digest('hex')}`;
  assert.equal((await post(`${gw.url}/github`, gh, { 'x-hub-signature-256': ghSig, 'x-github-delivery': 'd-1' })).status, 204);
  assert.equal((await post(`${gw.url}/github`, gh, { 'x-hub-signature-256': ghSig, 'x-github-delivery': 'd-2' })).status, 409, 'the delivery id is not signed: same body, same delivery');
  assert.equal((await post(`${gw.url}/github`, gh, { 'x-hub-signature-256': ghSig.replace(/.$/, (c) => (c === '0' ? '1' : '0')) })).status, 401);
  const st = Buffer.from('{"id":"evt_1","type":"charge.succeeded"}');
  const t0 = now();
  const stSig = `t=${t0},v1=${createHmac('sha256', STRIPE_SECRET).update(`${t0}.`).update(st).digest('hex')}`;
  assert.equal((await post(`${gw.url}/stripe`, st, { 'stripe-signature': stSig })).status, 204);
  assert.equal((await post(`${gw.url}/stripe`, st, { 'stripe-signature': stSig })).status, 409);
  assert.deepEqual(seen.map((s) => s.path), ['/standard', '/standard', '/github', '/stripe']);
  assert.ok(seen[2]!.body.equals(gh) && seen[3]!.body.equals(st));

  // Outcomes are counted per route (summed over both workers by the supervisor).
  const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  const events = (event: string, r: string) => Number(new RegExp(`^portcullis_plugin_events_total\\{[^}]*plugin="webhook-verify"[^}]*\\} (\\d+)$`, 'm').exec(metrics.split('\n').filter((l) => l.includes(`event="${event}"`) && l.includes(`route="${r}"`)).join('\n'))?.[1] ?? 0);
  assert.deepEqual([events('verified', 'standard'), events('replayed', 'standard'), events('signature-invalid', 'standard'), events('timestamp-out-of-tolerance', 'standard')], [2, copiesRefused, 2, 1]);
  assert.deepEqual([events('verified', 'github'), events('replayed', 'github'), events('signature-invalid', 'github')], [1, 1, 1]);
  await assertNoSecrets(gw);
});

testWithRedis('backend redis: a copy sent to another node is refused', async (t, redis) => {
  const { up, seen } = await upstream(t);
  const raw = {
    gateway: { redis: { url: redis.url, command_timeout_ms: 500, key_prefix: `wv${Date.now()}:` } },
    services: [service('hooks', [up.url], { retries: 0 })],
    routes: [route('standard', { secrets: [STANDARD_SECRET], backend: 'redis', fail: 'closed' })],
  };
  const [a, b] = await Promise.all([gateway(t, raw), gateway(t, raw)]);
  const body = '{"n":1}';
  const headers = standard('msg_nodes', now(), body);
  assert.equal((await post(`${a.url}/standard`, body, headers)).status, 204);
  const copy = await post(`${b.url}/standard`, body, headers);
  assert.equal(copy.status, 409);
  assert.equal(await problemType(copy), 'webhook-replayed');
  assert.equal((await post(`${b.url}/standard`, body, standard('msg_nodes_2', now(), body))).status, 204);
  assert.equal(seen.length, 2);

  await redis.stop();
  const down = await post(`${a.url}/standard`, body, standard('msg_down', now(), body));
  assert.equal(down.status, 503, 'fail: closed');
  assert.equal(await problemType(down), 'webhook-replay-check-unavailable');
  assert.equal(down.headers.get('retry-after'), '1');
  assert.equal(seen.length, 2);
});
