// The circuit-breaker plugin against a real gateway process and real, flaky upstreams: the whole
// closed → open → half-open → closed/open cycle, fast 503s the upstream never sees, the fallback,
// a broken target among healthy ones, retries counted once, and the admin endpoint across workers.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnGateway, waitFor, type GatewayProcess, type RawConfig } from './harness/gateway.ts';
import { get } from './harness/http-get.ts';
import { adminRequest, expectStatus } from './harness/node.ts';
import { refusedPort, startUpstream, type Upstream } from './harness/upstream.ts';

const TOKEN = randomBytes(24).toString('hex');

interface Breaker { worker: number; service: string; target?: string; state: string; requests: number; failures: number; opened_at?: string; next_retry_at?: string }

async function flakyUpstream(t: TestContext): Promise<Upstream & { mode: { status: number } }> {
  const mode = { status: 200 };
  const up = await startUpstream((_req, res) => {
    res.writeHead(mode.status, { 'content-type': 'text/plain' });
    res.end(mode.status === 200 ? 'ok' : 'down');
  });
  t.after(() => up.close());
  return Object.assign(up, { mode });
}

async function gateway(t: TestContext, cfg: RawConfig, workers = 1): Promise<GatewayProcess> {
  const gw = await spawnGateway(cfg, { workers, env: { PORTCULLIS_ADMIN_TOKEN: TOKEN } });
  t.after(() => gw.stop());
  return gw;
}

async function breakers(gw: GatewayProcess): Promise<Breaker[]> {
  return expectStatus(await adminRequest<{ data: Breaker[] }>(gw.adminUrl, TOKEN, 'GET', '/admin/circuit-breakers'), 'list breakers').body.data;
}

const stateOf = async (gw: GatewayProcess, target: string | undefined) => (await breakers(gw)).find((b) => b.target === target)?.state;

function config(targets: string[], plugin: RawConfig, svc: RawConfig = {}): RawConfig {
  return {
    services: [{ name: 's', targets: targets.map((url) => ({ url })), plugins: [{ name: 'circuit-breaker', config: plugin }], ...svc }],
    routes: [{ name: 'r', service: 's', paths: ['/'] }],
  };
}

async function metrics(gw: GatewayProcess): Promise<string> {
  return (await get(`${gw.adminUrl}/metrics`)).body;
}

test('closed → open → half-open → open again → half-open → closed, with fast 503s the upstream never sees', async (t) => {
  const up = await flakyUpstream(t);
  const target = `127.0.0.1:${up.port}`;
  const gw = await gateway(t, config([up.url], { min_requests: 4, failure_ratio: 0.5, cooldown_ms: 700, half_open_max_probes: 1, half_open_successes: 2 }));
  for (let i = 0; i < 3; i++) assert.equal((await get(`${gw.url}/x`)).status, 200);
  up.mode.status = 503;
  // 3 successes + 3 failures: 50% of 6 ≥ min_requests 4: opens on the 3rd failure
  for (let i = 0; i < 3; i++) assert.equal((await get(`${gw.url}/x`)).status, 503, 'the upstream 503 passes through');
  assert.equal(up.received.length, 6);
  const list = await breakers(gw);
  assert.deepEqual(list.map((b) => `${b.target ?? 'service'}:${b.state}`).sort(), [`${target}:open`, 'service:open']);
  assert.ok(list.every((b) => b.opened_at !== undefined && b.next_retry_at !== undefined && b.worker === 0));

  // open: answered at once, problem+json, Retry-After = the cool-down left; nothing reaches the upstream
  const fast = await get(`${gw.url}/x`);
  assert.equal(fast.status, 503);
  assert.equal(fast.headers['content-type'], 'application/problem+json');
  assert.match(JSON.parse(fast.body).type as string, /\/circuit-open$/);
  assert.equal(fast.headers['retry-after'], '1');
  assert.equal(up.received.length, 6, 'the upstream saw nothing');
  assert.match(await metrics(gw), /^portcullis_circuit_breaker_state\{service="s",target=""\} 2$/m);

  // half-open after the cool-down; the probe fails: open again
  await waitFor(async () => (await stateOf(gw, undefined)) === 'half-open', 5000, 'the service breaker to go half-open');
  assert.equal((await get(`${gw.url}/x`)).status, 503);
  assert.equal(up.received.length, 7, 'exactly one probe');
  assert.equal(await stateOf(gw, undefined), 'open');
  assert.equal(await stateOf(gw, target), 'open');
  assert.equal((await get(`${gw.url}/x`)).status, 503);
  assert.equal(up.received.length, 7);

  // the upstream recovers: two successful probes close both breakers
  up.mode.status = 200;
  await waitFor(async () => (await stateOf(gw, undefined)) === 'half-open', 5000, 'half-open again');
  assert.equal((await get(`${gw.url}/x`)).status, 200);
  assert.equal(await stateOf(gw, undefined), 'half-open', 'one success of two');
  assert.equal((await get(`${gw.url}/x`)).status, 200);
  assert.equal(await stateOf(gw, undefined), 'closed');
  assert.equal(await stateOf(gw, target), 'closed');
  for (let i = 0; i < 5; i++) assert.equal((await get(`${gw.url}/x`)).status, 200);

  const text = await metrics(gw);
  assert.match(text, /^portcullis_circuit_breaker_state\{service="s",target=""\} 0$/m);
  assert.match(text, /^portcullis_circuit_breaker_transitions_total\{service="s",target="",state="open"\} 2$/m);
  assert.match(text, /^portcullis_circuit_breaker_transitions_total\{service="s",target="",state="closed"\} 1$/m);
  assert.equal(gw.output().split('\n').filter((l) => l.includes('circuit breaker opened') && l.includes('"target"')).length, 2, 'a log line per transition');
});

test('a fallback response instead of the problem, for a target that refuses connections', async (t) => {
  const port = await refusedPort();
  const gw = await gateway(t, config([`http://127.0.0.1:${port}`], {
    min_requests: 2, cooldown_ms: 60_000, level: 'targets',
    fallback: { status: 200, content_type: 'application/json', body: '{"status":"degraded"}', headers: { 'x-fallback': 'yes' } },
  }, { retries: 0 }));
  assert.equal((await get(`${gw.url}/x`)).status, 502);
  assert.equal((await get(`${gw.url}/x`)).status, 502);
  const r = await get(`${gw.url}/x`);
  assert.equal(r.status, 200);
  assert.equal(r.body, '{"status":"degraded"}');
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.headers['x-fallback'], 'yes');
  assert.equal(r.headers['retry-after'], '60');
  assert.equal(await stateOf(gw, `127.0.0.1:${port}`), 'open');
});

test('one broken target of two: traffic moves to the healthy one, and retries are counted once', async (t) => {
  const good = await flakyUpstream(t);
  const port = await refusedPort();
  const bad = `127.0.0.1:${port}`;
  // failure_ratio 1 and min_requests 3: the bad target opens after exactly 3 failed attempts.
  const gw = await gateway(t, config([`http://${bad}`, good.url], { min_requests: 3, failure_ratio: 1, cooldown_ms: 60_000 }, { retries: 1 }));
  for (let i = 0; i < 12; i++) assert.equal((await get(`${gw.url}/x`)).status, 200, 'a failed attempt is retried on the good target');
  assert.equal(good.received.length, 12, 'every request ended on the good target, once');
  const list = await breakers(gw);
  const byTarget = (target: string | undefined) => list.find((b) => b.target === target)!;
  assert.equal(byTarget(bad).state, 'open');
  // Each attempt counted once for its target: the breaker opened on the 3rd failed attempt, and
  // no attempt went to the bad target after that.
  const errors = /^portcullis_upstream_errors_total\{service="s",target="([^"]+)",kind="refused"\} (\d+)$/m.exec(await metrics(gw));
  assert.deepEqual([errors?.[1], Number(errors?.[2])], [bad, 3]);
  // The service breaker counts each client request once, by its final outcome: 12 successes,
  // not 12 + 3 attempts, and the retried failures are not its failures.
  assert.deepEqual([byTarget(undefined).state, byTarget(undefined).requests, byTarget(undefined).failures], ['closed', 12, 0]);
  assert.deepEqual([byTarget(`127.0.0.1:${good.port}`).requests, byTarget(`127.0.0.1:${good.port}`).failures], [12, 0]);
});

test('every target open: fast 503 with Retry-After; a target taken out by health checks is not counted', async (t) => {
  const a = await flakyUpstream(t);
  const b = await flakyUpstream(t);
  a.mode.status = 500;
  const gw = await gateway(t, config([a.url, b.url], { level: 'targets', min_requests: 2, failure_ratio: 1, cooldown_ms: 30_000 }, {
    retries: 0,
    health_checks: { passive: { unhealthy_statuses: [503], unhealthy_threshold: 1, recovery_ms: 60_000 } },
  }));
  // b answers 503 once: passive health takes it out at once; its breaker counts that one failure
  // (below min_requests) and nothing more while it is out.
  b.mode.status = 503;
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await get(`${gw.url}/x`)).status);
  // a: 500, 500 → open; b: one 503 → ejected by passive health; then nothing is left
  assert.deepEqual(statuses, [500, 503, 500, 503]);
  const afterEjection = b.received.length;
  assert.equal(afterEjection, 1, 'the ejected target is not tried again');
  const list = await breakers(gw);
  assert.equal(list.find((x) => x.target === `127.0.0.1:${a.port}`)?.state, 'open');
  const bBreaker = list.find((x) => x.target === `127.0.0.1:${b.port}`);
  assert.deepEqual([bBreaker?.state, bBreaker?.requests, bBreaker?.failures], ['closed', 1, 1], 'exclusion by health checks never counts as a breaker failure');
  // only a is healthy now, and its breaker is open: no-healthy-upstream would be wrong, circuit-open is right
  const r = await get(`${gw.url}/x`);
  assert.equal(r.status, 503);
  assert.match(JSON.parse(r.body).type as string, /\/circuit-open$/);
  assert.ok(Number(r.headers['retry-after']) >= 29);
  assert.equal(a.received.length, 2);
});

/** The workers that answered requests with this status (from their access log lines). */
function workersAnswering(gw: GatewayProcess, status: number, pathPrefix: string): Set<number> {
  const workers = new Set<number>();
  for (const line of gw.output().split('\n')) {
    if (!line.includes('"log":"access"')) continue;
    const e = JSON.parse(line) as { worker: number; status: number; path: string };
    if (e.status === status && e.path.startsWith(pathPrefix)) workers.add(e.worker);
  }
  return workers;
}

test('three workers share verdicts: when one opens the breaker every worker answers at once, and its probe closes it for all', async (t) => {
  const up = await flakyUpstream(t);
  const gw = await gateway(t, config([up.url], { min_requests: 3, failure_ratio: 0.5, cooldown_ms: 1500, half_open_max_probes: 1, half_open_successes: 1 }), 3);
  up.mode.status = 503;
  await waitFor(async () => (await get(`${gw.url}/x`)).headers['content-type'] === 'application/problem+json', 10_000, 'a worker to open its breaker');
  const forwarded = up.received.length;
  // The verdict reaches the other workers through the supervisor.
  await new Promise((r) => setTimeout(r, 200));
  // Bursts on new connections until more than one worker has answered.
  for (let burst = 0; burst < 8 && workersAnswering(gw, 503, '/open/').size < 2; burst++) {
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => get(`${gw.url}/open/${burst}-${i}`)));
    for (const r of replies) assert.equal(r.headers['content-type'], 'application/problem+json', `forwarded instead of refused: ${r.status} ${r.body}`);
  }
  assert.ok(workersAnswering(gw, 503, '/open/').size >= 2, 'the refusals came from more than one worker');
  assert.equal(up.received.length, forwarded, 'no worker forwarded anything once one had opened the breaker');

  up.mode.status = 200;
  await waitFor(async () => (await get(`${gw.url}/probe`)).status === 200, 10_000, 'a probe to close the breaker');
  await new Promise((r) => setTimeout(r, 200));
  // Bursts until more than one worker has answered: every one of them serves again.
  for (let burst = 0; burst < 8 && workersAnswering(gw, 200, '/closed/').size < 2; burst++) {
    const after = await Promise.all(Array.from({ length: 12 }, (_, i) => get(`${gw.url}/closed/${burst}-${i}`)));
    assert.deepEqual(after.map((r) => r.status), Array.from({ length: 12 }, () => 200), 'closed on every worker that answered');
  }
  assert.ok(workersAnswering(gw, 200, '/closed/').size >= 2, 'the answers came from more than one worker');
});

test('the admin endpoint lists the breakers of both worker processes', async (t) => {
  const up = await flakyUpstream(t);
  const gw = await gateway(t, config([up.url], { min_requests: 1000 }), 2);
  // Workers accept on a shared socket: new connections until both have carried traffic.
  await waitFor(async () => {
    await Promise.all(Array.from({ length: 8 }, () => get(`${gw.url}/x`)));
    return new Set((await breakers(gw)).map((b) => b.worker)).size === 2;
  }, 15_000, 'both workers to report breakers');
  const list = await breakers(gw);
  assert.deepEqual([...new Set(list.map((b) => b.worker))].sort(), [0, 1]);
  for (const worker of [0, 1]) {
    assert.deepEqual(list.filter((b) => b.worker === worker).map((b) => b.target ?? 'service').sort(), [`127.0.0.1:${up.port}`, 'service'].sort());
  }
  const total = list.filter((b) => b.target === undefined).reduce((n, b) => n + b.requests, 0);
  assert.equal(total, up.received.length, 'every request counted once, in the worker that carried it');
  // one gauge series per breaker: the workers' values are combined (the worst state), not summed
  const series = (await metrics(gw)).split('\n').filter((l) => l.startsWith('portcullis_circuit_breaker_state{service="s",target=""}'));
  assert.deepEqual(series, ['portcullis_circuit_breaker_state{service="s",target=""} 0']);
  // and a viewer token is required
  assert.equal((await adminRequest(gw.adminUrl, 'wrong', 'GET', '/admin/circuit-breakers')).status, 401);
});

test('breakers survive a reload that keeps their config, and go with their target', async (t) => {
  const port = await refusedPort();
  const good = await flakyUpstream(t);
  const bad = `127.0.0.1:${port}`;
  const plugin = { level: 'targets', min_requests: 2, failure_ratio: 1, cooldown_ms: 60_000 };
  const base = config([`http://${bad}`], plugin, { retries: 0 });
  const gw = await gateway(t, base);
  await get(`${gw.url}/x`);
  await get(`${gw.url}/x`);
  assert.equal(await stateOf(gw, bad), 'open');
  // an unrelated change (a new route): the breaker is kept
  gw.writeConfig({ ...base, routes: [...(base.routes as RawConfig[]), { name: 'other', service: 's', paths: ['/other'] }] });
  await waitFor(async () => (await get(`${gw.url}/other`)).status !== 404, 10_000, 'the reload');
  assert.equal(await stateOf(gw, bad), 'open', 'kept across the reload');
  assert.match(JSON.parse((await get(`${gw.url}/x`)).body).type as string, /\/circuit-open$/);
  // the broken target is replaced: its breaker is dropped
  gw.writeConfig(config([good.url], plugin, { retries: 0 }));
  await waitFor(async () => (await get(`${gw.url}/x`)).status === 200, 10_000, 'the new target');
  assert.deepEqual((await breakers(gw)).map((b) => b.target), [`127.0.0.1:${good.port}`]);
});
