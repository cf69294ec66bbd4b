// The admin listener of `portcullis start`: /health, /ready, /metrics (exact across workers),
// problem+json for unknown paths, and its separation from the proxy listener.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { checkConfig } from '../src/core/config/load.ts';
import { configVersion } from '../src/core/snapshot/compile.ts';
import { startUpstream } from './harness/upstream.ts';
import { spawnGateway, service, waitFor, type RawConfig } from './harness/gateway.ts';

const TEST_TIMEOUT = 60_000;

type Cleanup = (() => Promise<unknown>)[];
async function runCleanup(cleanup: Cleanup): Promise<void> {
  for (const c of cleanup.toReversed()) await c().catch(() => undefined);
}

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** One request on a fresh connection (so that requests spread over the workers). */
function get(url: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end();
  });
}

interface Sample { name: string; labels: Record<string, string>; value: number }

function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample `name` whose labels include `labels` (undefined if none). */
function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `more than one ${name} sample for ${JSON.stringify(labels)}: ${JSON.stringify(found)}`);
  return found[0]?.value;
}

function assertProblem(r: Reply, status: number, code: string, instance: string): void {
  assert.equal(r.status, status, r.body);
  assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
  const body = JSON.parse(r.body) as Record<string, unknown>;
  assert.equal(body.type, `https://portcullis.dev/problems/${code}`);
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  assert.equal(body.instance, instance);
  assert.equal(typeof body.request_id, 'string');
  assert.doesNotMatch(r.body, /127\.0\.0\.1|\bat \S+:\d+|fastify|undici/i, 'no internals in the error');
}

for (const workers of [1, 2]) {
  test(`/health, /ready and exact /metrics with ${workers} worker(s)`, { timeout: TEST_TIMEOUT }, async () => {
    const cleanup: Cleanup = [];
    try {
      const up = await startUpstream();
      cleanup.push(up.close);
      const config: RawConfig = { services: [service('orders', [up.url])], routes: [{ name: 'orders-api', service: 'orders', paths: ['/api'] }] };
      const version = configVersion(checkConfig(config));
      const gw = await spawnGateway(config, { workers });
      cleanup.push(() => gw.stop());

      const health = await get(`${gw.adminUrl}/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(JSON.parse(health.body), { status: 'ok' });

      const ready = await get(`${gw.adminUrl}/ready`);
      assert.equal(ready.status, 200, ready.body);
      assert.equal(ready.headers['cache-control'], 'no-store');
      const report = JSON.parse(ready.body) as { ready: boolean; status: string; config_version: string; gateway_versions: string[] };
      assert.equal(report.ready, true);
      assert.equal(report.status, 'ready');
      assert.equal(report.config_version, version);
      assert.deepEqual(report.gateway_versions, Array<string>(workers).fill(version));

      const N = 13;
      for (let i = 0; i < N; i++) assert.equal((await get(`${gw.url}/api/item/${i}`)).status, 200);
      for (let i = 0; i < 3; i++) assert.equal((await get(`${gw.url}/unrouted/${i}`)).status, 404);
      assert.equal(up.received.length, N);

      const route = { service: 'orders', route: 'orders-api', status_class: '2xx' };
      const target = { service: 'orders', target: `127.0.0.1:${up.port}` };
      let samples: Sample[] = [];
      let contentType = '';
      // Counted when the response is finished, which may be just after the client has it.
      await waitFor(async () => {
        const r = await get(`${gw.adminUrl}/metrics`);
        contentType = String(r.headers['content-type']);
        samples = parseMetrics(r.body);
        return value(samples, 'portcullis_http_requests_total', route) === N;
      }, 5000, `portcullis_http_requests_total to count exactly ${N}`);
      assert.match(contentType, /^text\/plain; version=0\.0\.4/);
      assert.equal(value(samples, 'portcullis_http_requests_total', { ...route, status_class: '5xx' }) ?? 0, 0);
      assert.equal(value(samples, 'portcullis_http_request_duration_seconds_bucket', { ...route, le: '+Inf' }), N);
      assert.equal(value(samples, 'portcullis_http_request_duration_seconds_count', route), N);
      const buckets = samples.filter((s) => s.name === 'portcullis_http_request_duration_seconds_bucket' && s.labels.route === 'orders-api');
      assert.ok(buckets.length > 5, 'several latency buckets');
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'buckets are cumulative');
      assert.equal(value(samples, 'portcullis_upstream_response_seconds_count', target), N);
      assert.equal(value(samples, 'portcullis_upstream_response_seconds_bucket', { ...target, le: '+Inf' }), N);
      assert.equal(value(samples, 'portcullis_upstream_target_healthy', target), 1);
      assert.equal(value(samples, 'portcullis_config_info', { version }), workers, 'one per gateway process serving it');
      assert.equal(samples.filter((s) => s.name === 'portcullis_config_info').length, 1, 'no stale versions');
      // The metric label values are the configured names, never request paths.
      assert.doesNotMatch(samples.map((s) => JSON.stringify(s.labels)).join('\n'), /\/api\/item|unrouted/);
    } finally {
      await runCleanup(cleanup);
    }
  });
}

test('unknown admin paths and methods answer 404 problem+json', { timeout: TEST_TIMEOUT }, async () => {
  const cleanup: Cleanup = [];
  try {
    const up = await startUpstream();
    cleanup.push(up.close);
    const gw = await spawnGateway({ services: [service('s', [up.url])], routes: [{ name: 'r', service: 's', paths: ['/'] }] });
    cleanup.push(() => gw.stop());
    assertProblem(await get(`${gw.adminUrl}/nope`), 404, 'route-not-found', '/nope');
    assertProblem(await get(`${gw.adminUrl}/health/extra?secret=1`), 404, 'route-not-found', '/health/extra');
    assertProblem(await get(`${gw.adminUrl}/api/orders`), 404, 'route-not-found', '/api/orders');
    assertProblem(await get(`${gw.adminUrl}/health`, 'POST'), 404, 'route-not-found', '/health');
    assertProblem(await get(`${gw.adminUrl}/metrics`, 'DELETE'), 404, 'route-not-found', '/metrics');
    assert.equal(up.received.length, 0, 'the admin listener never proxies');
  } finally {
    await runCleanup(cleanup);
  }
});

test('the admin listener is not the proxy: admin paths on the proxy port are ordinary traffic', { timeout: TEST_TIMEOUT }, async () => {
  const cleanup: Cleanup = [];
  try {
    const up = await startUpstream();
    cleanup.push(up.close);
    const gw = await spawnGateway({
      services: [service('s', [up.url])],
      routes: [{ name: 'api', service: 's', paths: ['/api'] }, { name: 'health-passthrough', service: 's', paths: ['=/health'] }],
    });
    cleanup.push(() => gw.stop());
    assert.notEqual(gw.proxyPort, gw.adminPort);
    // No route: the gateway's own 404, not the admin's answers.
    for (const path of ['/metrics', '/ready']) {
      const r = await get(`${gw.url}${path}`);
      assertProblem(r, 404, 'route-not-found', path);
      assert.doesNotMatch(r.body, /portcullis_|config_version/);
    }
    // A route for /health: forwarded to the upstream like any request.
    const h = await get(`${gw.url}/health`);
    assert.equal(h.status, 200);
    assert.equal((JSON.parse(h.body) as { url: string }).url, '/health');
    assert.deepEqual(up.received.map((r) => r.url), ['/health']);
  } finally {
    await runCleanup(cleanup);
  }
});
