import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { STRICT_SSRF_POLICY, compileSsrfPolicy, type ResolveAll } from './ssrf.ts';
import { WebhookSender, parseRetryAfter, type WebhookRequest } from './sender.ts';

// Real receivers on 127.0.0.1, OS-chosen ports. The development policy lets loopback through, as
// an operator's allow-list would for a receiver on the same host.
const LOOPBACK_ALLOWED = compileSsrfPolicy({ allow: ['127.0.0.0/8'] });

interface Seen { method: string; url: string; headers: IncomingMessage['headers']; body: string }

interface Receiver {
  readonly server: Server;
  port: number;
  url: string;
  readonly seen: Seen[];
  connections: number;
}

const servers: Server[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

async function receiver(handle: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void, server: Server = createServer()): Promise<Receiver> {
  const r: Receiver = { server, port: 0, url: '', seen: [], connections: 0 };
  server.on('connection', () => r.connections++);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      r.seen.push(seen);
      handle(req, res, seen);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  r.port = (server.address() as AddressInfo).port;
  r.url = `http://127.0.0.1:${r.port}`;
  return r;
}

function request(url: string, extra: Partial<WebhookRequest> = {}): WebhookRequest {
  return { url, headers: { 'webhook-id': 'msg_1' }, body: '{"type":"ping"}', timeoutMs: 5000, allowHttp: true, ...extra };
}

const fakeDns = (table: Record<string, string[]>): ResolveAll => (hostname) => {
  const answers = table[hostname];
  if (!answers) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
  return Promise.resolve(answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
};

test('2xx: ok, status, excerpt; POST with the body, the caller\'s headers and our defaults', async (t) => {
  const r = await receiver((_req, res) => res.writeHead(202, { 'content-type': 'text/plain' }).end('accepted ✓'));
  const sender = new WebhookSender({ policy: LOOPBACK_ALLOWED });
  t.after(() => sender.close());
  const out = await sender.send(request(`${r.url}/hooks/in?tenant=7`, { headers: { 'webhook-id': 'msg_1', 'webhook-signature': 'v1,abc' } }));
  assert.equal(out.ok, true);
  assert.equal(out.status, 202);
  assert.equal(out.excerpt, 'accepted ✓');
  assert.equal(out.error, undefined);
  assert.equal(out.retryAfterMs, undefined);
  assert.ok(out.latencyMs > 0 && out.latencyMs < 5000);
  const [seen] = r.seen;
  assert.equal(seen?.method, 'POST');
  assert.equal(seen?.url, '/hooks/in?tenant=7');
  assert.equal(seen?.body, '{"type":"ping"}');
  assert.equal(seen?.headers['content-type'], 'application/json');
  assert.equal(seen?.headers['user-agent'], 'Portcullis-Webhooks/1');
  assert.equal(seen?.headers['webhook-signature'], 'v1,abc');
  assert.equal(seen?.headers['content-length'], '15');

  await sender.send(request(r.url, { headers: { 'Content-Type': 'application/cloudevents+json', 'User-Agent': 'custom/2' } }));
  assert.equal(r.seen[1]?.headers['content-type'], 'application/cloudevents+json');
  assert.equal(r.seen[1]?.headers['user-agent'], 'custom/2');
});

test('non-2xx is not ok, with its status and excerpt', async (t) => {
  const r = await receiver((_req, res) => res.writeHead(500).end('boom'));
  const sender = new WebhookSender({ policy: LOOPBACK_ALLOWED });
  t.after(() => sender.close());
  const out = await sender.send(request(r.url));
  assert.deepEqual({ ok: out.ok, status: out.status, excerpt: out.excerpt, error: out.error }, { ok: false, status: 500, excerpt: 'boom', error: undefined });
});

test('a redirect, even to an address the policy allows, is not followed: the target sees nothing', async (t) => {
  const target = await receiver((_req, res) => res.end('followed'));
  const redirecting = await receiver((_req, res) => res.writeHead(302, { location: `${target.url}/internal` }).end());
  const permanent = await receiver((_req, res) => res.writeHead(308, { location: `${target.url}/internal` }).end());
  const sender = new WebhookSender({ policy: LOOPBACK_ALLOWED });
  t.after(() => sender.close());
  const out = await sender.send(request(redirecting.url));
  assert.equal(out.ok, false);
  assert.equal(out.status, 302);
  const out308 = await sender.send(request(permanent.url));
  assert.equal(out308.status, 308);
  // Prove the target is reachable, so its silence above means "not followed", not "unreachable".
  assert.equal((await sender.send(request(target.url))).status, 200);
  assert.deepEqual(target.seen.map((s) => s.url), ['/']);
  assert.equal(redirecting.seen.length, 1);
});

test('a redirect to a blocked private address is not followed', async (t) => {
  // The receiver is allowed (127.0.0.1 only); the redirect target, another loopback address the
  // policy blocks, runs a real server that must see no request.
  const privateServer = createServer((_req, res) => res.end('secret'));
  let hits = 0;
  privateServer.on('request', () => hits++);
  privateServer.listen(0, '127.0.0.2');
  await once(privateServer, 'listening');
  servers.push(privateServer);
  const privatePort = (privateServer.address() as AddressInfo).port;
  const r = await receiver((_req, res) => res.writeHead(302, { location: `http://127.0.0.2:${privatePort}/admin` }).end());
  const sender = new WebhookSender({ policy: compileSsrfPolicy({ allow: ['127.0.0.1/32'] }) });
  t.after(() => sender.close());
  const out = await sender.send(request(r.url));
  assert.equal(out.status, 302);
  assert.equal(out.ok, false);
  assert.equal(hits, 0);
  const direct = await sender.send(request(`http://127.0.0.2:${privatePort}/admin`));
  assert.equal(direct.error?.code, 'ssrf-blocked');
  assert.equal(hits, 0);
});

test('Retry-After in both forms, on any status', async (t) => {
  const inAnHour = new Date(Date.now() + 3600_000).toUTCString();
  const r = await receiver((req, res) => {
    if (req.url === '/seconds') res.writeHead(503, { 'retry-after': '120' }).end();
    else if (req.url === '/date') res.writeHead(429, { 'retry-after': inAnHour }).end();
    else res.writeHead(200, { 'retry-after': 'soon' }).end();
  });
  const sender = new WebhookSender({ policy: LOOPBACK_ALLOWED });
  t.after(() => sender.close());
  const seconds = await sender.send(request(`${r.url}/seconds`));
  assert.equal(seconds.status, 503);
  assert.equal(seconds.retryAfterMs, 120_000);
  const date = await sender.send(request(`${r.url}/date`));
  assert.equal(date.status, 429);
  assert.ok(date.retryAfterMs !== undefined && date.retryAfterMs > 3500_000 && date.retryAfterMs <= 3600_000, String(date.retryAfterMs));
  const garbage = await sender.send(request(`${r.url}/garbage`));
  assert.equal(garbage.retryAfterMs, undefined);
});

test('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('0', now), 0);
  assert.equal(parseRetryAfter(' 30 ', now), 30_000);
  assert.equal(parseRetryAfter(['5', '9'], now), 5000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now), 60_000);
  assert.equal(parseRetryAfter('Thursday, 01-Jan-26 00:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Thu Jan  1 00:00:10 2026', now) !== undefined, true); // asctime (local time zone)
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
  for (const bad of [undefined, '', '-5', '1.5', '2026-01-01', 'soon', '99999999999999999999']) assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
});

test('a receiver that never answers: timeout, no status', async (t) => {
  const r = await receiver(() => { /* never answers */ });
  const sender = new WebhookSender({ policy: LOOPBACK_ALLOWED });
  t.after(() => sender.close());
  const out = await sender.send(request(r.url, { timeoutMs: 200 }));
  assert.equal(out.ok, false);
  assert.equal(out.status, undefined);
  assert.equal(out.error?.code, 'timeout');
  assert.ok(out.latencyMs >= 190 && out.latencyMs < 10_000, String(out.latencyMs));
});

test('a body that stalls after a 2xx status: the status stands, the excerpt so far is kept, error says timeout', async (t) => {
  const r = await receiver((_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('partial');
  });
  const sender = new WebhookSender({ policy: LOOPBACK_ALLOWED });
  t.after(() => sender.close());
  const out = await sender.send(request(r.url, { timeoutMs: 300 }));
  assert.equal(out.status, 200);
  assert.equal(out.ok, true);
  assert.equal(out.excerpt, 'partial');
  assert.equal(out.error?.code, 'timeout');
});

test('a response larger than the cap: excerpt capped, status kept, connection dropped rather than drained', async (t) => {
  const big = 'x'.repeat(50_000);
  const r = await receiver((req, res) => {
    const status = req.url === '/error' ? 500 : 200;
    if (req.url === '/chunked') {
      res.writeHead(status);
      for (let i = 0; i < 50; i++) res.write(big);
      res.end();
    } else res.writeHead(status, { 'content-length': String(big.length) }).end(big);
  });
  const sender = new WebhookSender({ policy: LOOPBACK_ALLOWED, maxResponseBytes: 10_000, excerptBytes: 100 });
  t.after(() => sender.close());
  for (const path of ['/declared', '/chunked', '/error']) {
    const out = await sender.send(request(`${r.url}${path}`));
    assert.equal(out.status, path === '/error' ? 500 : 200, path);
    assert.equal(out.ok, path !== '/error', path);
    assert.equal(out.excerpt, 'x'.repeat(100), path);
    assert.equal(out.error?.code, 'response-too-large', path);
  }
  // Under the cap everything is read and the connection is reused.
  const small = await receiver((_req, res) => res.end('y'.repeat(5000)));
  for (let i = 0; i < 20; i++) {
    const out = await sender.send(request(small.url));
    assert.equal(out.excerpt.length, 100);
    assert.equal(out.error, undefined);
  }
  assert.ok(small.connections <= 2, String(small.connections)); // see the connection reuse test
});

test('http: is refused before any network unless the endpoint allows it', async (t) => {
  const r = await receiver((_req, res) => res.end('ok'));
  const sender = new WebhookSender({ policy: LOOPBACK_ALLOWED });
  t.after(() => sender.close());
  const out = await sender.send(request(r.url, { allowHttp: false }));
  assert.equal(out.ok, false);
  assert.equal(out.status, undefined);
  assert.equal(out.error?.code, 'insecure-url');
  assert.equal(r.connections, 0);
  assert.equal((await sender.send(request(r.url, { allowHttp: true }))).ok, true);
});

test('invalid URLs are refused', async (t) => {
  const sender = new WebhookSender({ policy: STRICT_SSRF_POLICY });
  t.after(() => sender.close());
  for (const url of ['not a url', 'ftp://example.com/', 'https://user:pw@example.com/', 'https://example.com/#x']) {
    const out = await sender.send(request(url));
    assert.equal(out.error?.code, 'invalid-url', url);
    assert.equal(out.ok, false);
  }
});

test('a loopback receiver is refused unless the policy allows 127.0.0.0/8, by address or by name', async (t) => {
  const r = await receiver((_req, res) => res.end('ok'));
  const names = fakeDns({ 'evil.example': ['127.0.0.1'], 'mixed.example': ['93.184.215.14', '10.0.0.1'], 'receiver.test': ['127.0.0.1'] });
  const strict = new WebhookSender({ policy: STRICT_SSRF_POLICY, resolve: names });
  const strictSystemDns = new WebhookSender({ policy: STRICT_SSRF_POLICY });
  const dev = new WebhookSender({ policy: LOOPBACK_ALLOWED, resolve: names });
  t.after(() => Promise.all([strict.close(), strictSystemDns.close(), dev.close()]));

  for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '2130706433', '0x7f.1', '0177.0.0.1', 'evil.example']) {
    for (const scheme of ['http', 'https']) {
      const out = await strict.send(request(`${scheme}://${host}:${r.port}/`));
      assert.equal(out.error?.code, 'ssrf-blocked', `${scheme} ${host}`);
      assert.match(out.error.message, /loopback/, host);
      assert.equal(out.status, undefined);
    }
  }
  const mixed = await strict.send(request(`http://mixed.example:${r.port}/`));
  assert.equal(mixed.error?.code, 'ssrf-blocked');
  assert.match(mixed.error.message, /mixed\.example.*10\.0\.0\.1.*private/);
  const localhost = await strictSystemDns.send(request(`http://localhost:${r.port}/`));
  assert.equal(localhost.error?.code, 'ssrf-blocked');
  assert.match(localhost.error.message, /localhost/);
  assert.equal(r.connections, 0, 'no refused send reached the receiver');

  assert.equal((await dev.send(request(`http://127.0.0.1:${r.port}/`))).ok, true);
  assert.equal((await dev.send(request(`http://0x7f.1:${r.port}/`))).ok, true);
  const byName = await dev.send(request(`http://receiver.test:${r.port}/by-name`));
  assert.equal(byName.ok, true);
  assert.equal(r.seen.at(-1)?.headers.host, `receiver.test:${r.port}`);
});

test('connection reuse: many sequential sends over one connection, the name resolved once', async (t) => {
  const r = await receiver((_req, res) => res.end('ok'));
  let resolutions = 0;
  const names = fakeDns({ 'receiver.test': ['127.0.0.1'] });
  const sender = new WebhookSender({
    policy: LOOPBACK_ALLOWED,
    resolve: (h, o) => {
      resolutions++;
      return names(h, o);
    },
  });
  t.after(() => sender.close());
  for (let i = 0; i < 200; i++) {
    const out = await sender.send(request(`http://receiver.test:${r.port}/${i}`));
    assert.equal(out.ok, true, String(i));
  }
  assert.equal(r.seen.length, 200);
  // undici frees a connection a moment after the response ends, so the second send finds the first
  // connection still busy and opens another; from then on the two are reused.
  assert.ok(r.connections <= 2, String(r.connections));
  assert.equal(resolutions, r.connections, 'one resolution per connection, none per request');
});

test('concurrent sends stay within connectionsPerOrigin', async (t) => {
  const r = await receiver((_req, res) => setTimeout(() => res.end('ok'), 5));
  const sender = new WebhookSender({ policy: LOOPBACK_ALLOWED, connectionsPerOrigin: 4 });
  t.after(() => sender.close());
  const outs = await Promise.all(Array.from({ length: 100 }, (_, i) => sender.send(request(`${r.url}/${i}`))));
  assert.ok(outs.every((o) => o.ok));
  assert.ok(r.connections <= 4 && r.connections >= 1, String(r.connections));
});

test('transport failures map to codes: connect, dns, tls', async (t) => {
  const closed = await receiver(() => {});
  const closedPort = closed.port;
  closed.server.close();
  await once(closed.server, 'close');
  const plain = await receiver((_req, res) => res.end('plain'));
  const selfSigned = await receiver((_req, res) => res.end('tls'), createTlsServer({ key: TEST_KEY, cert: TEST_CERT }));
  const sender = new WebhookSender({ policy: LOOPBACK_ALLOWED, resolve: fakeDns({}) });
  t.after(() => sender.close());

  const refused = await sender.send(request(`http://127.0.0.1:${closedPort}/`));
  assert.equal(refused.error?.code, 'connect');
  assert.equal(refused.status, undefined);
  const dns = await sender.send(request('https://nowhere.test/'));
  assert.equal(dns.error?.code, 'dns');
  assert.match(dns.error.message, /nowhere\.test/);
  const notTls = await sender.send(request(`https://127.0.0.1:${plain.port}/`));
  assert.equal(notTls.error?.code, 'tls', JSON.stringify(notTls.error));
  const untrusted = await sender.send(request(`https://127.0.0.1:${selfSigned.port}/`));
  assert.equal(untrusted.error?.code, 'tls', JSON.stringify(untrusted.error));
  assert.equal(selfSigned.seen.length, 0);
});

test('no outcome echoes request headers or the URL path and query', async (t) => {
  const canary = 'CANARY5f1e2d';
  const hang = await receiver(() => {});
  const closed = await receiver(() => {});
  const closedPort = closed.port;
  closed.server.close();
  await once(closed.server, 'close');
  const plain = await receiver((_req, res) => res.end('plain'));
  const sender = new WebhookSender({ policy: LOOPBACK_ALLOWED, resolve: fakeDns({ 'evil.example': ['10.0.0.1'] }) });
  t.after(() => sender.close());
  const headers = { 'webhook-signature': `v1,${canary}`, authorization: `Bearer ${canary}` };
  const outcomes = await Promise.all([
    sender.send(request(`http://127.0.0.1:${hang.port}/${canary}?t=${canary}`, { headers, timeoutMs: 150 })),
    sender.send(request(`http://127.0.0.1:${closedPort}/${canary}?t=${canary}`, { headers })),
    sender.send(request(`https://127.0.0.1:${plain.port}/${canary}?t=${canary}`, { headers })),
    sender.send(request(`http://evil.example/${canary}?t=${canary}`, { headers })),
    sender.send(request(`http://127.0.0.1:${plain.port}/x`, { headers: { 'x-bad': `${canary}\r\nx-injected: 1` } })),
    sender.send(request(`http://127.0.0.1:${plain.port}/x`, { headers: { [`bad name ${canary}`]: canary } })),
  ]);
  for (const out of outcomes) {
    assert.ok(out.error, JSON.stringify(out));
    assert.ok(!JSON.stringify(out).includes(canary), JSON.stringify(out));
  }
  assert.deepEqual(outcomes.map((o) => o.error?.code), ['timeout', 'connect', 'tls', 'ssrf-blocked', 'network', 'network']);
  assert.equal(plain.seen.length, 0, 'a header with CR/LF is never sent');
});

test('after close(), send still resolves with an outcome', async () => {
  const sender = new WebhookSender({ policy: LOOPBACK_ALLOWED });
  await sender.close();
  const out = await sender.send(request('http://127.0.0.1:9/'));
  assert.equal(out.ok, false);
  assert.equal(out.error?.code, 'network');
});

test('bad options are refused when the sender is built', () => {
  assert.throws(() => new WebhookSender({ policy: STRICT_SSRF_POLICY, maxResponseBytes: 0 }), /maxResponseBytes/);
  assert.throws(() => new WebhookSender({ policy: STRICT_SSRF_POLICY, connectionsPerOrigin: 1.5 }), /connectionsPerOrigin/);
});

// A self-signed certificate for localhost/127.0.0.1 (P-256, valid until 2126), used only to prove
// that an untrusted certificate fails as `tls`. Not a secret.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgwevG0I6Mw0OX/oCy
rmDS1VuKoW/5OXQn+EJsJJHDDaGhRANCAASAsFw1GIbBFWsV68pV7F9a8kcUNL/t
W9DIuC0J1Mdh7VE2gH8DnmQb6qfFHwI1Qr80KemceCPbdRPNbZatnCbB
-----END PRIVATE KEY-----
`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBnDCCAUGgAwIBAgIUPbjrdz+wDZIZM3fhGTINOvNh59MwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNDAzMzc1MloYDzIxMjYxMDMx
MDMzNzUyWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASAsFw1GIbBFWsV68pV7F9a8kcUNL/tW9DIuC0J1Mdh7VE2gH8DnmQb
6qfFHwI1Qr80KemceCPbdRPNbZatnCbBo28wbTAdBgNVHQ4EFgQUjLxAvRoYv6CA
NFIdHt+dMOCj9vgwHwYDVR0jBBgwFoAUjLxAvRoYv6CANFIdHt+dMOCj9vgwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSQAwRgIhALiF2F1C05RSKE3BztH0Aiv768MRSpQDWi5MTglNUfWTAiEA
smmL1xaIaGOlQgaclVi0fL2R9JFehP1/pEc/qzoS3Z8=
-----END CERTIFICATE-----
`;
