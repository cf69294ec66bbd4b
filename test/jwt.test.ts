// The jwt plugin in a real in-process gateway, with keys from a JWKS server: a valid token
// reaches the upstream as its consumer and without the token; anything else is a 401 problem
// that never reaches the upstream.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, service, type InProcessGateway } from './harness/gateway.ts';
import { startUpstream, type Upstream } from './harness/upstream.ts';
import { keyPair, sign, startJwksServer, ISS, AUD, type JwksServer } from '../src/plugins/jwt/test-helpers.ts';

const key = await keyPair('ES256', 'gw-1');
const stranger = await keyPair('ES256', 'gw-1');
let upstream: Upstream;
let jwks: JwksServer;
let gw: InProcessGateway;

before(async () => {
  upstream = await startUpstream();
  jwks = await startJwksServer({ keys: [key.jwk] });
  gw = await startGateway({
    services: [service('orders', [upstream.url])],
    consumers: [{ name: 'acme', custom_id: 'crm-42', groups: ['partners'] }],
    routes: [{
      name: 'orders',
      service: 'orders',
      paths: ['/orders'],
      plugins: [{ name: 'jwt', config: { issuers: [{ issuer: ISS, audiences: [AUD], algorithms: ['ES256'], jwks_uri: jwks.url }], scopes: ['orders:read'] } }],
    }],
  });
});

after(async () => {
  await gw.close();
  await jwks.close();
  await upstream.close();
});

test('a valid token reaches the upstream as its consumer, without the token', async () => {
  const token = await sign(key.privateKey, 'ES256', { scope: 'orders:read' }, { kid: 'gw-1' });
  const res = await fetch(`${gw.url}/orders/42`, { headers: { authorization: `Bearer ${token}`, 'x-consumer-username': 'admin' } });
  assert.equal(res.status, 200);
  const seen = (await res.json()) as { headers: Record<string, string | undefined> };
  assert.equal(seen.headers['x-consumer-username'], 'acme');
  assert.equal(seen.headers['x-consumer-custom-id'], 'crm-42');
  assert.equal(seen.headers['x-credential-identifier'], `jwt:${ISS}`);
  assert.equal(seen.headers.authorization, undefined);
  assert.ok(!JSON.stringify(seen).includes(token));
  assert.equal(jwks.fetches, 1);
});

test('an invalid token gets a 401 problem and never reaches the upstream', async () => {
  const reachedBefore = upstream.received.length;
  const forged = await sign(stranger.privateKey, 'ES256', { scope: 'orders:read' }, { kid: 'gw-1' });
  for (const authorization of [`Bearer ${forged}`, 'Bearer not-a-jwt', undefined]) {
    const res = await fetch(`${gw.url}/orders/42`, { headers: authorization ? { authorization } : {} });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="portcullis"');
    const body = await res.text();
    assert.match(body, /unauthorized/);
    assert.ok(!body.includes(forged));
  }
  // Valid, but without the route's scope: 403.
  const unscoped = await fetch(`${gw.url}/orders/42`, { headers: { authorization: `Bearer ${await sign(key.privateKey, 'ES256', {}, { kid: 'gw-1' })}` } });
  assert.equal(unscoped.status, 403);
  assert.match(((await unscoped.json()) as { type: string }).type, /forbidden$/);
  assert.equal(upstream.received.length, reachedBefore);
});
