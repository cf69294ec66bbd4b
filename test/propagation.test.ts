// Config propagation on one node backed by SQLite (one and two gateway workers): while keep-alive
// clients keep hammering the proxy, admin API writes change the route (re-point it to another
// service, add a response-transformer plugin, change the plugin); no request fails or sees anything
// but the old or the new behaviour, the new one is served within 1 s of the write's 200/201, and
// the old one does not come back. A `portcullis config apply` from another process reaches the
// running node through the revision poll within 1.5 s.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BIN } from './harness/gateway.ts';
import { analyseSwitch, baseDocument, behaviourOf, expectStatus, metricValue, namedUpstream, probe, spawnNode, startLoad, until, type Load } from './harness/node.ts';

const TEST_TIMEOUT = 120_000;
/** The bar: an admin write is served within 1 s of its response. */
const ADMIN_WRITE_WITHIN_MS = 1000;
/** Another process's write is noticed by the 500 ms revision poll, then applied. */
const CLI_WRITE_WITHIN_MS = 1500;

interface Step {
  readonly what: string;
  readonly from: string;
  readonly to: string;
  /** Makes the change; resolves when the writer has confirmed it (with when it did, if not at once). */
  write(): Promise<number | void>;
  readonly withinMs: number;
}

async function runSteps(load: Load, steps: readonly Step[], strictOrder: boolean): Promise<string[]> {
  const report: string[] = [];
  const windows: { step: Step; since: number; writtenAt: number }[] = [];
  for (const step of steps) {
    const since = performance.now();
    const confirmedAt = await step.write();
    const writtenAt = typeof confirmedAt === 'number' ? confirmedAt : performance.now();
    windows.push({ step, since, writtenAt });
    await until(() => load.samples.some((s) => s.doneAt >= since && s.behaviour === step.to), 15_000, `${step.what}: load to see ${step.to}`, 5);
    // Let the load run on the new behaviour for a while (old replies would show up here).
    const seenAt = load.count();
    await until(() => load.count() >= seenAt + 300, 15_000, `${step.what}: load to continue`, 5);
    await new Promise((r) => setTimeout(r, 150));
  }
  const end = performance.now();
  for (const [i, w] of windows.entries()) {
    const untilT = windows[i + 1]?.since ?? end;
    const s = analyseSwitch(load.samples, { since: w.since, writtenAt: w.writtenAt, until: untilT, from: w.step.from, to: w.step.to });
    report.push(`${w.step.what}: ${w.step.from} → ${w.step.to} after ${s.firstNewAfterMs.toFixed(1)} ms (${s.replies} replies; last old sent at +${s.lastOldSentAfterMs === -Infinity ? '-' : s.lastOldSentAfterMs.toFixed(1)} ms)`);
    assert.deepEqual(s.unexpected, [], `${w.step.what}: only ${w.step.from} or ${w.step.to} may be served`);
    assert.ok(s.firstNewAfterMs < w.step.withinMs, `${w.step.what}: the new behaviour was first served ${s.firstNewAfterMs.toFixed(1)} ms after the write (bar ${w.step.withinMs} ms)`);
    // Old behaviour never reappears: with one gateway process not after the first new reply; with
    // several, each applies on its own (IPC) but all within the bar.
    if (strictOrder) assert.equal(s.oldAfterFirstNew, 0, `${w.step.what}: ${s.oldAfterFirstNew} requests sent after the first ${w.step.to} reply still got ${w.step.from}`);
    assert.ok(s.lastOldSentAfterMs < w.step.withinMs, `${w.step.what}: a request sent ${s.lastOldSentAfterMs.toFixed(1)} ms after the write still got ${w.step.from}`);
  }
  return report;
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-propagation-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

for (const workers of [1, 2]) {
  test(`SQLite, ${workers} worker(s): admin writes under load are served within 1 s, no request fails; config apply from another process within 1.5 s`, { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = tempDir(t);
    const db = `sqlite:${join(dir, 'portcullis.db')}`;
    const a = await namedUpstream('A');
    t.after(() => a.close());
    const b = await namedUpstream('B');
    t.after(() => b.close());
    const node = await spawnNode({ db, workers, t });

    expectStatus(await node.admin('POST', '/admin/config/apply', baseDocument(a, b)), 'initial config');
    await until(async () => (await probe(node)) === 'A/-', 10_000, 'the initial config to be served');

    const load = startLoad(node.proxyUrl, behaviourOf, { clients: 8 });
    t.after(() => load.stop());
    await until(() => load.count() >= 200, 15_000, 'the load to start');

    let pluginId = '';
    const cliFile = join(dir, 'next.json');
    const steps: Step[] = [
      {
        what: 'PATCH route service', from: 'A/-', to: 'B/-', withinMs: ADMIN_WRITE_WITHIN_MS,
        async write() { expectStatus(await node.admin('PATCH', '/admin/routes/r', { service: 'svc-b' }), 'PATCH route', 200); },
      },
      {
        what: 'POST route plugin', from: 'B/-', to: 'B/v2', withinMs: ADMIN_WRITE_WITHIN_MS,
        async write() {
          const r = expectStatus(await node.admin('POST', '/admin/plugins', { name: 'response-transformer', route: 'r', config: { add: { headers: { 'x-version': 'v2' } } } }), 'POST plugin', 201);
          pluginId = String(r.body.id);
        },
      },
      {
        what: 'PATCH plugin config', from: 'B/v2', to: 'B/v3', withinMs: ADMIN_WRITE_WITHIN_MS,
        async write() { expectStatus(await node.admin('PATCH', `/admin/plugins/${pluginId}`, { config: { add: { headers: { 'x-version': 'v3' } } } }), 'PATCH plugin', 200); },
      },
      {
        what: 'PATCH route back', from: 'B/v3', to: 'A/v3', withinMs: ADMIN_WRITE_WITHIN_MS,
        async write() { expectStatus(await node.admin('PATCH', '/admin/routes/r', { service: 'svc-a' }), 'PATCH route back', 200); },
      },
      {
        what: 'config apply (CLI process)', from: 'A/v3', to: 'A/cli', withinMs: CLI_WRITE_WITHIN_MS,
        async write() {
          writeFileSync(cliFile, JSON.stringify(baseDocument(a, b, 'svc-a', 'cli')));
          const cli = spawn(process.execPath, [BIN, 'config', 'apply', cliFile, '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          // Timed from when it reports the commit ("applied to …"), not from its exit.
          let appliedAt: number | undefined;
          cli.stdout.on('data', (c: Buffer) => {
            out += c.toString();
            if (appliedAt === undefined && out.includes('applied to ')) appliedAt = performance.now();
          });
          cli.stderr.on('data', (c: Buffer) => { out += c.toString(); });
          const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
          assert.equal(code, 0, `config apply failed:\n${out}`);
          assert.match(out, /applied to sqlite:.*: revision \d+/, out);
          return appliedAt;
        },
      },
    ];
    const report = await runSteps(load, steps, workers === 1);
    await load.stop();
    t.diagnostic(`${load.samples.length} replies, ${load.failures.length} failures`);
    for (const line of report) t.diagnostic(line);

    assert.deepEqual(load.failures.slice(0, 5), [], `${load.failures.length} requests failed (connection errors)`);
    const known = new Set(['A/-', 'B/-', 'B/v2', 'B/v3', 'A/v3', 'A/cli']);
    const odd = load.samples.filter((s) => !known.has(s.behaviour));
    assert.deepEqual(odd.slice(0, 5), [], `${odd.length} of ${load.samples.length} replies were neither the old nor the new behaviour (or not 200)`);

    // The node reports the store's revision.
    const exported = expectStatus(await node.admin('GET', '/admin/config'), 'export');
    const revision = Number(exported.headers['x-config-revision']);
    assert.ok(revision >= 6, `revision ${revision}`);
    await until(async () => (await node.ready()).config_revision === revision, 5000, `/ready to report revision ${revision}`);
    const ready = await node.ready();
    assert.equal(ready.config_source, 'store');
    assert.equal(ready.store?.up, true);
    assert.equal(ready.store?.serving, 'live');
    assert.deepEqual(ready.gateway_versions, Array<string>(workers).fill(ready.config_version!));
    assert.equal(metricValue(await node.metrics(), 'portcullis_config_revision'), revision);
    assert.equal(node.child.exitCode, null, 'the node keeps running');
    assert.equal(await node.stop(), 0, 'a clean shutdown');
  });
}
