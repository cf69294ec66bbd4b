// Plugin secrets over the admin API: every read (entity list and get, export in JSON and YAML,
// diff, audit log) shows "(sealed)", in read-write and in read-only (DB-less) mode, and the marker
// sent back keeps what is stored. The store-mode path with a real node is test/plugin-secrets.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { assertOk, createHarness, serviceBody, routeBody, type Harness } from './helpers.ts';

const MARKER = '(sealed)';

function document(secret: string, clientSecret: string, password: string): Record<string, unknown> {
  return {
    services: [{ ...serviceBody('hooks'), plugins: [{ name: 'oauth2-introspection', config: { introspection_url: 'https://idp.example/introspect', client_id: 'gateway', client_secret: clientSecret } }] }],
    routes: [{ ...routeBody('hooks', 'hooks'), plugins: [{ name: 'webhook-verify', config: { secrets: [secret] } }] }],
    plugins: [{ name: 'jwt', config: { issuers: [{ issuer: 'https://issuer.example', algorithms: ['HS256'], keys: [password] }] } }],
  };
}

async function readsAreRedacted(h: Harness, secrets: readonly string[]): Promise<void> {
  for (const s of secrets) h.secret(s);
  const list = assertOk(await h.call('GET', '/admin/plugins?limit=100', { as: 'viewer' }));
  assert.match(JSON.stringify(list), /\(sealed\)/);
  assert.doesNotMatch(JSON.stringify(list), /sealed:/, 'never the ciphertext either');
  for (const p of list.data as { id: string }[]) assertOk(await h.call('GET', `/admin/plugins/${p.id}`, { as: 'viewer' }));
  const yaml = await h.call('GET', '/admin/config?format=yaml', { as: 'viewer' });
  assert.equal(yaml.status, 200);
  assert.match(yaml.text, /\(sealed\)/);
  const exported = assertOk(await h.call('GET', '/admin/config', { as: 'viewer' }));
  assert.doesNotMatch(JSON.stringify(exported), /sealed:/);
  const diff = assertOk(await h.call('POST', '/admin/config/diff', { as: 'viewer', body: exported }));
  assert.deepEqual(diff.changes, [], 'the redacted export is no change');
  h.assertNoLeaks();
}

test('read-write: entity reads, export, diff and audit log show only the marker', async () => {
  const h = await createHarness();
  try {
    const secrets = [`whsec_${randomBytes(32).toString('base64')}`, `client-${randomBytes(12).toString('hex')}`, `hs-${randomBytes(24).toString('hex')}`];
    assertOk(await h.call('POST', '/admin/config/apply', { body: document(secrets[0]!, secrets[1]!, secrets[2]!) }));
    await readsAreRedacted(h, secrets);
    const audit = assertOk(await h.call('GET', '/admin/audit?limit=100'));
    assert.match(JSON.stringify(audit), /\(sealed\)/);
    // Changing a secret through the document: the diff says which field, never the values.
    const changed = structuredClone(document(secrets[0]!, secrets[1]!, secrets[2]!)) as { plugins: { config: { issuers: { keys: string[] }[] } }[] };
    const next = `hs-${randomBytes(24).toString('hex')}`;
    h.secret(next);
    changed.plugins[0]!.config.issuers[0]!.keys = [next];
    const plan = assertOk(await h.call('POST', '/admin/config/diff', { body: changed }));
    assert.deepEqual((plan.changes as { fields: unknown }[])[0]!.fields, [{ path: 'config.issuers', before: [{ issuer: 'https://issuer.example', algorithms: ['HS256'], keys: [MARKER] }], after: [{ issuer: 'https://issuer.example', algorithms: ['HS256'], keys: [MARKER] }] }]);
    // The marker on a create has nothing to keep.
    const refused = await h.call('POST', '/admin/plugins', { body: { name: 'webhook-verify', route: 'hooks', config: { secrets: [MARKER] } } });
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.text, /\/config\/secrets\/0/);
    h.assertNoLeaks();
  } finally {
    await h.close();
  }
});

test('read-only (DB-less mirror): the file\'s secrets are shown as the marker too', async () => {
  const h = await createHarness({ readOnly: true });
  try {
    const secrets = [`whsec_${randomBytes(32).toString('base64')}`, `client-${randomBytes(12).toString('hex')}`, `hs-${randomBytes(24).toString('hex')}`];
    // What platform.ts does with the file in DB-less mode.
    await h.service.apply(document(secrets[0]!, secrets[1]!, secrets[2]!), { dryRun: false, actor: { name: 'config-file' } });
    await readsAreRedacted(h, secrets);
  } finally {
    await h.close();
  }
});
