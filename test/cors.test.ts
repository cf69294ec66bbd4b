// The cors plugin in a real gateway: preflights are answered at the edge, and the upstream's own
// CORS headers give way to the gateway's policy, with Vary merged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, service, type InProcessGateway } from './harness/gateway.ts';
import { startUpstream, type Upstream } from './harness/upstream.ts';

const APP = 'https://app.example.com';
let upstream: Upstream;
let gw: InProcessGateway;

before(async () => {
  // An upstream with a careless CORS setup of its own.
  upstream = await startUpstream((_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/plain',
      vary: 'Accept-Encoding',
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'x-internal',
      'x-total': '3',
    });
    res.end('ok');
  });
  gw = await startGateway({
    services: [service('api', [upstream.url])],
    routes: [{
      name: 'api',
      service: 'api',
      paths: ['/api'],
      plugins: [{ name: 'cors', config: { origins: [APP], credentials: true, headers: ['content-type'], exposed_headers: ['x-total'], max_age: 600 } }],
    }],
  });
});

after(async () => {
  await gw.close();
  await upstream.close();
});

test('a preflight is answered by the gateway and never reaches the upstream', async () => {
  const res = await fetch(`${gw.url}/api/orders`, {
    method: 'OPTIONS',
    headers: { origin: APP, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'Content-Type' },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), APP);
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  assert.equal(res.headers.get('access-control-allow-methods'), 'GET, HEAD, PUT, PATCH, POST, DELETE');
  assert.equal(res.headers.get('access-control-allow-headers'), 'content-type');
  assert.equal(res.headers.get('access-control-max-age'), '600');
  assert.equal(res.headers.get('content-length'), null, 'a 204 carries no Content-Length (RFC 9110 §8.6)');
  assert.equal(await res.text(), '');

  const refused = await fetch(`${gw.url}/api/orders`, { method: 'OPTIONS', headers: { origin: 'https://evil.io', 'access-control-request-method': 'PUT' } });
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
  assert.match(((await refused.json()) as { type: string }).type, /forbidden$/);

  assert.equal(upstream.received.length, 0);
});

test('an actual request gets the gateway\'s CORS headers, Vary merged, the upstream\'s "*" replaced', async () => {
  const res = await fetch(`${gw.url}/api/orders`, { headers: { origin: APP } });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'ok');
  assert.equal(res.headers.get('access-control-allow-origin'), APP);
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  assert.equal(res.headers.get('access-control-expose-headers'), 'x-total');
  assert.equal(res.headers.get('vary'), 'Accept-Encoding, Origin');

  const other = await fetch(`${gw.url}/api/orders`, { headers: { origin: 'https://evil.io' } });
  assert.equal(other.status, 200, 'the request goes through; the browser hides the answer');
  await other.text();
  assert.equal(other.headers.get('access-control-allow-origin'), null, 'the upstream\'s "*" must not leak');
  assert.equal(other.headers.get('access-control-expose-headers'), null);
  assert.equal(other.headers.get('vary'), 'Accept-Encoding, Origin');
});
