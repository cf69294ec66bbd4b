// basic-auth: HTTP Basic against scrypt hashes from the identity directory; one 401 for every
// failure; the password never goes upstream; a remembered check never outlives a password change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileIdentities, type CredentialRecord } from '../../core/identity/directory.ts';
import { hashPassword } from '../../core/identity/secrets.ts';
import type { PluginResponse } from '../../core/pipeline/context.ts';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { basicAuth, parseBasic } from './plugin.ts';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

async function directory(password: string, over: Partial<CredentialRecord> = {}) {
  const cred: CredentialRecord = { id: 'cred-1', consumer: 'acme', type: 'basic-auth', lookup: 'acme-app', secret_hash: await hashPassword(password), expires_at: null, revoked_at: null, ...over };
  return compileIdentities([{ name: 'acme', groups: ['partners'] }, { name: 'guest', groups: [] }], [cred]);
}

const run = async (headers: Record<string, string>, identities: Awaited<ReturnType<typeof directory>>, raw: unknown = {}) => {
  const ctx = fakeContext({ headers, identities });
  const result = await basicAuth.handlers.access!(ctx, compileConf(basicAuth, raw)) as PluginResponse | undefined;
  return { ctx, result };
};

test('parseBasic: username and password, case-insensitive scheme; malformed → undefined', () => {
  assert.deepEqual(parseBasic(basic('u', 'p:with:colons')), { username: 'u', password: 'p:with:colons' });
  assert.deepEqual(parseBasic(`basic ${Buffer.from('u:').toString('base64')}`), { username: 'u', password: '' });
  for (const bad of [undefined, '', 'Bearer x', 'Basic', 'Basic !!!', `Basic ${Buffer.from('nocolon').toString('base64')}`, `Basic ${Buffer.from(':p').toString('base64')}`]) assert.equal(parseBasic(bad), undefined, String(bad));
});

test('the right password: consumer set, identity headers sent, Authorization stripped (hide_credentials)', async () => {
  const dir = await directory('correct horse');
  const { ctx, result } = await run({ authorization: basic('acme-app', 'correct horse'), 'x-consumer-username': 'spoofed' }, dir);
  assert.equal(result, undefined);
  assert.equal(ctx.consumer?.username, 'acme');
  assert.equal(ctx.upstream.headers['x-consumer-username'], 'acme');
  assert.equal(ctx.upstream.headers['x-credential-identifier'], 'cred-1');
  assert.equal(ctx.upstream.headers.authorization, undefined);
  const kept = await run({ authorization: basic('acme-app', 'correct horse') }, dir, { hide_credentials: false });
  assert.equal(kept.ctx.upstream.headers.authorization, basic('acme-app', 'correct horse'));
});

test('wrong password, unknown user, expired or revoked credential, no header: the same 401', async () => {
  const answers: unknown[] = [];
  const dir = await directory('correct horse');
  const attempts: Record<string, string>[] = [{ authorization: basic('acme-app', 'wrong') }, { authorization: basic('nobody', 'correct horse') }, {}, { authorization: 'Basic ###' }];
  for (const headers of attempts) {
    const { ctx, result } = await run({ ...headers, 'x-consumer-id': 'spoofed' }, dir);
    answers.push(result);
    assert.equal(ctx.consumer, undefined);
    assert.equal(ctx.upstream.headers['x-consumer-id'], undefined, 'a spoofed identity header never reaches the upstream');
  }
  for (const over of [{ expires_at: new Date(Date.now() - 1000).toISOString() }, { revoked_at: new Date().toISOString() }]) {
    answers.push((await run({ authorization: basic('acme-app', 'correct horse') }, await directory('correct horse', over))).result);
  }
  for (const a of answers) assert.deepEqual(a, { problem: 'unauthorized', headers: { 'www-authenticate': 'Basic realm="portcullis", charset="UTF-8"' } });
});

test('anonymous: without valid credentials the request goes on as the anonymous consumer', async () => {
  const dir = await directory('pw-123456');
  const { ctx, result } = await run({}, dir, { anonymous: 'guest' });
  assert.equal(result, undefined);
  assert.equal(ctx.consumer?.username, 'guest');
  assert.equal(ctx.upstream.headers['x-anonymous-consumer'], 'true');
  assert.deepEqual((await run({}, dir, { anonymous: 'ghost' })).result, { problem: 'unauthorized', headers: { 'www-authenticate': 'Basic realm="portcullis", charset="UTF-8"' } });
});

test('a remembered successful check does not survive a password change', async () => {
  const before = await directory('old-password');
  assert.equal((await run({ authorization: basic('acme-app', 'old-password') }, before)).result, undefined);
  assert.equal((await run({ authorization: basic('acme-app', 'old-password') }, before)).result, undefined, 'remembered');
  const after = await directory('new-password');
  assert.ok((await run({ authorization: basic('acme-app', 'old-password') }, after)).result, 'the old password fails against the new hash');
  assert.equal((await run({ authorization: basic('acme-app', 'new-password') }, after)).result, undefined);
});
