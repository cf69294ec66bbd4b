// Hot reload of a running `portcullis start` process (file change and SIGHUP, one and two
// workers): zero failed requests under continuous load, new behaviour within ~1 s, /ready and
// /metrics report the outcome, bad configs are rejected whole, in-flight requests finish on the
// runtime they started with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { checkConfig } from '../src/core/config/load.ts';
import { configVersion } from '../src/core/snapshot/compile.ts';
import { startUpstream, type Upstream } from './harness/upstream.ts';
import { spawnGateway, service, waitFor, type GatewayProcess, type RawConfig } from './harness/gateway.ts';
import { get } from './harness/http-get.ts';

const TEST_TIMEOUT = 90_000;
/** RELIABILITY.md: config propagation p99 ≤ 1 s; one sample gets a little slack. */
const SWITCH_WITHIN_MS = 1500;


/** Two upstreams that say who they are; `/slow` on A is held until `releaseSlow()`. */
async function startUpstreams() {
  const held: (() => void)[] = [];
  const named = (name: string) => startUpstream((req, res) => {
    const answer = () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
      res.end(name);
    };
    if (req.url === '/slow') {
      const timer = setTimeout(answer, 15_000); // never hang the suite
      held.push(() => { clearTimeout(timer); answer(); });
    } else answer();
  });
  const a = await named('A');
  const b = await named('B');
  return { a, b, releaseSlow: () => { for (const r of held.splice(0)) r(); }, close: async () => { await a.close(); await b.close(); } };
}

/** The route `/` on service `svc`, pointed at `up`, optionally adding `x-reload: <header>`. */
function cfg(up: Upstream, header?: string): RawConfig {
  return {
    gateway: { drain_timeout_ms: 10_000 },
    services: [service('svc', [up.url], { retries: 0 })],
    routes: [{
      name: 'r', service: 'svc', paths: ['/'],
      plugins: header === undefined ? [] : [{ name: 'response-transformer', config: { add: { headers: { 'x-reload': header } } } }],
    }],
  };
}

type Cleanup = (() => Promise<unknown>)[];
/** Runs cleanups newest first; every one runs even if another fails. */
async function runCleanup(cleanup: Cleanup): Promise<void> {
  for (const c of cleanup.toReversed()) await c().catch(() => undefined);
}

/** Ten levels of ten aliases: 10^10 nodes if expanded. */
function aliasBomb(): string {
  const lines = ['l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++) lines.push(`l${i}: &l${i} [${Array<string>(10).fill(`*l${i - 1}`).join(', ')}]`);
  return lines.join('\n') + '\n';
}

const versionOf = (raw: RawConfig) => configVersion(checkConfig(raw));

interface ReadyBody { ready: boolean; status: string; config_version: string; gateway_versions: string[]; last_reload?: { ok: boolean; error?: string; at: string } }

async function ready(gw: GatewayProcess): Promise<{ status: number; body: ReadyBody }> {
  const r = await get(`${gw.adminUrl}/ready`);
  return { status: r.status, body: JSON.parse(r.body) as ReadyBody };
}

async function reloadErrors(gw: GatewayProcess): Promise<number> {
  const text = (await get(`${gw.adminUrl}/metrics`)).body;
  const m = /^portcullis_config_reloads_total\{result="error"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** `clients` keep-alive clients hammering the proxy until stopped (or a hard cap on count). */
function startLoad(url: string, clients = 20, maxRequests = 200_000) {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const replies: { status: number; upstream: string; header: string | undefined }[] = [];
  const failures: string[] = [];
  let stopped = false;
  const running = () => !stopped && replies.length + failures.length < maxRequests;
  const loop = async (i: number) => {
    while (running()) {
      try {
        const r = await get(`${url}/load/${i}`, agent);
        replies.push({ status: r.status, upstream: r.body, header: r.headers['x-reload'] as string | undefined });
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const loops = Array.from({ length: clients }, (_, i) => loop(i));
  return {
    replies,
    failures,
    count: () => replies.length + failures.length,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

async function probe(gw: GatewayProcess): Promise<{ upstream: string; header: string | undefined }> {
  const r = await get(`${gw.url}/probe`);
  return { upstream: r.status === 200 ? r.body : `status ${r.status}`, header: r.headers['x-reload'] as string | undefined };
}

async function expectBehaviour(gw: GatewayProcess, upstream: string, header: string | undefined, withinMs: number, what: string): Promise<void> {
  await waitFor(async () => {
    const p = await probe(gw);
    return p.upstream === upstream && p.header === header;
  }, withinMs, what);
}

async function expectVersionEverywhere(gw: GatewayProcess, version: string, workers: number): Promise<void> {
  await waitFor(async () => {
    const r = await ready(gw);
    return r.status === 200 && r.body.config_version === version && r.body.gateway_versions.length === workers && r.body.gateway_versions.every((v) => v === version);
  }, 5000, `/ready to report ${version} in every gateway process`);
}

for (const trigger of ['file', 'sighup'] as const) {
  for (const workers of [1, 2]) {
    test(`hot reload by ${trigger} with ${workers} worker(s) under load: 0 failed requests, new behaviour within ~1 s`, { timeout: TEST_TIMEOUT }, async () => {
      const cleanup: Cleanup = [];
      try {
        const ups = await startUpstreams();
        cleanup.push(ups.close);
        const gw = await spawnGateway(cfg(ups.a), { workers, args: trigger === 'sighup' ? ['--no-watch'] : [] });
        cleanup.push(() => gw.stop());
        const load = startLoad(gw.url);
        cleanup.push(load.stop);
        await waitFor(() => load.count() >= 100, 10_000, 'load to start');
        const steps: { raw: RawConfig; upstream: string; header: string | undefined }[] = [
          { raw: cfg(ups.b), upstream: 'B', header: undefined },
          { raw: cfg(ups.b, 'v2'), upstream: 'B', header: 'v2' },
          { raw: cfg(ups.a, 'v3'), upstream: 'A', header: 'v3' },
          { raw: cfg(ups.a), upstream: 'A', header: undefined },
          { raw: cfg(ups.b, 'v5'), upstream: 'B', header: 'v5' },
        ];
        for (const [i, step] of steps.entries()) {
          gw.writeConfig(step.raw);
          if (trigger === 'sighup') gw.child.kill('SIGHUP');
          await expectBehaviour(gw, step.upstream, step.header, SWITCH_WITHIN_MS, `step ${i + 1}: upstream ${step.upstream}, x-reload ${step.header}`);
          await expectVersionEverywhere(gw, versionOf(step.raw), workers);
          const r = await ready(gw);
          assert.equal(r.body.last_reload?.ok, true, JSON.stringify(r.body));
          const before = load.count();
          await waitFor(() => load.count() >= before + 100, 10_000, 'load to continue after the reload');
        }
        await load.stop();
        assert.deepEqual(load.failures, [], 'no request may fail across reloads');
        const bad = load.replies.filter((r) => r.status !== 200);
        assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${load.replies.length} requests were not 200`);
        const seen = new Set(load.replies.map((r) => `${r.upstream}/${r.header ?? '-'}`));
        for (const s of ['A/-', 'B/-', 'B/v2', 'A/v3', 'B/v5']) assert.ok(seen.has(s), `the load saw ${s} (saw ${[...seen].join(', ')})`);
        assert.equal(gw.child.exitCode, null, 'the gateway keeps running');
      } finally {
        await runCleanup(cleanup);
      }
    });
  }
}

for (const workers of [1, 2]) {
  test(`bad configs are rejected whole with ${workers} worker(s); traffic keeps the previous behaviour; a good one applies after`, { timeout: TEST_TIMEOUT }, async () => {
    const cleanup: Cleanup = [];
    try {
      const ups = await startUpstreams();
      cleanup.push(ups.close);
      const good = cfg(ups.a, 'good');
      const goodVersion = versionOf(good);
      const gw = await spawnGateway(good, { workers });
      cleanup.push(() => gw.stop());
      const load = startLoad(gw.url, 10);
      cleanup.push(load.stop);
      await waitFor(() => load.count() >= 50, 10_000, 'load to start');
      const changed = cfg(ups.b, 'changed'); // what a partial apply would show
      const route = (changed.routes as RawConfig[])[0]!;
      const bads: { name: string; text: RawConfig | string; expect: string }[] = [
        { name: 'schema error', text: { ...changed, services: [service('svc', ['ftp://example.com'])] }, expect: 'services[0].targets[0].url: must be an http(s) URL' },
        { name: 'unknown plugin', text: { ...changed, routes: [{ ...route, plugins: [{ name: 'no-such-plugin' }] }] }, expect: 'routes[0].plugins[0].name: unknown plugin "no-such-plugin"' },
        { name: 'route to a missing service', text: { ...changed, routes: [{ ...route, service: 'ghost' }] }, expect: 'routes[0].service: no service is named "ghost"' },
        { name: 'YAML alias bomb', text: aliasBomb(), expect: 'alias' },
        { name: 'invalid YAML', text: `services:\n  - name: svc\n    targets: [ {url: "${ups.b.url}" }\n routes: {{{\n`, expect: 'YAML' },
      ];
      for (const bad of bads) {
        const errorsBefore = await reloadErrors(gw);
        gw.writeConfig(bad.text);
        await waitFor(async () => (await reloadErrors(gw)) > errorsBefore, 5000, `${bad.name}: reload error metric to increment`);
        assert.equal(await reloadErrors(gw), errorsBefore + 1, `${bad.name}: one rejected reload`);
        const r = await ready(gw);
        assert.equal(r.body.last_reload?.ok, false, `${bad.name}: ${JSON.stringify(r.body)}`);
        assert.ok(r.body.last_reload?.error?.includes(bad.expect), `${bad.name}: error ${JSON.stringify(r.body.last_reload?.error)} should name ${bad.expect}`);
        assert.equal(r.body.config_version, goodVersion, `${bad.name}: still on the good version`);
        assert.deepEqual(r.body.gateway_versions, Array<string>(workers).fill(goodVersion));
        assert.equal(r.status, 200, `${bad.name}: still ready`);
        assert.deepEqual(await probe(gw), { upstream: 'A', header: 'good' }, `${bad.name}: previous behaviour`);
        assert.equal(gw.child.exitCode, null, `${bad.name}: the process keeps running`);
      }
      assert.match(gw.output(), /config rejected; still serving the previous one/);
      const before = load.count();
      await waitFor(() => load.count() >= before + 50, 10_000, 'load to continue');
      await load.stop();
      assert.deepEqual(load.failures, []);
      const off = load.replies.filter((x) => x.status !== 200 || x.upstream !== 'A' || x.header !== 'good');
      assert.deepEqual(off.slice(0, 5), [], `${off.length} of ${load.replies.length} requests did not get the good config's behaviour`);

      const next = cfg(ups.b, 'next');
      gw.writeConfig(next);
      await expectBehaviour(gw, 'B', 'next', SWITCH_WITHIN_MS, 'the good config after the bad ones');
      await expectVersionEverywhere(gw, versionOf(next), workers);
      assert.equal((await ready(gw)).body.last_reload?.ok, true);
    } finally {
      await runCleanup(cleanup);
    }
  });
}

for (const workers of [1, 2]) {
  test(`a request in flight across a reload (${workers} worker(s)) completes with 200 from the old upstream`, { timeout: TEST_TIMEOUT }, async () => {
    const cleanup: Cleanup = [];
    try {
      const ups = await startUpstreams();
      cleanup.push(ups.close, async () => ups.releaseSlow());
      const gw = await spawnGateway(cfg(ups.a), { workers });
      cleanup.push(() => gw.stop());
      const slow = get(`${gw.url}/slow`, false, 30_000);
      await waitFor(() => ups.a.received.some((r) => r.url === '/slow'), 5000, 'the slow request to reach upstream A');
      const next = cfg(ups.b, 'new');
      gw.writeConfig(next);
      await expectBehaviour(gw, 'B', 'new', SWITCH_WITHIN_MS, 'the new config');
      await expectVersionEverywhere(gw, versionOf(next), workers);
      ups.releaseSlow(); // upstream A answers only now, after the reload is complete
      const r = await slow;
      assert.equal(r.status, 200);
      assert.equal(r.body, 'A');
      assert.equal(r.headers['x-upstream'], 'A');
      assert.equal(r.headers['x-reload'], undefined, 'the old runtime has no response-transformer');
    } finally {
      await runCleanup(cleanup);
    }
  });
}

test('with --no-watch a file change alone does not reload; SIGHUP does', { timeout: TEST_TIMEOUT }, async () => {
  const cleanup: Cleanup = [];
  try {
    const ups = await startUpstreams();
    cleanup.push(ups.close);
    const gw = await spawnGateway(cfg(ups.a), { args: ['--no-watch'] });
    cleanup.push(() => gw.stop());
    const next = cfg(ups.b);
    gw.writeConfig(next);
    // A watching process reloads within ~0.2 s; give it ten times that to prove it does not.
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      assert.equal((await probe(gw)).upstream, 'A', 'a --no-watch process must not reload on a file change');
      await new Promise((r) => setTimeout(r, 100));
    }
    gw.child.kill('SIGHUP');
    await expectBehaviour(gw, 'B', undefined, SWITCH_WITHIN_MS, 'SIGHUP reload');
    await expectVersionEverywhere(gw, versionOf(next), 1);
  } finally {
    await runCleanup(cleanup);
  }
});
