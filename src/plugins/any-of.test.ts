// Several authentication plugins on one route mean "any of these": compiled into one access step
// where the first success wins, an anonymous fallback holds if nothing else succeeds, and the
// first failure is the answer when all fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig } from '../core/config/load.ts';
import { compileSnapshot } from '../core/snapshot/compile.ts';
import { apiKeyLookup, hashPassword } from '../core/identity/secrets.ts';
import type { PluginResponse } from '../core/pipeline/context.ts';
import { runPhase } from '../core/pipeline/run.ts';
import { BUNDLED_CATALOG } from './index.ts';
import { fakeContext } from './test-helpers.ts';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

async function snapshot(extraPlugins: unknown[] = []) {
  const config = checkConfig({
    services: [{ name: 's', targets: [{ url: 'http://127.0.0.1:9' }] }],
    routes: [{ name: 'r', service: 's', paths: ['/'], plugins: [{ name: 'key-auth', config: { anonymous: 'guest' } }, { name: 'basic-auth' }, ...extraPlugins] }],
    consumers: [{ name: 'acme', groups: ['partners'] }, { name: 'bob' }, { name: 'guest' }],
  });
  return compileSnapshot({
    ...config,
    credentials: [
      { id: 'k1', consumer: 'acme', type: 'key-auth', lookup: apiKeyLookup('pk_live_acme-key'), secret_hash: null, expires_at: null, revoked_at: null },
      { id: 'b1', consumer: 'bob', type: 'basic-auth', lookup: 'bob', secret_hash: await hashPassword('bob-password'), expires_at: null, revoked_at: null },
    ],
  }, BUNDLED_CATALOG);
}

async function access(headers: Record<string, string>, extraPlugins: unknown[] = []) {
  const snap = await snapshot(extraPlugins);
  const route = snap.routes[0]!;
  const ctx = fakeContext({ headers, identities: snap.identities });
  const result = await runPhase(route.chains.access, ctx) as PluginResponse | undefined;
  return { ctx, result, steps: route.chains.access.map((s) => s.name) };
}

test('the auth plugins of a route become one step', async () => {
  assert.deepEqual((await access({})).steps, ['key-auth|basic-auth']);
  assert.deepEqual((await access({}, [{ name: 'acl', config: { allow: ['partners'] } }])).steps, ['key-auth|basic-auth', 'acl']);
});

test('either credential authenticates; with none the anonymous fallback holds', async () => {
  assert.equal((await access({ 'x-api-key': 'pk_live_acme-key' })).ctx.consumer?.username, 'acme');
  const byPassword = await access({ authorization: basic('bob', 'bob-password') });
  assert.equal(byPassword.result, undefined);
  assert.equal(byPassword.ctx.consumer?.username, 'bob', 'basic-auth wins over key-auth’s anonymous fallback');
  assert.equal(byPassword.ctx.upstream.headers['x-anonymous-consumer'], undefined);
  const none = await access({});
  assert.equal(none.ctx.consumer?.username, 'guest');
  assert.equal(none.ctx.upstream.headers['x-anonymous-consumer'], 'true');
});

test('the acl after them judges whoever authenticated', async () => {
  const acl = [{ name: 'acl', config: { allow: ['partners'] } }];
  assert.equal((await access({ 'x-api-key': 'pk_live_acme-key' }, acl)).result, undefined);
  assert.deepEqual((await access({ authorization: basic('bob', 'bob-password') }, acl)).result, { problem: 'forbidden' });
  assert.deepEqual((await access({}, acl)).result, { problem: 'forbidden' }, 'the anonymous consumer has no group');
});

test('a 403 from one plugin (valid credential, not enough rights) ends the step: no anonymous fallback overrides it', async () => {
  const refusing = { name: 'refuser', version: '1.0.0', description: 'test plugin that refuses', priority: 2000, configSchema: (await import('typebox')).default.Object({}), authenticates: true, handlers: { access: () => ({ problem: 'forbidden' as const }) } };
  const catalog = new Map([...BUNDLED_CATALOG, ['refuser', refusing]]);
  const config = checkConfig({
    services: [{ name: 's', targets: [{ url: 'http://127.0.0.1:9' }] }],
    routes: [{ name: 'r', service: 's', paths: ['/'], plugins: [{ name: 'refuser' }, { name: 'key-auth', config: { anonymous: 'guest' } }] }],
    consumers: [{ name: 'guest' }],
  });
  const snap = compileSnapshot(config, catalog as typeof BUNDLED_CATALOG);
  const ctx = fakeContext({ identities: snap.identities });
  assert.deepEqual(await runPhase(snap.routes[0]!.chains.access, ctx), { problem: 'forbidden' });
  assert.equal(ctx.consumer, undefined);
});
