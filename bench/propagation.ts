// Config propagation benchmark: how long from an admin API write to the first proxied response
// that shows it. Run: npm run bench:propagation  (node bench/propagation.ts [N]).
//
// Each sample: PATCH the route's response-transformer plugin to add `x-version: v<i>` (one store
// write, revision bump), wait for its 200, then GET the proxy in a tight keep-alive loop until the
// reply carries v<i>. "after response" is the time from the PATCH's 200 to that reply (what a user
// of the admin API waits for); "after send" also counts the write itself. N sequential writes
// (default 200, env PROPAGATION_N or the first argument) after 10 unmeasured warm-up writes.
//
// Scenarios: one node on SQLite with --workers 1 and --workers 2 (write and read on the same node);
// two nodes on one Postgres database (write on A, read on B: LISTEN/NOTIFY), which needs a server:
// PORTCULLIS_BENCH_POSTGRES (or PORTCULLIS_TEST_POSTGRES), e.g. postgres://postgres@127.0.0.1:5432/postgres;
// a fresh database is created on it and dropped afterwards. Without one that scenario is skipped.
//
// Bars (RELIABILITY.md): p99 < 200 ms on SQLite, < 1 s across two Postgres nodes. Exits 1 if one
// is missed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { get } from '../test/harness/http-get.ts';
import { baseDocument, expectStatus, namedUpstream, randomToken, spawnNode, until, type NodeProcess } from '../test/harness/node.ts';
import { createTestDatabase } from '../test/harness/postgres.ts';
import { table } from './micro/lib.ts';

const N = Number(process.argv[2] ?? process.env.PROPAGATION_N ?? 200);
const WARMUP = 10;
/** A sample that has not propagated after this long counts as lost (and fails the bar). */
const GIVE_UP_MS = 10_000;

interface Result {
  readonly scenario: string;
  readonly bar: number;
  readonly afterResponse: number[];
  readonly afterSend: number[];
  readonly writeMs: number[];
  readonly lost: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '–');

/** N writes on `writer`, each timed until `reader`'s proxy serves it. */
async function measure(scenario: string, bar: number, writer: NodeProcess, reader: NodeProcess): Promise<Result> {
  const plugins = expectStatus(await writer.admin<{ data: { id: string }[] }>('GET', '/admin/plugins?route=r'), 'list plugins');
  const pluginId = plugins.body.data[0]!.id;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const afterResponse: number[] = [];
  const afterSend: number[] = [];
  const writeMs: number[] = [];
  let lost = 0;
  try {
    for (let i = 1; i <= WARMUP + N; i++) {
      const value = `v${i}`;
      const sentAt = performance.now();
      expectStatus(await writer.admin('PATCH', `/admin/plugins/${pluginId}`, { config: { add: { headers: { 'x-version': value } } } }), `write ${i}`, 200);
      const answeredAt = performance.now();
      let seenAt = NaN;
      for (;;) {
        const r = await get(`${reader.proxyUrl}/bench`, agent);
        if (r.headers['x-version'] === value) {
          seenAt = performance.now();
          break;
        }
        if (performance.now() - answeredAt > GIVE_UP_MS) break;
      }
      if (i <= WARMUP) continue;
      if (Number.isNaN(seenAt)) {
        lost++;
        continue;
      }
      afterResponse.push(seenAt - answeredAt);
      afterSend.push(seenAt - sentAt);
      writeMs.push(answeredAt - sentAt);
    }
  } finally {
    agent.destroy();
  }
  for (const a of [afterResponse, afterSend, writeMs]) a.sort((x, y) => x - y);
  return { scenario, bar, afterResponse, afterSend, writeMs, lost };
}

async function sqliteScenario(workers: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-propagation-'));
  const a = await namedUpstream('A');
  const b = await namedUpstream('B');
  let node: NodeProcess | undefined;
  try {
    node = await spawnNode({ db: `sqlite:${join(dir, 'portcullis.db')}`, workers });
    await setUp(node, a, b, [node]);
    return await measure(`SQLite, 1 node, --workers ${workers}`, 200, node, node);
  } finally {
    await node?.stop();
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresScenario(): Promise<Result> {
  const database = await createTestDatabase();
  const a = await namedUpstream('A');
  const b = await namedUpstream('B');
  const nodes: NodeProcess[] = [];
  try {
    const token = randomToken();
    nodes.push(await spawnNode({ db: database.url, adminToken: token }));
    nodes.push(await spawnNode({ db: database.url, adminToken: token }));
    await setUp(nodes[0]!, a, b, nodes);
    return await measure('Postgres, 2 nodes (write on A, served by B), --workers 1', 1000, nodes[0]!, nodes[1]!);
  } finally {
    for (const n of nodes) await n.stop();
    await a.close();
    await b.close();
    await database.drop();
  }
}

async function setUp(writer: NodeProcess, a: Parameters<typeof baseDocument>[0], b: Parameters<typeof baseDocument>[1], readers: readonly NodeProcess[]): Promise<void> {
  expectStatus(await writer.admin('POST', '/admin/config/apply', baseDocument(a, b, 'svc-a', 'v0')), 'initial config');
  for (const n of readers) {
    await until(async () => (await get(`${n.proxyUrl}/bench`)).headers['x-version'] === 'v0', 15_000, 'the initial config to be served');
  }
}

const pg = process.env.PORTCULLIS_BENCH_POSTGRES?.trim() || process.env.PORTCULLIS_TEST_POSTGRES?.trim();
if (pg) process.env.PORTCULLIS_TEST_POSTGRES = pg; // createTestDatabase() reads it

const results: Result[] = [];
for (const workers of [1, 2]) {
  process.stderr.write(`SQLite, --workers ${workers}: ${N} writes…\n`);
  results.push(await sqliteScenario(workers));
}
if (pg) {
  process.stderr.write(`Postgres, 2 nodes: ${N} writes…\n`);
  results.push(await postgresScenario());
} else {
  process.stderr.write('Postgres scenario skipped: set PORTCULLIS_BENCH_POSTGRES (or PORTCULLIS_TEST_POSTGRES)\n');
}

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
const rows = results.map((r) => {
  const p99 = percentile(r.afterResponse, 99);
  const met = r.lost === 0 && p99 < r.bar;
  return [
    r.scenario, String(r.afterResponse.length + r.lost),
    ms(percentile(r.afterResponse, 50)), ms(percentile(r.afterResponse, 95)), ms(p99), ms(r.afterResponse[r.afterResponse.length - 1] ?? NaN),
    ms(percentile(r.afterSend, 50)), ms(percentile(r.afterSend, 99)), ms(percentile(r.writeMs, 50)),
    `p99 < ${r.bar} ms: ${met ? 'met' : r.lost > 0 ? `missed (${r.lost} lost)` : 'missed'}`,
  ];
});
console.log(`## Config propagation (portcullis ${pkg.version})\n`);
console.log(`Node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); ${new Date().toISOString()}\n`);
console.log('Admin API write (PATCH of a response-transformer header) → first proxied reply showing it; ' +
  `${N} sequential writes after ${WARMUP} warm-up writes. "after response": from the write's 200; "after send": from sending the write.\n`);
console.log(table(
  ['scenario', 'N', 'p50', 'p95', 'p99', 'max', 'p50 after send', 'p99 after send', 'write p50', 'bar'],
  ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  rows,
));
if (results.some((r) => r.lost > 0 || percentile(r.afterResponse, 99) >= r.bar)) process.exitCode = 1;
