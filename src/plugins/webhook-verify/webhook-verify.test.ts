import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import type { HeaderMap, PluginResponse } from '../../core/pipeline/context.ts';
import { NO_COMPILE_ENV, type PluginCompileEnv } from '../../core/pipeline/plugin.ts';
import { MemoryRateCounter } from '../../store/counters/memory.ts';
import { closeRedisConnections } from '../../store/redis/connection.ts';
import { refusedPort } from '../../../test/harness/upstream.ts';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { webhookVerify, type CompiledWebhookVerify } from './plugin.ts';
import { MARGIN_SECONDS, replayWindow } from './replay.ts';
import { outOfTolerance } from './schemes.ts';

test.after(() => closeRedisConnections());

// The Standard Webhooks specification's own example.
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
// GitHub's documentation example ("Validating webhook deliveries").
const GITHUB = {
  secret: 'It\'s a Secret to Everybody',
  body: 'Hello, World!',
  signature: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
};
const STRIPE_SECRET = 'whsec_test_5Dq2YtFv0ZJp8m1QnKc7sW3e';
const OTHER_STANDARD = `whsec_${randomBytes(32).toString('base64')}`;

/** Each test its own route: the node's counter (the replay memory) is shared by the whole process. */
const fresh = (): PluginCompileEnv => ({ ...NO_COMPILE_ENV, attachedTo: { scope: 'route', name: `r-${randomBytes(4).toString('hex')}` } });
const compile = (raw: unknown, env = fresh()) => compileConf(webhookVerify, raw, env);

async function access(conf: CompiledWebhookVerify, headers: HeaderMap, body?: string | Buffer): Promise<PluginResponse | undefined> {
  const ctx = fakeContext({ method: 'POST', headers, body: body === undefined ? undefined : Buffer.from(body) });
  return (await webhookVerify.handlers.access!(ctx, conf)) ?? undefined;
}

/** The problem code and detail of a refusal (or 'passed'). */
function outcome(r: PluginResponse | undefined): string {
  if (r === undefined) return 'passed';
  assert.ok('problem' in r, 'refusals are registry problems');
  return r.problem;
}

// Signatures made here independently of the plugin's code (node:crypto directly), so a shared bug cannot hide.
const standardSig = (secret: string, id: string, ts: number, body: string) =>
  `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${ts}.${body}`).digest('base64')}`;
const githubSig = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const stripeV1 = (secret: string, t: number, body: string) => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
const standardHeaders = (secret: string, id: string, ts: number, body: string): HeaderMap => ({ 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': standardSig(secret, id, ts, body) });

const nowSeconds = () => Math.floor(Date.now() / 1000);

test('standard: the specification\'s example verifies at a "now" near its timestamp, and not far from it', async (t) => {
  assert.equal(standardSig(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.body), SPEC.signature, 'the test\'s own signer agrees with the spec');
  t.mock.timers.enable({ apis: ['Date'], now: (SPEC.timestamp + 42) * 1000 });
  const conf = compile({ secrets: [SPEC.secret] });
  const headers = { 'webhook-id': SPEC.id, 'webhook-timestamp': String(SPEC.timestamp), 'webhook-signature': SPEC.signature };
  assert.equal(await access(conf, headers, SPEC.body), undefined);
  // The same delivery on another route (its own memory), ten minutes later: beyond the 300 s tolerance.
  t.mock.timers.setTime((SPEC.timestamp + 600) * 1000);
  const late = await access(compile({ secrets: [SPEC.secret] }), headers, SPEC.body);
  assert.equal(outcome(late), 'webhook-timestamp-out-of-tolerance');
});

test('standard: tampered body, id or timestamp, a wrong secret and svix-* header names', async () => {
  const conf = compile({ secrets: [OTHER_STANDARD], replay_protection: false });
  const ts = nowSeconds();
  const body = '{"type":"invoice.paid","amount":100}';
  const h = standardHeaders(OTHER_STANDARD, 'msg_1', ts, body);
  assert.equal(await access(conf, h, body), undefined);
  const tampered = await access(conf, h, body.replace('100', '1000'));
  assert.equal(outcome(tampered), 'webhook-signature-invalid');
  assert.equal((tampered as { detail: string }).detail, 'No signature in the webhook-signature header matches the request body under the configured secrets.');
  assert.equal((tampered as { headers: Record<string, string> }).headers['www-authenticate'], 'Webhook-Signature scheme="standard"');
  assert.equal(outcome(await access(conf, { ...h, 'webhook-id': 'msg_2' }, body)), 'webhook-signature-invalid');
  assert.equal(outcome(await access(conf, { ...h, 'webhook-timestamp': String(ts + 1) }, body)), 'webhook-signature-invalid');
  assert.equal(outcome(await access(conf, standardHeaders(SPEC.secret, 'msg_1', ts, body), body)), 'webhook-signature-invalid');
  const svix = { 'svix-id': 'msg_1', 'svix-timestamp': String(ts), 'svix-signature': h['webhook-signature'] as string };
  assert.equal(await access(conf, svix, body), undefined);
});

test('rotation: a delivery signed with any configured secret passes; several signatures in one header', async () => {
  const ts = nowSeconds();
  const body = '{"n":1}';
  const standard = compile({ secrets: [SPEC.secret, OTHER_STANDARD], replay_protection: false });
  assert.equal(await access(standard, standardHeaders(OTHER_STANDARD, 'msg_r', ts, body), body), undefined, 'the second secret');
  const both = `${standardSig('whsec_' + randomBytes(32).toString('base64'), 'msg_r', ts, body)} ${standardSig(SPEC.secret, 'msg_r', ts, body)}`;
  assert.equal(await access(standard, { 'webhook-id': 'msg_r', 'webhook-timestamp': String(ts), 'webhook-signature': both }, body), undefined, 'one of two offered signatures matches');

  const github = compile({ scheme: 'github', secrets: ['an-older-github-secret', GITHUB.secret], replay_protection: false });
  assert.equal(await access(github, { 'x-hub-signature-256': GITHUB.signature }, GITHUB.body), undefined);

  const stripe = compile({ scheme: 'stripe', secrets: ['whsec_the_previous_secret_0000', STRIPE_SECRET], replay_protection: false });
  const rolled = `t=${ts},v1=${stripeV1('whsec_unknown_secret_of_someone', ts, body)},v1=${stripeV1(STRIPE_SECRET, ts, body)}`;
  assert.equal(await access(stripe, { 'stripe-signature': rolled }, body), undefined);
});

test('github: the documentation\'s example; tampering, wrong secret and malformed headers', async () => {
  const conf = compile({ scheme: 'github', secrets: [GITHUB.secret], replay_protection: false });
  assert.equal(githubSig(GITHUB.secret, GITHUB.body), GITHUB.signature);
  assert.equal(await access(conf, { 'x-hub-signature-256': GITHUB.signature }, GITHUB.body), undefined);
  assert.equal(await access(conf, { 'x-hub-signature-256': GITHUB.signature.toUpperCase().replace('SHA256=', 'sha256=') }, GITHUB.body), undefined, 'hex digits in either case');
  assert.equal(outcome(await access(conf, { 'x-hub-signature-256': GITHUB.signature }, 'Hello, World?')), 'webhook-signature-invalid');
  assert.equal(outcome(await access(conf, { 'x-hub-signature-256': githubSig('another secret entirely', GITHUB.body) }, GITHUB.body)), 'webhook-signature-invalid');
  for (const bad of ['757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17', 'sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17', 'sha256=757107ea', 'sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17']) {
    const r = await access(conf, { 'x-hub-signature-256': bad }, GITHUB.body);
    assert.equal(outcome(r), 'webhook-signature-invalid');
    assert.equal((r as { detail: string }).detail, 'The X-Hub-Signature-256 header is malformed.');
  }
  const missing = await access(conf, { 'x-hub-signature': 'sha1=0123' }, GITHUB.body);
  assert.equal((missing as { detail: string }).detail, 'The X-Hub-Signature-256 header is missing.', 'the SHA-1 header is not accepted');
});

test('stripe: t and v1 signed over "t.body" with the secret string as the key (not base64-decoded)', async () => {
  const conf = compile({ scheme: 'stripe', secrets: [STRIPE_SECRET], replay_protection: false });
  const t = nowSeconds();
  const body = '{"id":"evt_1","object":"event"}';
  const v1 = stripeV1(STRIPE_SECRET, t, body);
  assert.equal(await access(conf, { 'stripe-signature': `t=${t},v1=${v1},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39` }, body), undefined);
  assert.equal(await access(conf, { 'stripe-signature': `t=${t}, v1=${v1}` }, body), undefined, 'spaces around items');
  const decodedKey = createHmac('sha256', Buffer.from(STRIPE_SECRET.slice(6), 'base64')).update(`${t}.${body}`).digest('hex');
  assert.equal(outcome(await access(conf, { 'stripe-signature': `t=${t},v1=${decodedKey}` }, body)), 'webhook-signature-invalid');
  assert.equal(outcome(await access(conf, { 'stripe-signature': `t=${t + 1},v1=${v1}` }, body)), 'webhook-signature-invalid', 't is signed');
  assert.equal(outcome(await access(conf, { 'stripe-signature': `t=${t},v1=${v1}` }, body + ' ')), 'webhook-signature-invalid');
  for (const bad of [`v1=${v1}`, `t=${t}`, `t=${t},v0=${v1}`, `t=${t},t=${t},v1=${v1}`, `t=soon,v1=${v1}`, `t=${t},v1=abc`]) {
    const r = await access(conf, { 'stripe-signature': bad }, body);
    assert.equal((r as { detail: string }).detail, 'The Stripe-Signature header is malformed.', bad);
  }
  assert.equal((await access(conf, {}, body) as { detail: string }).detail, 'The Stripe-Signature header is missing.');
  assert.equal(outcome(await access(conf, { 'stripe-signature': `t=${t - 301},v1=${stripeV1(STRIPE_SECRET, t - 301, body)}` }, body)), 'webhook-timestamp-out-of-tolerance');
});

test('missing and malformed Standard Webhooks headers name the header; details never carry secrets or signatures', async () => {
  const conf = compile({ secrets: [SPEC.secret] });
  const ts = nowSeconds();
  const body = '{}';
  const full = standardHeaders(SPEC.secret, 'msg_h', ts, body);
  const without = (name: string) => Object.fromEntries(Object.entries(full).filter(([k]) => k !== name));
  const details: string[] = [];
  for (const [headers, detail] of [
    [without('webhook-id'), 'The webhook-id header is missing.'],
    [without('webhook-timestamp'), 'The webhook-timestamp header is missing.'],
    [without('webhook-signature'), 'The webhook-signature header is missing.'],
    [{ ...full, 'webhook-timestamp': `${ts}.5` }, 'The webhook-timestamp header is malformed.'],
    [{ ...full, 'webhook-timestamp': '' }, 'The webhook-timestamp header is missing.'],
    [{ ...full, 'webhook-signature': 'v1,' + 'A'.repeat(44) }, 'No signature in the webhook-signature header matches the request body under the configured secrets.'],
    [{ ...full, 'webhook-signature': 'v1a,whatever' }, 'No signature in the webhook-signature header matches the request body under the configured secrets.'],
  ] as const) {
    const r = await access(conf, headers, body);
    assert.equal(outcome(r), 'webhook-signature-invalid');
    assert.equal((r as { detail: string }).detail, detail);
    details.push(JSON.stringify(r));
  }
  const expected = (full['webhook-signature'] as string).slice(3);
  for (const d of details) {
    assert.ok(!d.includes(SPEC.secret.slice(6)) && !d.includes(expected), 'no secret and no expected signature in a refusal');
  }
});

test('tolerance: older or further ahead than tolerance_seconds is refused, saying the tolerance; the bounds pass', async (t) => {
  const now = 1_700_000_000;
  t.mock.timers.enable({ apis: ['Date'], now: now * 1000 });
  const conf = compile({ secrets: [SPEC.secret], tolerance_seconds: 120, replay_protection: false });
  const at = (ts: number) => access(conf, standardHeaders(SPEC.secret, `msg_${ts}`, ts, 'x'), 'x');
  assert.equal(await at(now - 120), undefined);
  assert.equal(await at(now + 120), undefined);
  const old = await at(now - 121);
  assert.equal(outcome(old), 'webhook-timestamp-out-of-tolerance');
  assert.equal((old as { detail: string }).detail, 'The webhook timestamp is more than 120 seconds old (the tolerance).');
  const ahead = await at(now + 121);
  assert.equal((ahead as { detail: string }).detail, 'The webhook timestamp is more than 120 seconds ahead of the gateway\'s clock (the tolerance).');
  assert.equal(outcome(await at(0)), 'webhook-timestamp-out-of-tolerance');
  assert.deepEqual([outOfTolerance(100, 100_000, 0), outOfTolerance(99, 100_000, 999), outOfTolerance(101, 100_000, 999)], [undefined, 'old', 'ahead']);
});

test('replay: a second identical delivery is refused (409), another id passes, a re-signed retry passes', async () => {
  const conf = compile({ secrets: [SPEC.secret] });
  const ts = nowSeconds();
  const body = '{"event":"order.shipped"}';
  const h = standardHeaders(SPEC.secret, 'msg_once', ts, body);
  assert.equal(await access(conf, h, body), undefined);
  assert.equal(outcome(await access(conf, h, body)), 'webhook-replayed');
  assert.equal(outcome(await access(conf, { ...h }, body)), 'webhook-replayed', 'and again');
  assert.equal(await access(conf, standardHeaders(SPEC.secret, 'msg_other', ts, body), body), undefined, 'a different id');
  assert.equal(await access(conf, standardHeaders(SPEC.secret, 'msg_once', ts + 5, body), body), undefined, 'the sender\'s retry, signed again with a new timestamp');
  const other = compile({ secrets: [SPEC.secret] });
  assert.equal(await access(other, h, body), undefined, 'another instance (route) has its own memory');
  const long = 'msg_' + 'x'.repeat(500);
  const lh = standardHeaders(SPEC.secret, long, ts, body);
  assert.equal(await access(conf, lh, body), undefined);
  assert.equal(outcome(await access(conf, lh, body)), 'webhook-replayed', 'long ids are remembered by their hash');
});

test('replay: only verified deliveries are remembered, so a forger cannot use up a message id', async () => {
  const conf = compile({ secrets: [SPEC.secret] });
  const ts = nowSeconds();
  const body = '{"a":1}';
  const forged = { 'webhook-id': 'msg_target', 'webhook-timestamp': String(ts), 'webhook-signature': standardSig(OTHER_STANDARD, 'msg_target', ts, body) };
  for (let i = 0; i < 3; i++) assert.equal(outcome(await access(conf, forged, body)), 'webhook-signature-invalid');
  assert.equal(await access(conf, standardHeaders(SPEC.secret, 'msg_target', ts, body), body), undefined);
});

test('replay, github and stripe: copies with edited unsigned parts are still copies', async () => {
  const github = compile({ scheme: 'github', secrets: [GITHUB.secret] });
  assert.equal(await access(github, { 'x-hub-signature-256': GITHUB.signature, 'x-github-delivery': 'a-1' }, GITHUB.body), undefined);
  assert.equal(outcome(await access(github, { 'x-hub-signature-256': GITHUB.signature, 'x-github-delivery': 'a-1' }, GITHUB.body)), 'webhook-replayed');
  assert.equal(outcome(await access(github, { 'x-hub-signature-256': GITHUB.signature, 'x-github-delivery': 'made-up' }, GITHUB.body)), 'webhook-replayed', 'X-GitHub-Delivery is not signed');
  const body2 = 'Hello, World?';
  assert.equal(await access(github, { 'x-hub-signature-256': githubSig(GITHUB.secret, body2) }, body2), undefined, 'another body');

  const second = 'whsec_the_previous_secret_0000';
  const stripe = compile({ scheme: 'stripe', secrets: [STRIPE_SECRET, second] });
  const t = nowSeconds();
  const body = '{"id":"evt_2"}';
  const a = stripeV1(STRIPE_SECRET, t, body);
  const b = stripeV1(second, t, body);
  assert.equal(await access(stripe, { 'stripe-signature': `t=${t},v1=${a},v1=${b}` }, body), undefined);
  assert.equal(outcome(await access(stripe, { 'stripe-signature': `t=${t},v1=${b}` }, body)), 'webhook-replayed', 'one v1 dropped');
  assert.equal(outcome(await access(stripe, { 'stripe-signature': `t=${t},v1=${b},v1=${a}` }, body)), 'webhook-replayed', 'reordered');
  assert.equal(await access(stripe, { 'stripe-signature': `t=${t + 1},v1=${stripeV1(STRIPE_SECRET, t + 1, body)}` }, body), undefined, 'a retry is signed with a new t');
});

test('replay_protection: false forwards every verified copy', async () => {
  const conf = compile({ secrets: [SPEC.secret], replay_protection: false });
  const h = standardHeaders(SPEC.secret, 'msg_dup', nowSeconds(), 'b');
  assert.equal(await access(conf, h, 'b'), undefined);
  assert.equal(await access(conf, h, 'b'), undefined);
});

test('an empty body (none buffered) is verified as the empty string', async () => {
  const conf = compile({ secrets: [SPEC.secret] });
  const ts = nowSeconds();
  assert.equal(await access(conf, standardHeaders(SPEC.secret, 'msg_empty', ts, '')), undefined);
  assert.equal(outcome(await access(conf, standardHeaders(SPEC.secret, 'msg_empty2', ts, 'x'))), 'webhook-signature-invalid');
});

test('the replay window outlasts every accepted copy: remembered from the first hit until 2 × tolerance + margin later', () => {
  // Drives the real counter with the plugin's window: the first delivery accepted at the earliest
  // moment (ts − tolerance), copies at every later moment it could still be accepted (≤ ts + tolerance).
  const tolerance = 300;
  const windows = replayWindow(tolerance);
  const W = windows[0]!.seconds;
  assert.equal(W, 2 * tolerance + MARGIN_SECONDS);
  for (const phase of [0, 1, 0.25, 0.5, 0.999, 1 - 1 / (W * 1000)]) {
    const counter = new MemoryRateCounter();
    const t0 = Math.floor((1000 + phase) * W * 1000); // somewhere inside an interval
    assert.equal(counter.hit('k', windows, t0).allowed, true);
    for (let dt = 1; dt <= 2 * tolerance * 1000 + MARGIN_SECONDS * 1000; dt += 997) {
      assert.equal(counter.hit('k', windows, t0 + dt).allowed, false, `copy ${dt} ms later (phase ${phase})`);
    }
    assert.equal(counter.hit('k', windows, t0 + W * 1000 - 1).allowed, false, 'still within one window');
    assert.equal(counter.hit('k', windows, t0 + 2 * W * 1000 + 1).allowed, true, 'forgotten after two windows at most');
  }
});

test('config: secrets are checked at compile time and never echoed; Redis only when configured', () => {
  const refused = (raw: unknown, pattern: RegExp) => assert.throws(() => compile(raw), (err: Error) => pattern.test(err.message) && !err.message.includes('sekrit'));
  refused({ secrets: ['whsec_sekrit!!'] }, /secrets\[0\]: a signing secret is "whsec_" followed by base64/);
  refused({ secrets: [SPEC.secret, 'sekrit-not-whsec'] }, /secrets\[1\]/);
  refused({ secrets: ['whsec_' + Buffer.from('sekrit').toString('base64')] }, /holds 24 to 64 bytes, not 6/);
  refused({ scheme: 'github', secrets: ['sekrit'] }, /secrets\[0\]: a github secret has at least 16 characters/);
  refused({ scheme: 'stripe', secrets: ['sekrit-sekrit-sekrit', 'sekrit-sekrit-sekrit'] }, /secrets\[1\]: the same secret as secrets\[0\]/);
  refused({ secrets: [] }, /secrets/);
  refused({ secrets: [SPEC.secret], tolerance_seconds: 0 }, /tolerance_seconds/);
  refused({ secrets: [SPEC.secret], backend: 'redis' }, /gateway\.redis/);
  assert.doesNotThrow(() => compile({ secrets: [SPEC.secret], backend: 'redis', replay_protection: false }), 'no memory, no Redis needed');
  const conf = compile({ secrets: [SPEC.secret] });
  assert.equal(webhookVerify.requestBodyLimit!(conf), 1024 * 1024);
  assert.equal(webhookVerify.requestBodyLimit!(compile({ secrets: [SPEC.secret], max_body_bytes: 4096 })), 4096);
});

test('Redis unreachable: fail-closed answers 503 with Retry-After, fail-open remembers on this node', async () => {
  const redis = { url: `redis://127.0.0.1:${await refusedPort()}`, command_timeout_ms: 50, key_prefix: 'pt:' };
  const closed = compile({ secrets: [SPEC.secret], backend: 'redis', fail: 'closed' }, { ...fresh(), redis });
  const body = '{"x":1}';
  const h = standardHeaders(SPEC.secret, 'msg_redis', nowSeconds(), body);
  const r = await access(closed, h, body);
  assert.equal(outcome(r), 'webhook-replay-check-unavailable');
  assert.equal((r as { headers: Record<string, string> }).headers['retry-after'], '1');
  assert.equal(outcome(await access(closed, standardHeaders(OTHER_STANDARD, 'msg_redis', nowSeconds(), body), body)), 'webhook-signature-invalid', 'signatures are checked before the memory');
  const open = compile({ secrets: [SPEC.secret], backend: 'redis', fail: 'open' }, { ...fresh(), redis });
  assert.equal(await access(open, h, body), undefined);
  assert.equal(outcome(await access(open, h, body)), 'webhook-replayed', 'the node\'s own memory still catches the copy');
});
