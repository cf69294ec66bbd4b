// Load balancing through the real gateway (in process) to real upstreams.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { ServerResponse } from 'node:http';
import { startUpstream, type Upstream } from './harness/upstream.ts';
import { startGateway, waitFor, type InProcessGateway, type RawConfig } from './harness/gateway.ts';

/** Upstreams that answer with their own name, so the client can see who served it. */
async function named(t: TestContext, names: string[]): Promise<Map<string, Upstream>> {
  const ups = new Map<string, Upstream>();
  for (const name of names) {
    const up = await startUpstream((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(name); });
    t.after(() => up.close());
    ups.set(name, up);
  }
  return ups;
}

function config(targets: { url: string; weight?: number }[], lb: RawConfig = {}, extra: RawConfig = {}): RawConfig {
  return {
    services: [{ name: 's', targets, load_balancing: lb, ...extra }],
    routes: [{ name: 'r', service: 's', paths: ['/'] }],
  };
}

async function gateway(t: TestContext, cfg: RawConfig): Promise<InProcessGateway> {
  const gw = await startGateway(cfg);
  t.after(() => gw.close());
  return gw;
}

/** GET via node:http (optionally from a chosen loopback source address); resolves status and body. */
function get(url: string, headers: IncomingHttpHeaders = {}, localAddress?: string, timeoutMs = 0): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: headers as Record<string, string>, localAddress, agent: false, signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The name of the upstream that served a GET (which must answer within 10 s). */
async function served(url: string, headers: IncomingHttpHeaders = {}, localAddress?: string): Promise<string> {
  const r = await get(url, headers, localAddress, 10_000);
  assert.equal(r.status, 200, r.body);
  return r.body;
}

test('weighted round robin 1:2:3 over 600 requests gives exactly 100/200/300', async (t) => {
  const ups = await named(t, ['a', 'b', 'c']);
  const gw = await gateway(t, config([
    { url: ups.get('a')!.url, weight: 1 },
    { url: ups.get('b')!.url, weight: 2 },
    { url: ups.get('c')!.url, weight: 3 },
  ]));
  const seen = new Map<string, number>();
  for (let i = 0; i < 600; i++) {
    const res = await fetch(`${gw.url}/item/${i}`);
    assert.equal(res.status, 200);
    const who = await res.text();
    seen.set(who, (seen.get(who) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries(seen), { a: 100, b: 200, c: 300 });
  assert.deepEqual([...ups.values()].map((u) => u.received.length), [100, 200, 300]);
});

test('a target with weight 0 is never chosen', async (t) => {
  const ups = await named(t, ['zero', 'one', 'two']);
  const gw = await gateway(t, config([
    { url: ups.get('zero')!.url, weight: 0 },
    { url: ups.get('one')!.url, weight: 1 },
    { url: ups.get('two')!.url, weight: 1 },
  ]));
  const seen = new Set<string>();
  for (let i = 0; i < 60; i++) seen.add(await served(`${gw.url}/x`));
  assert.deepEqual([...seen].sort(), ['one', 'two']);
  assert.equal(ups.get('zero')!.received.length, 0);
});

test('least-connections sends new requests to the idle target while the other holds slow requests', async (t) => {
  const held: ServerResponse[] = [];
  const slow = await startUpstream((_req, res) => { held.push(res); });
  t.after(() => slow.close());
  const fast = await startUpstream((_req, res) => { res.end('fast'); });
  t.after(() => fast.close());
  const gw = await gateway(t, config([{ url: slow.url }, { url: fast.url }], { algorithm: 'least-connections' }));

  // Send requests one at a time until the slow target holds one of them.
  const pending: Promise<{ status: number; body: string }>[] = [];
  for (let i = 0; i < 20 && held.length < 1; i++) {
    const before = fast.received.length + slow.received.length;
    const p = get(`${gw.url}/warm/${i}`);
    pending.push(p);
    await waitFor(() => fast.received.length + slow.received.length > before, 5000, 'request to reach an upstream');
  }
  assert.equal(held.length, 1, 'idle targets take turns, so the slow one should have been picked while warming up');
  const fastBefore = fast.received.length;
  // Sequential requests: each sees the slow target busy and the fast one idle.
  for (let i = 0; i < 20; i++) assert.equal(await served(`${gw.url}/new/${i}`), 'fast');
  assert.equal(slow.received.length, 1, 'no new request went to the busy target');
  assert.equal(fast.received.length, fastBefore + 20);
  for (const res of held) res.end('slow');
  for (const r of await Promise.all(pending)) assert.equal(r.status, 200);
});

test('consistent-hash on a header: stable per value, spread over targets, removing a target only moves its keys', async (t) => {
  const ups = await named(t, ['a', 'b', 'c']);
  const targets = [...ups.values()].map((u) => ({ url: u.url }));
  const lb = { algorithm: 'consistent-hash', hash_on: 'header', hash_header: 'X-User' };
  const gw = await gateway(t, config(targets, lb));
  const users = Array.from({ length: 60 }, (_, i) => `user-${i}`);
  const owner = new Map<string, string>();
  for (const u of users) owner.set(u, await served(`${gw.url}/p`, { 'x-user': u }));
  for (let round = 0; round < 3; round++) {
    for (const u of users) assert.equal(await served(`${gw.url}/p/${round}`, { 'x-user': u }), owner.get(u), `${u} moved`);
  }
  const used = new Set(owner.values());
  assert.deepEqual([...used].sort(), ['a', 'b', 'c'], 'keys should spread over all three targets');

  gw.apply(config(targets.slice(0, 2), lb));
  for (const u of users) {
    const now = await served(`${gw.url}/p`, { 'x-user': u });
    if (owner.get(u) === 'c') assert.ok(now === 'a' || now === 'b', `${u} went to ${now}`);
    else assert.equal(now, owner.get(u), `${u} moved although its target stayed`);
  }
  const cBefore = ups.get('c')!.received.length;
  for (const u of users) await served(`${gw.url}/q`, { 'x-user': u });
  assert.equal(ups.get('c')!.received.length, cBefore, 'the removed target gets no traffic');
});

test('consistent-hash on the client IP: each client address sticks to one target', async (t) => {
  const ups = await named(t, ['a', 'b', 'c']);
  const gw = await gateway(t, config([...ups.values()].map((u) => ({ url: u.url })), { algorithm: 'consistent-hash', hash_on: 'client-ip' }));
  const owner = new Map<string, string>();
  for (let i = 2; i < 42; i++) {
    const ip = `127.0.0.${i}`;
    owner.set(ip, await served(`${gw.url}/`, {}, ip));
  }
  for (let round = 0; round < 2; round++) {
    // a header that would change the key under hash_on: header must not matter here
    for (const [ip, who] of owner) assert.equal(await served(`${gw.url}/r${round}`, { 'x-user': `u${round}` }, ip), who, ip);
  }
  assert.ok(new Set(owner.values()).size >= 2, 'forty client addresses should not all hash to one target');
});

test('consistent-hash on the client IP uses X-Forwarded-For only from trusted proxies', async (t) => {
  const ups = await named(t, ['a', 'b', 'c']);
  const cfg = config([...ups.values()].map((u) => ({ url: u.url })), { algorithm: 'consistent-hash' });
  const gw = await gateway(t, { ...cfg, gateway: { trusted_proxies: ['127.0.0.1/32'] } });
  const owner = new Map<string, string>();
  for (let i = 0; i < 40; i++) owner.set(`203.0.113.${i}`, await served(`${gw.url}/`, { 'x-forwarded-for': `203.0.113.${i}` }));
  for (const [ip, who] of owner) assert.equal(await served(`${gw.url}/again`, { 'x-forwarded-for': ip }), who, ip);
  assert.ok(new Set(owner.values()).size >= 2, 'forwarded client addresses should spread');
  // From an untrusted peer the header is ignored: every request hashes on the peer address.
  const fromUntrusted = new Set<string>();
  for (let i = 0; i < 40; i++) fromUntrusted.add(await served(`${gw.url}/`, { 'x-forwarded-for': `203.0.113.${i}` }, '127.0.0.9'));
  assert.equal(fromUntrusted.size, 1);
});
