// Active and passive health checks through the real gateway (in process) and real upstreams.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startUpstream, refusedPort, type Upstream } from './harness/upstream.ts';
import { startGateway, waitFor, type InProcessGateway, type RawConfig } from './harness/gateway.ts';
import { targetKey } from '../src/gateway/health/registry.ts';

const PROBE_PATH = '/_probe/healthz';
const PROBE_UA = 'portcullis-health-check';

interface Target {
  up: Upstream;
  /** Probes answer 500 while set. */
  failProbes: boolean;
  /** Live traffic is answered with this status. */
  trafficStatus: number;
  probesOk: number;
  probesFailed: number;
  /** Requests that were not probes. */
  traffic: number;
  key: string;
}

async function target(t: TestContext, name: string): Promise<Target> {
  const state = { failProbes: false, trafficStatus: 200, probesOk: 0, probesFailed: 0, traffic: 0 } as Target;
  state.up = await startUpstream((req, res) => {
    if (req.headers['user-agent'] === PROBE_UA) {
      if (state.failProbes) state.probesFailed++; else state.probesOk++;
      res.writeHead(state.failProbes ? 500 : 200, { 'content-type': 'text/plain' });
      res.end('probe');
      return;
    }
    state.traffic++;
    res.writeHead(state.trafficStatus, { 'content-type': 'text/plain' });
    res.end(name);
  });
  state.key = targetKey('s', new URL(state.up.url).origin);
  t.after(() => state.up.close());
  return state;
}

function config(urls: string[], health: RawConfig, extra: RawConfig = {}): RawConfig {
  return {
    services: [{ name: 's', targets: urls.map((url) => ({ url })), health_checks: health, ...extra }],
    routes: [{ name: 'r', service: 's', paths: ['/'] }],
  };
}

async function gateway(t: TestContext, cfg: RawConfig): Promise<InProcessGateway> {
  const gw = await startGateway(cfg);
  t.after(() => gw.close());
  return gw;
}

async function whoServes(gw: InProcessGateway, n: number): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${gw.url}/work/${i}`);
    const text = await res.text();
    const k = `${res.status} ${text}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

const ACTIVE = { path: PROBE_PATH, interval_ms: 40, timeout_ms: 1000, healthy_threshold: 2, unhealthy_threshold: 3 };

test('active checks take a target out after unhealthy_threshold failed probes and put it back after healthy_threshold', async (t) => {
  const a = await target(t, 'a');
  const b = await target(t, 'b');
  const gw = await gateway(t, config([a.up.url, b.up.url], { active: ACTIVE }));
  const flips: { healthy: boolean; failed: number; ok: number }[] = [];
  gw.health.onChange((key, healthy) => { if (key === a.key) flips.push({ healthy, failed: a.probesFailed, ok: a.probesOk }); });
  await waitFor(() => a.probesOk >= 2 && b.probesOk >= 2, 10_000, 'first probes');
  assert.deepEqual(Object.fromEntries(await whoServes(gw, 20)), { '200 a': 10, '200 b': 10 });

  a.failProbes = true;
  await waitFor(() => !gw.health.get(a.key).activeHealthy, 10_000, 'target a to be marked unhealthy');
  assert.equal(flips.length, 1);
  assert.equal(flips[0]!.failed, ACTIVE.unhealthy_threshold, 'taken out after exactly unhealthy_threshold failed probes');
  const trafficBefore = a.traffic;
  assert.deepEqual(Object.fromEntries(await whoServes(gw, 20)), { '200 b': 20 });
  assert.equal(a.traffic, trafficBefore, 'no live traffic to the unhealthy target');

  const okBefore = a.probesOk;
  a.failProbes = false;
  await waitFor(() => gw.health.get(a.key).activeHealthy, 10_000, 'target a to be healthy again');
  assert.equal(flips.length, 2);
  assert.equal(flips[1]!.ok - okBefore, ACTIVE.healthy_threshold, 'put back after exactly healthy_threshold good probes');
  const after = await whoServes(gw, 20);
  assert.equal(after.get('200 a'), 10);
  assert.equal(after.get('200 b'), 10);
});

test('probes are GETs to the configured path, one loop per target', async (t) => {
  const a = await target(t, 'a');
  const b = await target(t, 'b');
  await gateway(t, config([a.up.url, b.up.url], { active: ACTIVE }));
  await waitFor(() => a.probesOk >= 3 && b.probesOk >= 3, 10_000, 'probes');
  for (const x of [a, b]) {
    for (const r of x.up.received) {
      assert.equal(r.method, 'GET');
      assert.equal(r.url, PROBE_PATH);
    }
  }
});

test('a probe answered with a status outside healthy_statuses counts as failed', async (t) => {
  const a = await target(t, 'a');
  const b = await target(t, 'b');
  const gw = await gateway(t, config([a.up.url, b.up.url], { active: { ...ACTIVE, healthy_statuses: [204] } }));
  await waitFor(() => !gw.health.get(a.key).activeHealthy && !gw.health.get(b.key).activeHealthy, 10_000, '200 probes to fail against healthy_statuses [204]');
  assert.ok(a.probesOk >= ACTIVE.unhealthy_threshold);
});

test('a probe that times out or cannot connect counts as failed', async (t) => {
  const hang = await startUpstream(() => undefined);
  t.after(() => hang.close());
  const refused = `http://127.0.0.1:${await refusedPort()}`;
  const good = await target(t, 'good');
  const gw = await gateway(t, config([hang.url, refused, good.up.url], { active: { ...ACTIVE, timeout_ms: 200 } }));
  const hangKey = targetKey('s', new URL(hang.url).origin);
  await waitFor(() => !gw.health.get(hangKey).activeHealthy && !gw.health.get(targetKey('s', refused)).activeHealthy, 15_000, 'hanging and refusing targets to be marked down');
  assert.deepEqual(Object.fromEntries(await whoServes(gw, 10)), { '200 good': 10 });
});

test('all targets unhealthy: 503 problem+json no-healthy-upstream, and nothing is forwarded', async (t) => {
  const a = await target(t, 'a');
  const b = await target(t, 'b');
  a.failProbes = true;
  b.failProbes = true;
  const gw = await gateway(t, config([a.up.url, b.up.url], { active: ACTIVE }));
  await waitFor(() => !gw.health.get(a.key).activeHealthy && !gw.health.get(b.key).activeHealthy, 10_000, 'both targets down');
  const res = await fetch(`${gw.url}/orders/7?x=1`);
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  assert.match(String(body.type), /\/no-healthy-upstream$/);
  assert.equal(body.status, 503);
  assert.equal(body.instance, '/orders/7');
  assert.equal(typeof body.request_id, 'string');
  const text = JSON.stringify(body);
  for (const x of [a, b]) assert.ok(!text.includes(String(x.up.port)), 'no upstream port in the error');
  assert.equal(a.traffic + b.traffic, 0);
  // and it recovers once a target answers its probes again
  b.failProbes = false;
  await waitFor(() => gw.health.get(b.key).activeHealthy, 10_000, 'b back');
  assert.deepEqual(Object.fromEntries(await whoServes(gw, 4)), { '200 b': 4 });
});

test('passive: consecutive 502/503/504 eject a target for recovery_ms, then it is tried again', async (t) => {
  const a = await target(t, 'a');
  const b = await target(t, 'b');
  const recovery = 1500;
  const gw = await gateway(t, config([a.up.url, b.up.url], { passive: { unhealthy_threshold: 3, unhealthy_statuses: [502, 503, 504], recovery_ms: recovery } }));
  a.trafficStatus = 503;
  // Round robin alternates a, b, a, b, ...: the 3rd failure from a ejects it.
  let ejectedNoEarlierThan = 0;
  let seen503 = 0;
  for (let i = 0; i < 6; i++) {
    if (a.traffic === 2) ejectedNoEarlierThan = Date.now();
    const res = await fetch(`${gw.url}/w/${i}`);
    assert.equal(await res.text(), res.status === 503 ? 'a' : 'b', 'statuses from upstream are passed through');
    if (res.status === 503) seen503++;
  }
  assert.equal(seen503, 3);
  assert.equal(a.traffic, 3);
  assert.equal(gw.health.isHealthy(gw.health.get(a.key), Date.now()), false, 'a is ejected');
  assert.deepEqual(Object.fromEntries(await whoServes(gw, 10)), { '200 b': 10 });
  assert.equal(a.traffic, 3, 'no traffic to the ejected target');

  a.trafficStatus = 200;
  let triedAt = 0;
  await waitFor(async () => {
    await (await fetch(`${gw.url}/probe-by-traffic`)).text();
    if (a.traffic > 3) triedAt = Date.now();
    return a.traffic > 3;
  }, recovery * 5, 'the ejected target to be tried again');
  assert.ok(triedAt - ejectedNoEarlierThan >= recovery, `tried again after ${triedAt - ejectedNoEarlierThan} ms, before recovery_ms`);
  const after = await whoServes(gw, 10);
  assert.equal(after.get('200 a'), 5);
  assert.equal(after.get('200 b'), 5);
});

test('passive: a status outside unhealthy_statuses (500) does not eject', async (t) => {
  const a = await target(t, 'a');
  const b = await target(t, 'b');
  const gw = await gateway(t, config([a.up.url, b.up.url], { passive: { unhealthy_threshold: 2, recovery_ms: 60_000 } }));
  a.trafficStatus = 500;
  const m = await whoServes(gw, 20);
  assert.deepEqual(Object.fromEntries(m), { '500 a': 10, '200 b': 10 });
});

test('passive: connection failures eject a refusing target', async (t) => {
  const b = await target(t, 'b');
  const refused = `http://127.0.0.1:${await refusedPort()}`;
  const recovery = 1500;
  // retries: 0, so each pick of the refusing target is visible to the client as a 502.
  const gw = await gateway(t, config([refused, b.up.url], { passive: { unhealthy_threshold: 3, recovery_ms: recovery } }, { retries: 0 }));
  const statuses: number[] = [];
  let ejectedNoEarlierThan = 0;
  for (let i = 0; i < 6; i++) {
    const sent = Date.now();
    const res = await fetch(`${gw.url}/c/${i}`);
    await res.arrayBuffer();
    statuses.push(res.status);
    if (res.status === 502 && statuses.filter((s) => s === 502).length === 3) ejectedNoEarlierThan = sent;
  }
  assert.deepEqual(statuses.filter((s) => s === 502).length, 3, `statuses ${statuses}`);
  assert.equal(gw.health.isHealthy(gw.health.get(targetKey('s', refused)), Date.now()), false);
  assert.deepEqual(Object.fromEntries(await whoServes(gw, 10)), { '200 b': 10 }, 'the ejected target is avoided');
  // after recovery_ms it is tried again (and, still refusing, answers 502 again)
  let again = 0;
  await waitFor(async () => {
    const res = await fetch(`${gw.url}/again`);
    await res.arrayBuffer();
    if (res.status === 502) again = Date.now();
    return res.status === 502;
  }, recovery * 5, 'the refusing target to be tried again');
  assert.ok(again - ejectedNoEarlierThan >= recovery, `tried again after ${again - ejectedNoEarlierThan} ms, before recovery_ms`);
});
