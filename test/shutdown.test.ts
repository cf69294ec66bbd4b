// Graceful shutdown of `portcullis start` (SIGTERM under load), port already in use, and a
// gateway worker killed under the supervisor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startUpstream } from './harness/upstream.ts';
import { BIN, spawnGateway, service, waitFor, type GatewayProcess, type RawConfig } from './harness/gateway.ts';
import { rawRequest } from './harness/raw-http.ts';
import { get } from './harness/http-get.ts';

const TEST_TIMEOUT = 90_000;
const DRAIN_TIMEOUT_MS = 15_000;

type Cleanup = (() => Promise<unknown>)[];
async function runCleanup(cleanup: Cleanup): Promise<void> {
  for (const c of cleanup.toReversed()) await c().catch(() => undefined);
}


/** Upstream: `/slow…` is held ~1.5 s, or until `release()` — whichever the test needs first. */
async function startSlowUpstream(holdMs = 1500) {
  const held: (() => void)[] = [];
  const up = await startUpstream((req, res) => {
    const answer = () => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(`ok ${req.url}`); };
    if (req.url?.startsWith('/slow')) {
      const timer = setTimeout(answer, holdMs);
      held.push(() => { clearTimeout(timer); answer(); });
    } else answer();
  });
  return { up, release: () => { for (const r of held.splice(0)) r(); } };
}

function cfg(url: string): RawConfig {
  return { gateway: { drain_timeout_ms: DRAIN_TIMEOUT_MS }, services: [service('svc', [url], { retries: 0 })], routes: [{ name: 'r', service: 'svc', paths: ['/'] }] };
}

/** A raw keep-alive connection: send requests, read responses, see when the server closes it. */
function openConnection(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let text = '';
  let closed = false;
  socket.on('data', (c: Buffer) => { text += c.toString('latin1'); });
  socket.on('close', () => { closed = true; });
  socket.on('error', () => { closed = true; });
  return {
    send: (path: string) => socket.write(`GET ${path} HTTP/1.1\r\nHost: gw\r\n\r\n`),
    text: () => text,
    responses: () => text.split(/(?=HTTP\/1\.1 \d{3} )/).filter((r) => r.startsWith('HTTP/1.1')),
    closed: () => closed,
    destroy: () => socket.destroy(),
  };
}

async function readyStatus(gw: GatewayProcess): Promise<{ status: number; body: { status?: string; ready?: boolean } } | undefined> {
  try {
    const r = await get(`${gw.adminUrl}/ready`, false, 2000);
    return { status: r.status, body: JSON.parse(r.body) as { status?: string } };
  } catch {
    return undefined; // the admin listener is gone (end of drain)
  }
}

for (const workers of [1, 2]) {
  test(`SIGTERM with requests in flight (${workers} worker(s)): all complete with 200, readiness 503, idle keep-alives closed, exit 0`, { timeout: TEST_TIMEOUT }, async () => {
    const cleanup: Cleanup = [];
    try {
      const { up, release } = await startSlowUpstream(10_000); // released by the test
      cleanup.push(up.close, async () => release());
      const gw = await spawnGateway(cfg(up.url), { workers });
      cleanup.push(() => gw.stop('SIGKILL'));

      // An idle keep-alive connection, and one kept alive that has a slow request in flight.
      const idle = openConnection(gw.proxyPort);
      cleanup.push(async () => idle.destroy());
      idle.send('/fast');
      await waitFor(() => idle.responses().length === 1, 5000, 'the idle connection’s first response');
      const busy = openConnection(gw.proxyPort);
      cleanup.push(async () => busy.destroy());
      busy.send('/fast');
      await waitFor(() => busy.responses().length === 1, 5000, 'the busy connection’s first response');
      busy.send('/slow/busy');

      const inFlight = Array.from({ length: 10 }, (_, i) => get(`${gw.url}/slow/${i}`, false, 30_000).then((r) => r, (err: Error) => err));
      await waitFor(() => up.received.filter((r) => r.url.startsWith('/slow')).length === 11, 5000, 'all slow requests to reach the upstream');

      const termAt = Date.now();
      gw.child.kill('SIGTERM');
      let sawDraining = false;
      await waitFor(async () => {
        const r = await readyStatus(gw);
        sawDraining = r?.status === 503 && r.body.status === 'draining' && r.body.ready === false;
        return sawDraining;
      }, 5000, '/ready to answer 503 draining');
      await waitFor(() => idle.closed(), 5000, 'the idle keep-alive connection to be closed');
      assert.equal(idle.responses().length, 1, 'the idle connection got nothing more');

      // New connections during drain are refused or answered, never left hanging.
      for (let i = 0; i < 3; i++) {
        const r = await rawRequest(gw.proxyPort, 'GET /fast HTTP/1.1\r\nHost: gw\r\n\r\n', 3000).catch((err: NodeJS.ErrnoException) => err);
        // Refused, or reset before any byte of a response (the listener is gone): the client knows
        // at once that nothing was processed.
        if (r instanceof Error) assert.ok(r.code === 'ECONNREFUSED' || r.code === 'ECONNRESET', String(r));
        else assert.ok(r.closed || r.status !== undefined, `a new connection during drain hung: ${JSON.stringify(r.text)}`);
      }
      assert.equal(gw.child.exitCode, null, 'the process waits for in-flight requests');

      release();
      for (const [i, r] of (await Promise.all(inFlight)).entries()) {
        assert.ok(!(r instanceof Error), `in-flight request ${i} failed: ${String(r)}`);
        assert.equal(r.status, 200);
        assert.equal(r.body, `ok /slow/${i}`);
      }
      await waitFor(() => busy.responses().length === 2, 5000, 'the busy connection’s in-flight response');
      const second = busy.responses()[1]!;
      assert.match(second, /^HTTP\/1\.1 200 /);
      assert.match(second, /\r\nconnection: close\r\n/i, 'a response during drain says Connection: close');
      await waitFor(() => busy.closed(), 5000, 'the busy connection to be closed after its response');

      assert.equal(await gw.exited, 0, `exit code; output:\n${gw.output()}`);
      assert.ok(Date.now() - termAt < DRAIN_TIMEOUT_MS, 'exited within the drain timeout');
      assert.ok(sawDraining);
      assert.doesNotMatch(gw.output(), /drain timed out/);
    } finally {
      await runCleanup(cleanup);
    }
  });
}

test('SIGTERM with the upstream answering after ~1.5 s and keep-alive load: 0 failed requests that started before SIGTERM', { timeout: TEST_TIMEOUT }, async () => {
  const cleanup: Cleanup = [];
  try {
    const { up } = await startSlowUpstream(1500);
    cleanup.push(up.close);
    const gw = await spawnGateway(cfg(up.url), { workers: 1 });
    cleanup.push(() => gw.stop('SIGKILL'));
    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    cleanup.push(async () => agent.destroy());
    const started = Array.from({ length: 20 }, (_, i) => get(`${gw.url}/slow/${i}`, agent, 30_000).then((r) => r, (err: Error) => err));
    await waitFor(() => up.received.length === 20, 5000, 'all requests to reach the upstream');
    gw.child.kill('SIGTERM');
    const results = await Promise.all(started);
    const failed = results.filter((r) => r instanceof Error || r.status !== 200);
    assert.deepEqual(failed.map(String), []);
    assert.equal(await gw.exited, 0);
  } finally {
    await runCleanup(cleanup);
  }
});

test('a request arriving on a kept-alive connection during drain is answered with Connection: close', { timeout: TEST_TIMEOUT }, async () => {
  const cleanup: Cleanup = [];
  try {
    const { up, release } = await startSlowUpstream(10_000);
    cleanup.push(up.close, async () => release());
    const gw = await spawnGateway(cfg(up.url), { workers: 1 });
    cleanup.push(() => gw.stop('SIGKILL'));
    const hold = openConnection(gw.proxyPort); // keeps the drain going
    cleanup.push(async () => hold.destroy());
    hold.send('/slow/hold');
    const conn = openConnection(gw.proxyPort);
    cleanup.push(async () => conn.destroy());
    conn.send('/fast');
    await waitFor(() => conn.responses().length === 1 && up.received.length === 2, 5000, 'setup');
    conn.send('/slow/pipelined'); // in flight on the kept-alive connection
    await waitFor(() => up.received.length === 3, 5000, 'the pipelined request to reach the upstream');
    gw.child.kill('SIGTERM');
    await waitFor(async () => (await readyStatus(gw))?.status === 503, 5000, 'draining');
    conn.send('/fast/during-drain'); // arrives during drain, behind the in-flight request
    // Give the gateway a moment to take it (or not) before the request ahead of it completes.
    await waitFor(() => up.received.some((r) => r.url === '/fast/during-drain'), 500).catch(() => undefined);
    release();
    await waitFor(() => conn.closed(), 10_000, 'the connection to be closed');
    const responses = conn.responses();
    const reached = up.received.some((r) => r.url === '/fast/during-drain');
    // The request sent during drain is answered, and its response closes the connection; the one
    // pipelined ahead of it keeps the connection open for it (closing earlier would drop it).
    assert.equal(responses.length, 3, `every request on the connection is answered (forwarded upstream: ${reached}); the client saw:\n${conn.text()}`);
    assert.match(responses[1]!, /^HTTP\/1\.1 200 [\s\S]*ok \/slow\/pipelined/);
    const last = responses[2]!;
    assert.match(last, /\r\nconnection: close\r\n/i);
    // Processed (200 from the upstream) or refused before anything was forwarded (503 problem).
    if (reached) assert.match(last, /^HTTP\/1\.1 200 [\s\S]*ok \/fast\/during-drain/);
    else assert.match(last, /^HTTP\/1\.1 503 [\s\S]*application\/problem\+json/i);
    assert.equal(await gw.exited, 0);
  } finally {
    await runCleanup(cleanup);
  }
});

/** Runs the CLI directly; resolves with the exit code, output and time to exit. */
// A process still running after timeoutMs is killed (code null): "exits" means it gave up by itself.
function runCli(args: string[], timeoutMs = 15_000): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, PORTCULLIS_LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

function configFile(raw: RawConfig): string {
  const file = join(mkdtempSync(join(tmpdir(), 'portcullis-shutdown-')), 'portcullis.yaml');
  writeFileSync(file, YAML.stringify(raw));
  return file;
}

for (const workers of [1, 2]) {
  for (const which of ['proxy', 'admin'] as const) {
    test(`${which} port already in use (${workers} worker(s)): exits non-zero (no retrying) saying "already in use"`, { timeout: TEST_TIMEOUT }, async () => {
      const cleanup: Cleanup = [];
      try {
        const up = await startUpstream();
        cleanup.push(up.close);
        const first = await spawnGateway(cfg(up.url));
        cleanup.push(() => first.stop());
        const port = which === 'proxy' ? ['--port', String(first.proxyPort), '--admin-port', '0'] : ['--port', '0', '--admin-port', String(first.adminPort)];
        const r = await runCli(['start', '--config', configFile(cfg(up.url)), ...port, '--host', '127.0.0.1', '--workers', String(workers)]);
        assert.notEqual(r.code, 0, r.out);
        assert.notEqual(r.code, null, `did not exit: ${r.out}`);
        assert.match(r.out, /already in use/, r.out);
        assert.match(r.out, new RegExp(`${which} port ${which === 'proxy' ? first.proxyPort : first.adminPort}`), 'names the port');
        assert.equal((await get(`${first.url}/still-there`)).status, 200, 'the first gateway is unaffected');
      } finally {
        await runCleanup(cleanup);
      }
    });
  }
}

/** Child processes of `pid`, from /proc/<n>/stat (field 4 is the parent pid). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) out.push(Number(entry));
    } catch {
      // the process went away
    }
  }
  return out.sort((a, b) => a - b);
}

test('a gateway worker killed with SIGKILL (2 workers) is replaced and traffic keeps flowing', { timeout: TEST_TIMEOUT }, async () => {
  const cleanup: Cleanup = [];
  try {
    const up = await startUpstream();
    cleanup.push(up.close);
    const gw = await spawnGateway(cfg(up.url), { workers: 2 });
    cleanup.push(() => gw.stop());
    const workersBefore = childPids(gw.child.pid!);
    assert.equal(workersBefore.length, 2, `two worker processes: ${workersBefore.join(', ')}`);
    const victim = workersBefore[0]!;
    process.kill(victim, 'SIGKILL');
    // Fresh connections go to live workers only.
    for (let i = 0; i < 20; i++) assert.equal((await get(`${gw.url}/after-kill/${i}`)).status, 200);
    await waitFor(() => { const now = childPids(gw.child.pid!); return now.length === 2 && !now.includes(victim); }, 10_000, 'a replacement worker');
    await waitFor(async () => {
      const r = await readyStatus(gw);
      const body = r?.body as { gateway_versions?: string[]; config_version?: string } | undefined;
      return r?.status === 200 && body?.gateway_versions?.length === 2 && body.gateway_versions.every((v) => v === body.config_version);
    }, 10_000, '/ready with both workers on the current version');
    for (let i = 0; i < 20; i++) assert.equal((await get(`${gw.url}/after-replace/${i}`)).status, 200);
    assert.match(gw.output(), /gateway worker died; replacing it/);
    assert.equal(gw.child.exitCode, null, 'the supervisor keeps running');
    const workersAfter = childPids(gw.child.pid!);
    assert.equal(await gw.stop(), 0);
    await waitFor(() => workersAfter.every((pid) => !existsSync(`/proc/${pid}`)), 5000, 'no orphan workers');
  } finally {
    await runCleanup(cleanup);
  }
});
