// The built-in OAuth2 authorization server end to end, on a node in store mode (SQLite, one and two
// workers): client-credentials tokens (client_secret_basic and _post), scopes, the jwt plugin
// trusting the server with no keys configured, introspection, revocation through the store,
// metadata and JWKS (checked by an outside verifier), key rotation by hand, sealed keys on disk,
// a node whose master key cannot open the keys, and no secret or token in the logs. On Postgres:
// three nodes, two sharing the master key — one signing key made for all of them, tokens good on
// every node, a revocation on one enforced by the others, and the odd node verifying but not signing.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { expectStatus, randomToken, spawnNode, until, type NodeProcess } from './harness/node.ts';
import { createTestDatabase, onCi, POSTGRES_ENV, postgresUrl } from './harness/postgres.ts';
import { echoHandler, startUpstream } from './harness/upstream.ts';

const TEST_TIMEOUT = 120_000;
const ISSUER = 'https://api.carrier.test';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown> | undefined;
}

function send(node: NodeProcess, method: string, path: string, opts: { headers?: Record<string, string>; form?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const body = opts.form ? new URLSearchParams(opts.form).toString() : opts.body;
  const headers = { ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...opts.headers };
  return new Promise((resolve, reject) => {
    const req = request(`${node.proxyUrl}${path}`, { method, headers, agent: false, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        let json: Record<string, unknown> | undefined;
        try { json = JSON.parse(text) as Record<string, unknown>; } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const seen = (a: Answer) => a.json as { url: string; headers: Record<string, string | undefined> };

interface Client { id: string; credentialId: string; secret: string }

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-oauth2-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

for (const workers of [1, 2]) {
  test(`built-in OAuth2 server (SQLite, ${workers} worker(s))`, { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = tempDir(t);
    const stateDir = join(dir, 'state');
    const db = `sqlite:${join(dir, 'portcullis.db')}`;
    const up = await startUpstream(echoHandler);
    t.after(() => up.close());
    let node = await spawnNode({ db, stateDir, workers, t });
    const secrets = new Set<string>();

    expectStatus(await node.admin('POST', '/admin/config/apply', {
      gateway: { drain_timeout_ms: 2000, oauth2_server: { enabled: true, issuer: ISSUER, token_ttl_seconds: 300, scopes: ['labels:write', 'tracking:read'] } },
      services: [{ name: 'echo', targets: [{ url: up.url }], retries: 0 }],
      routes: [
        { name: 'api', service: 'echo', paths: ['/api'], plugins: [{ name: 'jwt', config: {} }] },
        { name: 'labels', service: 'echo', paths: ['/labels'], plugins: [{ name: 'jwt', config: { scopes: ['labels:write'] } }] },
      ],
    }), 'config apply');
    for (const name of ['acme', 'bob']) expectStatus(await node.admin('POST', '/admin/consumers', { name }), `consumer ${name}`, 201);
    const newClient = async (consumer: string, scopes?: string[]): Promise<Client> => {
      const r = expectStatus(await node.admin('POST', '/admin/credentials', { consumer, type: 'oauth2', client_name: `${consumer} app`, ...(scopes ? { scopes } : {}) }), `client for ${consumer}`, 201);
      assert.match(String(r.body.client_id), /^pc_client_/);
      assert.match(String(r.body.client_secret), /^pcs_/);
      secrets.add(String(r.body.client_secret));
      return { id: String(r.body.client_id), credentialId: String(r.body.id), secret: String(r.body.client_secret) };
    };
    const acme = await newClient('acme', ['labels:write', 'tracking:read']);
    const bob = await newClient('bob', ['tracking:read']);
    const tokenFor = async (c: Client, form: Record<string, string> = {}): Promise<Answer> =>
      send(node, 'POST', '/oauth2/token', { headers: { authorization: basic(c.id, c.secret) }, form: { grant_type: 'client_credentials', ...form } });
    await until(async () => (await tokenFor(bob)).status === 200, 15_000, 'the first signing key and the clients to be served');
    const issue = async (c: Client, form: Record<string, string> = {}) => {
      const a = await tokenFor(c, form);
      assert.equal(a.status, 200, a.text);
      secrets.add(String(a.json!.access_token));
      return a;
    };

    await t.test('metadata (RFC 8414) and JWKS: public, cacheable, no private members', async () => {
      const meta = await send(node, 'GET', '/.well-known/oauth-authorization-server');
      assert.equal(meta.status, 200);
      assert.deepEqual(meta.json, {
        issuer: ISSUER,
        token_endpoint: `${ISSUER}/oauth2/token`,
        jwks_uri: `${ISSUER}/oauth2/jwks`,
        introspection_endpoint: `${ISSUER}/oauth2/introspect`,
        revocation_endpoint: `${ISSUER}/oauth2/revoke`,
        grant_types_supported: ['client_credentials'],
        response_types_supported: [],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        scopes_supported: ['labels:write', 'tracking:read'],
      });
      assert.match(String(meta.headers['cache-control']), /public, max-age=/);
      const jwks = await send(node, 'GET', '/oauth2/jwks');
      assert.equal(jwks.status, 200);
      assert.equal(jwks.headers['content-type'], 'application/jwk-set+json');
      const keys = (jwks.json as { keys: Record<string, unknown>[] }).keys;
      assert.ok(keys.length >= 1);
      for (const k of keys) {
        assert.deepEqual({ alg: k.alg, use: k.use, kty: k.kty, crv: k.crv }, { alg: 'ES256', use: 'sig', kty: 'EC', crv: 'P-256' });
        assert.equal(k.d, undefined, 'no private member');
      }
      assert.equal((await send(node, 'POST', '/oauth2/jwks')).status, 405);
      assert.equal((await send(node, 'GET', '/oauth2/token')).headers.allow, 'POST');
      assert.equal((await send(node, 'GET', '/oauth2/other')).status, 404, 'other paths under the prefix are not endpoints (and no route matches)');
    });

    await t.test('client credentials: Basic and body authentication, scopes, RFC 6749 answers', async () => {
      const a = await issue(acme);
      assert.equal(a.headers['cache-control'], 'no-store');
      assert.equal(a.headers.pragma, 'no-cache');
      assert.deepEqual({ ...a.json, access_token: undefined }, { access_token: undefined, token_type: 'Bearer', expires_in: 300, scope: 'labels:write tracking:read' });
      const post = await send(node, 'POST', '/oauth2/token', { form: { grant_type: 'client_credentials', client_id: bob.id, client_secret: bob.secret, scope: 'tracking:read' } });
      assert.equal(post.status, 200);
      assert.equal(post.json!.scope, 'tracking:read');
      assert.equal((await issue(acme, { scope: 'tracking:read' })).json!.scope, 'tracking:read', 'a subset is granted as asked');

      const problem = (x: Answer) => ({ status: x.status, error: x.json?.error, type: x.json?.type, ct: x.headers['content-type'] });
      const invalidClient = { status: 401, error: 'invalid_client', type: 'https://portcullis.dev/problems/oauth2-invalid-client', ct: 'application/json' };
      const wrongSecret = await send(node, 'POST', '/oauth2/token', { headers: { authorization: basic(acme.id, bob.secret) }, form: { grant_type: 'client_credentials' } });
      assert.deepEqual(problem(wrongSecret), invalidClient);
      assert.match(String(wrongSecret.headers['www-authenticate']), /^Basic realm="portcullis"/);
      assert.deepEqual(problem(await send(node, 'POST', '/oauth2/token', { headers: { authorization: basic('pc_client_nobody', acme.secret) }, form: { grant_type: 'client_credentials' } })), invalidClient);
      assert.deepEqual(problem(await send(node, 'POST', '/oauth2/token', { form: { grant_type: 'client_credentials' } })), invalidClient, 'no client authentication at all');
      assert.deepEqual(problem(await send(node, 'POST', '/oauth2/token', { form: { grant_type: 'client_credentials', client_id: acme.id } })), invalidClient, 'an id without its secret');
      assert.ok(!wrongSecret.text.includes(bob.secret), 'the presented secret is not echoed');

      const invalidRequest = (x: Answer) => assert.deepEqual(problem(x), { status: 400, error: 'invalid_request', type: 'https://portcullis.dev/problems/oauth2-invalid-request', ct: 'application/json' });
      invalidRequest(await send(node, 'POST', '/oauth2/token', { headers: { authorization: basic(acme.id, acme.secret) }, form: { grant_type: 'client_credentials', client_id: acme.id, client_secret: acme.secret } }));
      invalidRequest(await send(node, 'POST', '/oauth2/token', { headers: { authorization: basic(acme.id, acme.secret) }, form: {} }));
      invalidRequest(await send(node, 'POST', '/oauth2/token', { headers: { authorization: basic(acme.id, acme.secret), 'content-type': 'application/json' }, body: '{"grant_type":"client_credentials"}' }));
      invalidRequest(await send(node, 'POST', '/oauth2/token', { headers: { authorization: basic(acme.id, acme.secret), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&grant_type=client_credentials' }));
      assert.equal((await tokenFor(acme, { grant_type: 'password' })).json?.error, 'unsupported_grant_type');
      assert.equal((await tokenFor(acme, { grant_type: 'authorization_code' })).status, 400);
      assert.equal((await tokenFor(bob, { scope: 'labels:write' })).json?.error, 'invalid_scope', 'not allowed for this client');
      assert.equal((await tokenFor(acme, { scope: 'admin' })).json?.error, 'invalid_scope', 'not offered by the server');
      const big = await send(node, 'POST', '/oauth2/token', { headers: { authorization: basic(acme.id, acme.secret) }, form: { grant_type: 'client_credentials', pad: 'x'.repeat(20_000) } });
      assert.equal(big.status, 413);
    });

    await t.test('the jwt plugin accepts the server’s tokens with no keys configured; scopes decide 403', async () => {
      const acmeToken = String((await issue(acme)).json!.access_token);
      const header = decodeProtectedHeader(acmeToken);
      assert.equal(header.typ, 'at+jwt');
      const ok = await send(node, 'GET', '/api/shipments', { headers: bearer(acmeToken) });
      assert.equal(ok.status, 200);
      assert.equal(seen(ok).headers['x-consumer-username'], 'acme');
      assert.equal(seen(ok).headers['x-credential-identifier'], acme.credentialId);
      assert.equal(seen(ok).headers.authorization, undefined, 'the token never goes upstream');
      assert.equal((await send(node, 'POST', '/labels', { headers: bearer(acmeToken) })).status, 200);
      const bobToken = String((await issue(bob)).json!.access_token);
      const forbidden = await send(node, 'POST', '/labels', { headers: bearer(bobToken) });
      assert.equal(forbidden.status, 403);
      assert.match(String(forbidden.headers['www-authenticate']), /error="insufficient_scope", scope="labels:write"/);
      assert.equal((await send(node, 'GET', '/api/x', { headers: bearer(`${acmeToken.slice(0, -4)}AAAA`) })).status, 401, 'tampered signature');
    });

    await t.test('an outside verifier checks the tokens against the published JWKS', async () => {
      const token = String((await issue(acme)).json!.access_token);
      const jwks = (await send(node, 'GET', '/oauth2/jwks')).json as unknown as JSONWebKeySet;
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISSUER, audience: ISSUER, typ: 'at+jwt' });
      assert.equal(payload.client_id, acme.id);
      assert.equal(payload.sub, acme.id);
      assert.equal(payload.exp! - payload.iat!, 300);
      assert.equal(typeof payload.jti, 'string');
    });

    await t.test('introspection (RFC 7662): active with claims, inactive for anything else, clients only', async () => {
      const token = String((await issue(acme)).json!.access_token);
      const on = await send(node, 'POST', '/oauth2/introspect', { headers: { authorization: basic(bob.id, bob.secret) }, form: { token } });
      assert.equal(on.status, 200);
      assert.equal(on.headers['cache-control'], 'no-store');
      assert.deepEqual({ active: on.json!.active, client_id: on.json!.client_id, scope: on.json!.scope, token_type: on.json!.token_type, iss: on.json!.iss }, { active: true, client_id: acme.id, scope: 'labels:write tracking:read', token_type: 'Bearer', iss: ISSUER });
      for (const bad of ['garbage', `${token}x`, token.split('.').slice(0, 2).join('.') + '.']) {
        assert.deepEqual((await send(node, 'POST', '/oauth2/introspect', { headers: { authorization: basic(bob.id, bob.secret) }, form: { token: bad } })).json, { active: false });
      }
      assert.equal((await send(node, 'POST', '/oauth2/introspect', { form: { token } })).status, 401, 'a caller must authenticate');
      assert.equal((await send(node, 'POST', '/oauth2/introspect', { headers: { authorization: basic(bob.id, bob.secret) }, form: {} })).json?.error, 'invalid_request');
    });

    await t.test('revocation (RFC 7009): only the owning client revokes; every node refuses the token within a second', async () => {
      const token = String((await issue(acme)).json!.access_token);
      assert.equal((await send(node, 'GET', '/api/r', { headers: bearer(token) })).status, 200);
      const foreign = await send(node, 'POST', '/oauth2/revoke', { headers: { authorization: basic(bob.id, bob.secret) }, form: { token, token_type_hint: 'access_token' } });
      assert.equal(foreign.status, 200, 'another client gets the same 200 …');
      assert.equal((await send(node, 'GET', '/api/r', { headers: bearer(token) })).status, 200, '… and the token is left alone');
      const revoked = await send(node, 'POST', '/oauth2/revoke', { headers: { authorization: basic(acme.id, acme.secret) }, form: { token } });
      assert.equal(revoked.status, 200);
      const at = Date.now();
      await until(async () => {
        for (let i = 0; i < 4; i++) if ((await send(node, 'GET', '/api/r', { headers: bearer(token) })).status !== 401) return false;
        return true;
      }, 5000, 'the revoked token to be refused everywhere');
      assert.ok(Date.now() - at < 1000, `refused after ${Date.now() - at} ms`);
      assert.deepEqual((await send(node, 'POST', '/oauth2/introspect', { headers: { authorization: basic(acme.id, acme.secret) }, form: { token } })).json, { active: false });
      assert.equal((await send(node, 'POST', '/oauth2/revoke', { headers: { authorization: basic(acme.id, acme.secret) }, form: { token } })).status, 200, 'revoking twice is fine');
      assert.equal((await send(node, 'POST', '/oauth2/revoke', { headers: { authorization: basic(acme.id, acme.secret) }, form: { token: 'not-a-token' } })).status, 200, 'an invalid token: 200 too');
      const metrics = await node.metrics();
      for (const outcome of ['revoked', 'ignored']) assert.match(metrics, new RegExp(`portcullis_oauth2_requests_total\\{endpoint="revoke",outcome="${outcome}"\\} [1-9]`));
      assert.match(metrics, /portcullis_oauth2_requests_total\{endpoint="token",outcome="invalid_client"\} [1-9]/);
      const audit = expectStatus(await node.admin('GET', '/admin/audit?entity=access-token'), 'audit');
      assert.ok((audit.body.data as { actor: string }[]).some((e) => e.actor === `oauth2-client:${acme.id}`));
    });

    await t.test('revoking or expiring the client ends its tokens', async () => {
      const temp = await newClient('bob', ['tracking:read']);
      await until(async () => (await tokenFor(temp)).status === 200, 5000, 'the new client');
      const token = String((await issue(temp)).json!.access_token);
      assert.equal((await send(node, 'GET', '/api/c', { headers: bearer(token) })).status, 200);
      expectStatus(await node.admin('PATCH', `/admin/credentials/${temp.credentialId}`, { revoked: true }), 'revoke client');
      await until(async () => (await send(node, 'GET', '/api/c', { headers: bearer(token) })).status === 401, 5000, 'the token of a revoked client to fail');
      assert.equal((await tokenFor(temp)).status, 401);
    });

    await t.test('rotating the key by hand: new tokens use the new key, old ones keep working until retired', async () => {
      const before = String((await issue(acme)).json!.access_token);
      const oldKid = decodeProtectedHeader(before).kid;
      const listed = expectStatus(await node.admin('GET', '/admin/oauth2/keys'), 'list keys');
      assert.ok(!JSON.stringify(listed.body).includes('"d"') && !JSON.stringify(listed.body).includes('private'), 'no private key in the API');
      const rotated = expectStatus(await node.admin('POST', '/admin/oauth2/keys/rotate', {}), 'rotate', 201);
      const newKid = String(rotated.body.kid);
      assert.notEqual(newKid, oldKid);
      await until(async () => decodeProtectedHeader(String((await tokenFor(acme)).json?.access_token ?? 'x.x.x')).kid === newKid, 5000, 'tokens signed with the new key');
      assert.equal((await send(node, 'GET', '/api/k', { headers: bearer(before) })).status, 200, 'the old key still verifies');
      const jwksKids = ((await send(node, 'GET', '/oauth2/jwks')).json as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      assert.ok(jwksKids.includes(String(oldKid)) && jwksKids.includes(newKid));
      expectStatus(await node.admin('POST', '/admin/oauth2/keys/rotate', { retire_previous: true }), 'rotate and retire', 201);
      await until(async () => (await send(node, 'GET', '/api/k', { headers: bearer(before) })).status === 401, 5000, 'tokens of a retired key to fail');
      assert.equal(((await send(node, 'GET', '/oauth2/jwks')).json as { keys: unknown[] }).keys.length, 1);
      assert.equal((await node.admin('POST', '/admin/oauth2/keys/rotate', { retire_previous: 'yes' })).status, 400);
    });

    await t.test('private keys are sealed on disk; no client secret or token is ever logged', async () => {
      const lastGood = readFileSync(join(stateDir, 'last-good-config.json'), 'utf8');
      const saved = JSON.parse(lastGood) as { signing_keys: { private_sealed: string }[] };
      assert.ok(saved.signing_keys.length >= 1);
      for (const k of saved.signing_keys) assert.match(k.private_sealed, /^v1\./);
      assert.ok(!lastGood.includes('"d":'), 'no private JWK in clear');
      assert.equal(statSync(join(stateDir, 'secret.key')).mode & 0o777, 0o600);
      const logs = node.logs();
      for (const s of secrets) assert.ok(!logs.includes(s) && !logs.includes(s.split('.')[2] ?? s), 'a secret or token is in the logs');
      assert.ok(logs.includes('access token issued'), 'issuing is logged (by client id and jti)');
    });

    if (workers === 1) {
      await t.test('a node with another master key still verifies tokens but cannot sign (503), and says why', async () => {
        const token = String((await issue(acme)).json!.access_token);
        await node.stop();
        node = await spawnNode({ db, stateDir, workers, t, env: { PORTCULLIS_SECRET_KEY: randomBytes(32).toString('base64') } });
        assert.equal((await send(node, 'GET', '/api/m', { headers: bearer(token) })).status, 200);
        const refused = await tokenFor(acme);
        assert.equal(refused.status, 503);
        assert.equal(refused.json?.error, 'temporarily_unavailable');
        assert.match(node.logs(), /sealed with master key [0-9a-f]{16}, but this node has [0-9a-f]{16}: give every node the same PORTCULLIS_SECRET_KEY/);
      });
    }
  });
}

const MULTINODE = 'OAuth2 server on three Postgres nodes: one key for all, tokens and revocations everywhere, a node with another master key only verifies';
if (postgresUrl() !== undefined) {
  test(MULTINODE, { timeout: TEST_TIMEOUT }, async (t) => {
    const database = await createTestDatabase();
    t.after(() => database.drop());
    const up = await startUpstream(echoHandler);
    t.after(() => up.close());
    const adminToken = randomToken();
    const shared = { PORTCULLIS_SECRET_KEY: randomBytes(32).toString('base64') };
    const stateDirs = [tempDir(t), tempDir(t), tempDir(t)];
    // Started together on an empty database; once the config enabling the server arrives, both
    // race to make the first key (the store's write lock lets one make it).
    const [a, b] = await Promise.all([0, 1].map((i) => spawnNode({ db: database.url, stateDir: stateDirs[i]!, adminToken, env: shared, t })));
    expectStatus(await a!.admin('POST', '/admin/config/apply', {
      gateway: { drain_timeout_ms: 2000, oauth2_server: { enabled: true, issuer: ISSUER } },
      services: [{ name: 'echo', targets: [{ url: up.url }], retries: 0 }],
      routes: [{ name: 'api', service: 'echo', paths: ['/api'], plugins: [{ name: 'jwt', config: {} }] }],
      consumers: [{ name: 'acme' }],
    }), 'config apply');
    const created = expectStatus(await b!.admin('POST', '/admin/credentials', { consumer: 'acme', type: 'oauth2' }), 'client', 201);
    const client = { id: String(created.body.client_id), secret: String(created.body.client_secret) };
    const tokenFrom = (n: NodeProcess) => send(n, 'POST', '/oauth2/token', { headers: { authorization: basic(client.id, client.secret) }, form: { grant_type: 'client_credentials' } });
    await until(async () => (await tokenFrom(a!)).status === 200 && (await tokenFrom(b!)).status === 200, 20_000, 'both nodes to issue tokens');
    const keys = expectStatus(await a!.admin('GET', '/admin/oauth2/keys'), 'keys');
    assert.equal((keys.body.data as unknown[]).length, 1, 'the nodes made one key between them');

    const fromA = String((await tokenFrom(a!)).json!.access_token);
    const fromB = String((await tokenFrom(b!)).json!.access_token);
    for (const n of [a!, b!]) for (const token of [fromA, fromB]) assert.equal((await send(n, 'GET', '/api/x', { headers: bearer(token) })).status, 200);

    // A third node with its own master key: it verifies (public keys) but cannot sign.
    const c = await spawnNode({ db: database.url, stateDir: stateDirs[2]!, adminToken, env: { PORTCULLIS_SECRET_KEY: randomBytes(32).toString('base64') }, t });
    await until(async () => (await send(c, 'GET', '/api/x', { headers: bearer(fromA) })).status === 200, 10_000, 'the third node to serve the config');
    assert.equal((await tokenFrom(c)).status, 503);

    // Revoked through B: A and C refuse it within a second.
    assert.equal((await send(b!, 'POST', '/oauth2/revoke', { headers: { authorization: basic(client.id, client.secret) }, form: { token: fromA } })).status, 200);
    const at = Date.now();
    await until(async () => (await send(a!, 'GET', '/api/x', { headers: bearer(fromA) })).status === 401 && (await send(c, 'GET', '/api/x', { headers: bearer(fromA) })).status === 401, 5000, 'the revocation to reach A and C');
    assert.ok(Date.now() - at < 1000, `enforced everywhere after ${Date.now() - at} ms`);
    assert.equal((await send(c, 'GET', '/api/x', { headers: bearer(fromB) })).status, 200, 'other tokens are unaffected');
    // Recording a revocation needs the store, not the master key: C can.
    assert.equal((await send(c, 'POST', '/oauth2/revoke', { headers: { authorization: basic(client.id, client.secret) }, form: { token: fromB } })).status, 200);
    await until(async () => (await send(a!, 'GET', '/api/x', { headers: bearer(fromB) })).status === 401, 5000, 'a revocation made on C to reach A');
  });
} else if (onCi()) {
  test(MULTINODE, () => {
    assert.fail(`${POSTGRES_ENV} is not set: CI must run the multi-node tests (see .ci/run)`);
  });
} else {
  test(MULTINODE, { skip: `${POSTGRES_ENV} is not set` }, () => undefined);
}
