// The password in gateway.redis.url over the admin API: sealed in the stored settings (the rest of
// the URL readable), shown as "(sealed)" in export (JSON and YAML), diff and the audit log, in
// read-write and read-only (DB-less) mode; the marker sent back keeps the stored password, also
// when the host changes; a marker with no password stored is refused. A real node with a Redis
// that requires the password is test/redis-password.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { assertOk, createHarness, serviceBody, routeBody, type Harness } from './helpers.ts';

const MARKER = '(sealed)';

const document = (url: string) => ({
  gateway: { redis: { url, key_prefix: 'pt:' } },
  services: [serviceBody('orders')],
  routes: [{ ...routeBody('orders', 'orders'), plugins: [{ name: 'rate-limiting', config: { limits: [{ window: 'minute', limit: 10 }], backend: 'redis' } }] }],
});

type Exported = { gateway: { redis: { url: string } } };

const openedUrl = async (h: Harness) => (await h.service.load()).config.gateway.redis?.url;

test('read-write: sealed at rest, redacted in export, diff and audit; the marker keeps the password', async () => {
  const h = await createHarness();
  try {
    const password = `pw-${randomBytes(16).toString('hex')}`;
    const next = `pw-${randomBytes(16).toString('hex')}`;
    h.secret(password);
    h.secret(next);
    const url = `redis://app:${password}@redis-1.internal:6379/0`;
    assertOk(await h.call('POST', '/admin/config/apply', { body: document(url) }));

    // At rest: only the password is sealed, the URL still parses.
    const stored = await h.store.read().getSettings('gateway') as Exported['gateway'];
    assert.match(stored.redis.url, /^redis:\/\/app:sealed:[0-9a-f]+:v1\.[\w-]+@redis-1\.internal:6379\/0$/);
    assert.ok(!JSON.stringify(stored).includes(password));
    assert.equal(await openedUrl(h), url, 'the gateway gets the password');

    const exported = assertOk(await h.call('GET', '/admin/config', { as: 'viewer' })) as unknown as Exported;
    assert.equal(exported.gateway.redis.url, `redis://app:${MARKER}@redis-1.internal:6379/0`);
    const yaml = await h.call('GET', '/admin/config?format=yaml', { as: 'viewer' });
    assert.match(yaml.text, /url: redis:\/\/app:\(sealed\)@redis-1\.internal:6379\/0/);
    assert.deepEqual(assertOk(await h.call('POST', '/admin/config/diff', { as: 'viewer', body: exported })).changes, [], 'the export applies back unchanged');
    const inClear = structuredClone(exported);
    inClear.gateway.redis.url = url;
    assert.deepEqual(assertOk(await h.call('POST', '/admin/config/diff', { body: inClear })).changes, [], 'the same password in clear is no change');

    // Another host, the marker for the password: the change shows the hosts, the password stays.
    const moved = structuredClone(exported);
    moved.gateway.redis.url = `redis://app:${MARKER}@redis-2.internal:6379/0`;
    const plan = assertOk(await h.call('POST', '/admin/config/apply', { body: moved }));
    assert.deepEqual(plan.changes, [{ action: 'update', kind: 'settings', key: 'gateway', fields: [{ path: 'redis.url', before: `redis://app:${MARKER}@redis-1.internal:6379/0`, after: `redis://app:${MARKER}@redis-2.internal:6379/0` }] }]);
    assert.equal(await openedUrl(h), `redis://app:${password}@redis-2.internal:6379/0`);

    // A new password: a change, the marker on both sides.
    const rotated = structuredClone(exported);
    rotated.gateway.redis.url = `redis://app:${next}@redis-2.internal:6379/0`;
    const rotation = assertOk(await h.call('POST', '/admin/config/apply', { body: rotated }));
    assert.deepEqual((rotation.changes as { fields: unknown }[])[0]!.fields, [{ path: 'redis.url', before: `redis://app:${MARKER}@redis-2.internal:6379/0`, after: `redis://app:${MARKER}@redis-2.internal:6379/0` }]);
    assert.equal(await openedUrl(h), `redis://app:${next}@redis-2.internal:6379/0`);

    // A marker where no password is stored (here: in the query) is refused, naming the field.
    const dangling = structuredClone(exported);
    dangling.gateway.redis.url = `redis://app:${MARKER}@redis-2.internal:6379/0?password=${MARKER}`;
    const refused = await h.call('POST', '/admin/config/apply', { body: dangling });
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.text, /gateway\.redis\.url/);

    const audit = assertOk(await h.call('GET', '/admin/audit?entity=settings&limit=100'));
    assert.equal((audit.data as unknown[]).length, 3);
    assert.match(JSON.stringify(audit), /redis:\/\/app:\(sealed\)@redis-2\.internal/);
    h.assertNoLeaks();
  } finally {
    await h.close();
  }
});

test('read-only (DB-less mirror): the file\'s Redis password is shown as the marker too', async () => {
  const h = await createHarness({ readOnly: true });
  try {
    const password = `pw-${randomBytes(16).toString('hex')}`;
    h.secret(password);
    // What platform.ts does with the file in DB-less mode.
    await h.service.apply(document(`rediss://:${password}@redis.internal:6380`), { dryRun: false, actor: { name: 'config-file' } });
    const exported = assertOk(await h.call('GET', '/admin/config', { as: 'viewer' })) as unknown as Exported;
    assert.equal(exported.gateway.redis.url, `rediss://:${MARKER}@redis.internal:6380`);
    assert.match((await h.call('GET', '/admin/config?format=yaml', { as: 'viewer' })).text, /url: rediss:\/\/:\(sealed\)@redis\.internal:6380/);
    h.assertNoLeaks();
  } finally {
    await h.close();
  }
});
