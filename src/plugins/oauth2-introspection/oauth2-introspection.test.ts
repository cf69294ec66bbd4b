// oauth2-introspection against a local RFC 7662 endpoint (node:http): client authentication,
// caching (positive, negative, bounded, never past exp), one call per token in flight, and
// failing closed whenever the IdP cannot be trusted. The token never appears in a log call.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileIdentities } from '../../core/identity/directory.ts';
import type { HeaderMap, PluginLogger, PluginResponse, RequestContext } from '../../core/pipeline/context.ts';
import { setConsumer } from '../shared/consumer-headers.ts';
import { startGateway } from '../../../test/harness/gateway.ts';
import { startUpstream } from '../../../test/harness/upstream.ts';
import { compileConf, fakeContext, sentHeaders } from '../test-helpers.ts';
import { bearerToken, MAX_TOKEN_LENGTH } from './bearer.ts';
import { clientSecretBasic } from './endpoint.ts';
import { oauth2Introspection, type CompiledIntrospection } from './plugin.ts';

const CLIENT_ID = 'portcullis:edge';
const CLIENT_SECRET = 's3cr3t p@ss/word';
const ALICE = 'tok-alice-0123456789abcdef';
const now = () => Math.floor(Date.now() / 1000);

const identities = compileIdentities(
  [
    { name: 'alice', custom_id: 'crm-alice', groups: ['staff'] },
    { name: 'bob', groups: [] },
    { name: 'guest', groups: ['public'] },
  ],
  [],
);

// ---- the fake IdP -------------------------------------------------------------------------------

interface Received {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly params: URLSearchParams;
}

type Behaviour = (params: URLSearchParams, req: IncomingMessage, res: ServerResponse) => void;

/** Token → introspection response; unknown tokens are inactive. */
const tokens = new Map<string, () => Record<string, unknown>>();
const received: Received[] = [];
let behaviour: Behaviour;
let server: Server;
let url: string;

const answerJson: Behaviour = (params, _req, res) => {
  const claims = tokens.get(params.get('token') ?? '')?.() ?? { active: false };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(claims));
};

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      received.push({ method: req.method, path: req.url, authorization: req.headers.authorization, contentType: req.headers['content-type'], params });
      behaviour(params, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/introspect`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  received.length = 0;
  behaviour = answerJson;
  tokens.clear();
  tokens.set(ALICE, () => ({ active: true, sub: 'alice', client_id: 'mobile-app', scope: 'orders:read orders:write', exp: now() + 3600, iat: now() }));
});

const calls = () => received.filter((r) => r.path === '/oauth2/introspect').length;

// ---- running the plugin -------------------------------------------------------------------------

interface LogLine {
  readonly level: string;
  readonly obj: object;
  readonly msg: string | undefined;
}
/** Every log call of every request in this file: checked for tokens and secrets at the end. */
const allLogs: LogLine[] = [];

function capturingLogger(lines: LogLine[]): PluginLogger {
  const at = (level: string) => (obj: object, msg?: string) => {
    const line = { level, obj, msg };
    lines.push(line);
    allLogs.push(line);
  };
  return { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

function conf(over: Record<string, unknown> = {}): CompiledIntrospection {
  return compileConf(oauth2Introspection, { introspection_url: url, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...over });
}

interface Run {
  readonly ctx: RequestContext;
  readonly result: PluginResponse | undefined;
  readonly logs: LogLine[];
  /** Whether the handler answered without waiting (a cache hit, or no token). */
  readonly sync: boolean;
}

async function run(c: CompiledIntrospection, headers: HeaderMap = {}, prepare?: (ctx: RequestContext) => void): Promise<Run> {
  const logs: LogLine[] = [];
  const ctx = { ...fakeContext({ headers, identities }), log: capturingLogger(logs) };
  prepare?.(ctx);
  const out = oauth2Introspection.handlers.access!(ctx, c);
  const sync = !(out instanceof Promise);
  const result = (await out) ?? undefined;
  return { ctx, result, logs, sync };
}

/** The reason of the first warning logged, if any. */
const warnReason = (logs: readonly LogLine[]) => (logs.find((l) => l.level === 'warn')?.obj as { reason?: string } | undefined)?.reason;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const UNAUTHORIZED = { problem: 'unauthorized', headers: { 'www-authenticate': 'Bearer realm="portcullis"' } };

// ---- tests --------------------------------------------------------------------------------------

test('an active token identifies the consumer; claims go to ctx.vars.oauth2; the token does not go upstream', async () => {
  const c = conf();
  const { ctx, result } = await run(c, { ...bearer(ALICE), accept: '*/*', 'x-consumer-id': 'spoofed' });
  assert.equal(result, undefined);
  assert.equal(ctx.consumer?.username, 'alice');
  assert.equal(ctx.credentialId, 'introspection:mobile-app');
  assert.deepEqual(sentHeaders(ctx.upstream.headers), {
    accept: '*/*',
    'x-consumer-id': 'alice', 'x-consumer-username': 'alice', 'x-consumer-custom-id': 'crm-alice', 'x-consumer-groups': 'staff',
    'x-credential-identifier': 'introspection:mobile-app',
  });
  const claims = ctx.vars.oauth2 as Record<string, unknown>;
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.scope, 'orders:read orders:write');
  assert.ok(Object.isFrozen(claims), 'cached claims are shared between requests: frozen');
});

test('the IdP gets a form POST with the token, the hint and client_secret_basic', async () => {
  await run(conf({ token_type_hint: 'access_token' }), bearer(ALICE));
  assert.equal(received.length, 1);
  const r = received[0]!;
  assert.equal(r.method, 'POST');
  assert.equal(r.contentType, 'application/x-www-form-urlencoded');
  assert.equal(r.params.get('token'), ALICE);
  assert.equal(r.params.get('token_type_hint'), 'access_token');
  // RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined by ":" and base64-encoded.
  const m = /^Basic (.+)$/.exec(r.authorization ?? '');
  assert.ok(m, 'HTTP Basic client authentication');
  const [id, secret] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':').map((s) => decodeURIComponent(s.replace(/\+/g, ' ')));
  assert.deepEqual([id, secret], [CLIENT_ID, CLIENT_SECRET]);
  assert.equal(clientSecretBasic('a', 'b'), `Basic ${Buffer.from('a:b').toString('base64')}`);
});

test('an inactive or unknown token gets 401 with a Bearer challenge; spoofed identity headers are removed', async () => {
  const { ctx, result } = await run(conf(), { ...bearer('tok-unknown'), 'x-consumer-username': 'admin' });
  assert.deepEqual(result, UNAUTHORIZED);
  assert.equal(ctx.consumer, undefined);
  assert.equal(ctx.upstream.headers['x-consumer-username'], undefined);
  assert.equal(ctx.vars.oauth2, undefined);
});

test('no token, a malformed or an oversized one: 401 without calling the IdP', async () => {
  const c = conf();
  for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }, { authorization: 'Bearer' }, { authorization: 'Bearer a b' }, { authorization: 'Bearer tok"en' }, bearer('x'.repeat(MAX_TOKEN_LENGTH + 1))]) {
    const { result, sync } = await run(c, headers);
    assert.deepEqual(result, UNAUTHORIZED);
    assert.ok(sync, 'answered without waiting');
  }
  assert.equal(calls(), 0);
  assert.equal(bearerToken(`bearer   ${'x'.repeat(MAX_TOKEN_LENGTH)}`), 'x'.repeat(MAX_TOKEN_LENGTH), 'the scheme is case-insensitive; 8 KiB is accepted');
});

test('an active answer is cached: repeated requests make one call and are answered synchronously', async () => {
  const c = conf();
  assert.equal((await run(c, bearer(ALICE))).sync, false);
  for (let i = 0; i < 5; i++) {
    const { result, ctx, sync } = await run(c, bearer(ALICE));
    assert.equal(result, undefined);
    assert.equal(ctx.consumer?.username, 'alice');
    assert.ok(sync, 'a cache hit does not wait');
  }
  assert.equal(calls(), 1);
  // cache_ttl_seconds: 0 turns the cache off.
  const uncached = conf({ cache_ttl_seconds: 0 });
  for (let i = 0; i < 3; i++) await run(uncached, bearer(ALICE));
  assert.equal(calls(), 4);
});

test('a cached answer expires after cache_ttl_seconds', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  const c = conf({ cache_ttl_seconds: 30 });
  await run(c, bearer(ALICE));
  t.mock.timers.tick(29_000);
  await run(c, bearer(ALICE));
  assert.equal(calls(), 1, 'still cached after 29 s');
  t.mock.timers.tick(2_000);
  assert.equal((await run(c, bearer(ALICE))).result, undefined);
  assert.equal(calls(), 2, 'asked again after 31 s');
});

test('a cached answer never outlives the token\'s exp', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  const exp = now() + 5;
  tokens.set('tok-short', () => (now() < exp ? { active: true, sub: 'bob', exp } : { active: false }));
  const c = conf({ cache_ttl_seconds: 3600 });
  assert.equal((await run(c, bearer('tok-short'))).result, undefined);
  t.mock.timers.tick(4_000);
  assert.equal((await run(c, bearer('tok-short'))).result, undefined);
  assert.equal(calls(), 1);
  t.mock.timers.tick(2_000);
  assert.deepEqual((await run(c, bearer('tok-short'))).result, UNAUTHORIZED, 'past exp the IdP is asked again, and says inactive');
  assert.equal(calls(), 2);
});

test('exp and nbf are checked even when the IdP says active (30 s of clock skew allowed)', async () => {
  const c = conf();
  tokens.set('tok-expired', () => ({ active: true, sub: 'bob', exp: now() - 31 }));
  tokens.set('tok-skewed', () => ({ active: true, sub: 'bob', exp: now() - 5 }));
  tokens.set('tok-early', () => ({ active: true, sub: 'bob', nbf: now() + 60 }));
  tokens.set('tok-bad-exp', () => ({ active: true, sub: 'bob', exp: 'tomorrow' }));
  assert.deepEqual((await run(c, bearer('tok-expired'))).result, UNAUTHORIZED);
  assert.equal((await run(c, bearer('tok-skewed'))).result, undefined, 'within the skew');
  assert.deepEqual((await run(c, bearer('tok-early'))).result, UNAUTHORIZED);
  assert.deepEqual((await run(c, bearer('tok-bad-exp'))).result, UNAUTHORIZED, 'a malformed exp is junk, not "never expires"');
  // The one within the skew was past exp: it was not cached.
  await run(c, bearer('tok-skewed'));
  assert.equal(calls(), 5);
});

test('an inactive answer is cached for negative_cache_ttl_seconds', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  const c = conf({ negative_cache_ttl_seconds: 5 });
  for (let i = 0; i < 3; i++) assert.deepEqual((await run(c, bearer('tok-revoked'))).result, UNAUTHORIZED);
  assert.equal(calls(), 1);
  t.mock.timers.tick(5_001);
  await run(c, bearer('tok-revoked'));
  assert.equal(calls(), 2);
  const off = conf({ negative_cache_ttl_seconds: 0 });
  await run(off, bearer('tok-revoked'));
  await run(off, bearer('tok-revoked'));
  assert.equal(calls(), 4);
});

test('concurrent requests with one token make one call', async () => {
  behaviour = (params, req, res) => setTimeout(() => answerJson(params, req, res), 50);
  const c = conf();
  const runs = await Promise.all(Array.from({ length: 10 }, () => run(c, bearer(ALICE))));
  for (const r of runs) {
    assert.equal(r.result, undefined);
    assert.equal(r.ctx.consumer?.username, 'alice');
  }
  assert.equal(calls(), 1);
  // Different tokens are not merged.
  await Promise.all([run(c, bearer('tok-a')), run(c, bearer('tok-b'))]);
  assert.equal(calls(), 3);
});

test('IdP down: new tokens get 401 and a warning; cached tokens keep working', async () => {
  const c = conf();
  assert.equal((await run(c, bearer(ALICE))).result, undefined);
  // An endpoint nobody listens on.
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  const deadUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/introspect`;
  await new Promise<void>((resolve) => gone.close(() => resolve()));
  const dead = conf({ introspection_url: deadUrl });
  const { result, logs } = await run(dead, bearer(ALICE));
  assert.deepEqual(result, UNAUTHORIZED);
  const warning = logs.find((l) => l.level === 'warn');
  assert.ok(warning, 'the outage is logged');
  assert.match(String(warnReason(logs)), /^request failed \(ECONNREFUSED\)$/);
  // The first instance's cache still answers for ALICE while its IdP refuses everything.
  behaviour = (_p, _req, res) => res.writeHead(503).end();
  assert.equal((await run(c, bearer(ALICE))).result, undefined, 'cached positive still OK');
  assert.deepEqual((await run(c, bearer('tok-new'))).result, UNAUTHORIZED, 'uncached token refused');
});

test('a slow IdP times out: 401, and the failure is not cached', async () => {
  behaviour = (params, req, res) => setTimeout(() => { if (!res.destroyed) answerJson(params, req, res); }, 500);
  const c = conf({ timeout_ms: 100 });
  const started = Date.now();
  const { result, logs } = await run(c, bearer(ALICE));
  assert.deepEqual(result, UNAUTHORIZED);
  assert.ok(Date.now() - started < 450, 'did not wait for the slow answer');
  assert.equal(warnReason(logs), 'timed out');
  // Headers on time, then a body that stalls: the same deadline covers reading it.
  behaviour = (_p, _q, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"active":true,');
  };
  const stalled = await run(c, bearer(ALICE));
  assert.deepEqual(stalled.result, UNAUTHORIZED);
  assert.equal(warnReason(stalled.logs), 'timed out');
  behaviour = answerJson;
  assert.equal((await run(c, bearer(ALICE))).result, undefined, 'the next request asks again');
});

test('junk from the IdP is a failure, never an answer: 401, not cached', async () => {
  // [what the IdP does, the reason logged]
  const junk: [Behaviour, string][] = [
    [(_p, _q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ active: true, sub: 'alice', pad: 'x'.repeat(70 * 1024) })), 'response too large'],
    [(_p, _q, res) => {
      // No Content-Length: the cap applies while reading.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"active":true,"sub":"alice","pad":"${'x'.repeat(40 * 1024)}`);
      res.end(`${'x'.repeat(40 * 1024)}"}`);
    }, 'response too large'],
    [(_p, _q, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'), 'response is not JSON'],
    [(_p, _q, res) => res.writeHead(200).end('[true]'), 'response is not a JSON object'],
    [(_p, _q, res) => res.writeHead(200).end('{"active":"true","sub":"alice"}'), 'response has no boolean "active"'],
    [(_p, _q, res) => res.writeHead(200).end('{"active":true,"sub":"alice","exp":"tomorrow"}'), 'response has a non-numeric "exp"'],
    [(_p, _q, res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"active":true,"sub":"alice"}'), 'unexpected status'],
    [(_p, _q, res) => res.writeHead(302, { location: '/elsewhere' }).end(), 'unexpected status'],
  ];
  for (const [b, reason] of junk) {
    behaviour = b;
    const c = conf();
    const first = await run(c, bearer(ALICE));
    assert.deepEqual(first.result, UNAUTHORIZED, reason);
    assert.equal(warnReason(first.logs), reason);
    await run(c, bearer(ALICE));
  }
  assert.equal(calls(), 2 * junk.length, 'failures are never cached');
  assert.ok(!received.some((r) => r.path === '/elsewhere'), 'redirects are not followed');
});

test('required scopes: all must be granted (scope or scp), else 403 naming them', async () => {
  tokens.set('tok-scp', () => ({ active: true, sub: 'bob', scp: ['orders:read', 'orders:write'] }));
  const c = conf({ scopes: ['orders:read', 'orders:write'] });
  assert.equal((await run(c, bearer(ALICE))).result, undefined);
  assert.equal((await run(c, bearer('tok-scp'))).result, undefined);
  const strict = conf({ scopes: ['orders:admin'], anonymous: 'guest' });
  const { result, ctx } = await run(strict, { ...bearer(ALICE), 'x-consumer-id': 'spoofed' });
  assert.deepEqual(result, {
    problem: 'forbidden',
    detail: 'The access token does not grant the required scope.',
    headers: { 'www-authenticate': 'Bearer realm="portcullis", error="insufficient_scope", scope="orders:admin"' },
  });
  assert.equal(ctx.consumer, undefined, 'a valid token without the scope is not downgraded to anonymous');
  assert.equal(ctx.upstream.headers['x-consumer-id'], undefined);
});

test('consumer mapping: by name or custom_id, from any claim; an unknown consumer gets 401', async () => {
  tokens.set('tok-crm', () => ({ active: true, sub: 'crm-alice' }));
  tokens.set('tok-client', () => ({ active: true, client_id: 'bob', iss: 'https://idp.example.com' }));
  tokens.set('tok-stranger', () => ({ active: true, sub: 'mallory' }));
  tokens.set('tok-nosub', () => ({ active: true, sub: 42 }));
  assert.equal((await run(conf({ consumer_by: 'custom_id' }), bearer('tok-crm'))).ctx.consumer?.username, 'alice');
  assert.deepEqual((await run(conf({ consumer_by: 'custom_id' }), bearer(ALICE))).result, UNAUTHORIZED, '"alice" is a name, not a custom_id');
  const byClient = await run(conf({ consumer_claim: 'client_id' }), bearer('tok-client'));
  assert.equal(byClient.ctx.consumer?.username, 'bob');
  assert.equal(byClient.ctx.credentialId, 'introspection:bob');
  const c = conf();
  assert.deepEqual((await run(c, bearer('tok-stranger'))).result, UNAUTHORIZED);
  assert.deepEqual((await run(c, bearer('tok-nosub'))).result, UNAUTHORIZED, 'a non-string claim names nobody');
  assert.deepEqual((await run(c, bearer('tok-client'))).result, UNAUTHORIZED, 'no sub');
});

test('anonymous: without a usable token the request goes on as the anonymous consumer', async () => {
  tokens.set('tok-stranger', () => ({ active: true, sub: 'mallory' }));
  const c = conf({ anonymous: 'guest' });
  for (const headers of [{}, bearer('tok-inactive'), bearer('tok-stranger')]) {
    const { result, ctx } = await run(c, headers);
    assert.equal(result, undefined);
    assert.equal(ctx.consumer?.username, 'guest');
    assert.equal(ctx.upstream.headers['x-anonymous-consumer'], 'true');
    assert.equal(ctx.vars.oauth2, undefined, 'no claims for an anonymous request');
  }
  assert.deepEqual((await run(conf({ anonymous: 'ghost' }), {})).result, UNAUTHORIZED, 'an anonymous consumer that does not exist');
});

test('a consumer set by an earlier auth plugin wins: no introspection, but the token is still hidden', async () => {
  const bob = identities.consumer('bob')!;
  const { result, ctx } = await run(conf(), bearer(ALICE), (earlier) => setConsumer(earlier, bob, 'cred-bob'));
  assert.equal(result, undefined);
  assert.equal(ctx.consumer?.username, 'bob');
  assert.equal(ctx.upstream.headers.authorization, undefined);
  assert.equal(calls(), 0);
});

test('hide_credentials: bearer tokens are removed (even malformed ones), other schemes kept; false keeps them', async () => {
  const c = conf({ header_names: ['authorization', 'x-access-token'] });
  const hidden = await run(c, { authorization: `Bearer ${ALICE}`, 'x-access-token': 'Bearer not a token' });
  assert.equal(hidden.result, undefined);
  assert.equal(hidden.ctx.upstream.headers.authorization, undefined);
  assert.equal(hidden.ctx.upstream.headers['x-access-token'], undefined);
  const basic = await run(c, { authorization: 'Basic dXNlcjpwYXNz' });
  assert.equal(basic.ctx.upstream.headers.authorization, 'Basic dXNlcjpwYXNz', 'left for basic-auth');
  const kept = await run(conf({ hide_credentials: false }), bearer(ALICE));
  assert.equal(kept.ctx.upstream.headers.authorization, `Bearer ${ALICE}`);
  // The second configured header is read when the first has no token.
  const second = await run(c, { 'x-access-token': `Bearer ${ALICE}` });
  assert.equal(second.ctx.consumer?.username, 'alice');
});

test('the cache is bounded by max_cache_entries, least recently used first', async () => {
  const c = conf({ max_cache_entries: 3 });
  for (let i = 0; i < 10; i++) tokens.set(`tok-${i}`, () => ({ active: true, sub: 'bob', exp: now() + 600 }));
  await run(c, bearer('tok-0'));
  for (let i = 1; i < 10; i++) {
    await run(c, bearer(`tok-${i}`));
    await run(c, bearer('tok-0')); // kept in use
    assert.ok(c.introspector.cachedEntries <= 3);
  }
  assert.equal(c.introspector.cachedEntries, 3);
  assert.equal(calls(), 10, 'the token in use stayed cached while the others were evicted');
  assert.equal((await run(c, bearer('tok-9'))).sync, true);
  assert.equal((await run(c, bearer('tok-1'))).sync, false, 'evicted');
});

test('config: an http(s) URL without credentials, bounded TTLs, a client secret', () => {
  const base = { introspection_url: 'https://idp.example.com/introspect', client_id: 'gw', client_secret: 's' };
  const compiled = compileConf(oauth2Introspection, base);
  assert.equal(compiled.token_type_hint, 'access_token');
  assert.equal(compiled.timeout_ms, 2000);
  assert.equal(compiled.cache_ttl_seconds, 30);
  assert.equal(compiled.negative_cache_ttl_seconds, 5);
  assert.equal(compiled.max_cache_entries, 10_000);
  assert.equal(compiled.consumer_claim, 'sub');
  assert.equal(compiled.consumer_by, 'name');
  assert.deepEqual(compiled.headerNames, ['authorization']);
  assert.equal(compiled.hide_credentials, true);
  assert.ok(!JSON.stringify(compiled).includes('"s"') && !('client_secret' in compiled), 'the compiled config does not carry the secret');
  for (const bad of [
    { ...base, introspection_url: 'ftp://idp.example.com/introspect' },
    { ...base, introspection_url: 'https://user:pw@idp.example.com/introspect' },
    { ...base, cache_ttl_seconds: 3601 },
    { ...base, client_secret: undefined },
    { ...base, client_secret: 'line\nbreak' },
    { ...base, scopes: ['has space'] },
    { ...base, consumer_by: 'email' },
  ]) assert.throws(() => compileConf(oauth2Introspection, bad), Error, JSON.stringify(bad));
});

test('through the gateway: 200 as the consumer without the token upstream, 401 and 403 as problems', async () => {
  const up = await startUpstream();
  const plugin = (config: Record<string, unknown>) => [{ name: 'oauth2-introspection', config: { introspection_url: url, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...config } }];
  const gw = await startGateway({
    consumers: [{ name: 'alice', groups: [] }],
    services: [{ name: 'orders', targets: [{ url: up.url }] }],
    routes: [
      { name: 'orders', service: 'orders', paths: ['/orders'], plugins: plugin({}) },
      { name: 'admin', service: 'orders', paths: ['/admin'], plugins: plugin({ scopes: ['orders:admin'] }) },
    ],
  });
  try {
    const ok = await fetch(`${gw.url}/orders/1`, { headers: bearer(ALICE) });
    assert.equal(ok.status, 200);
    await ok.text();
    const seen = up.received.at(-1)!.headers;
    assert.equal(seen['x-consumer-username'], 'alice');
    assert.equal(seen.authorization, undefined);
    const denied = await fetch(`${gw.url}/orders/1`, { headers: bearer('tok-nobody') });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('www-authenticate'), 'Bearer realm="portcullis"');
    assert.ok(!(await denied.text()).includes('tok-nobody'));
    const forbidden = await fetch(`${gw.url}/admin`, { headers: bearer(ALICE) });
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.headers.get('www-authenticate') ?? '', /error="insufficient_scope", scope="orders:admin"/);
    await forbidden.text();
    assert.equal(up.received.length, 1, 'refused requests never reached the upstream');
  } finally {
    await gw.close();
    await up.close();
  }
});

test('no log call of this file carried a token or the client secret', () => {
  assert.ok(allLogs.some((l) => l.level === 'warn'), 'failures were logged');
  const text = JSON.stringify(allLogs);
  for (const secret of [ALICE, 'tok-revoked', 'tok-stranger', 'tok-new', CLIENT_SECRET, Buffer.from(CLIENT_SECRET).toString('base64')]) {
    assert.ok(!text.includes(secret), `a log line contains ${secret}`);
  }
});
