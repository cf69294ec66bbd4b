// Webhook delivery benchmark: events published and delivered per second to a local receiver, and
// publish-to-delivery latency, on SQLite and on Postgres. Run: npm run bench:webhooks
// (node bench/webhooks.ts [--rates 500,1000,1500] [--duration 20] …; --help lists every option).
//
// Per store: a receiver process (bench/lib/webhook-receiver.ts: node:http, 204 at once,
// keep-alive, every 100th signature checked) and one Portcullis node (`portcullis start --roles
// admin,worker`, no gateway) on a fresh database; an event type, an application and K endpoints on
// the receiver (one path each) made through the admin API. Then, for each offered rate, events are
// published through POST /admin/webhooks/messages at a fixed rate (open loop) for a warm-up and a
// measured period, and the receiver's arrivals give the delivered rate and the latency; finally a
// closed-loop run publishes as fast as the API answers. Every event fans out to K deliveries.
//
// Postgres: PORTCULLIS_BENCH_POSTGRES (or PORTCULLIS_TEST_POSTGRES), a server where a database may
// be created (and is dropped afterwards); when unset and running as root with Debian's postgres 15
// installed, a throwaway cluster is started (as .ci/run does) and stopped at the end; otherwise the
// Postgres runs are skipped. Results: bench/results/webhooks.md and webhooks.json.
//
// Bar (issue 6): on Postgres at least 1,000 deliveries/s with p99 publish-to-delivery under 1 s.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { request } from 'undici';
import { fmt, table } from './micro/lib.ts';
import { childrenOf, cpuPercent, sampleCpu, type CpuGroups, type CpuSample } from './lib/cpu-usage.ts';
import { freePort, startThrowawayPostgres, throwawayPostgresUnavailable, type ThrowawayPostgres } from './lib/throwaway-postgres.ts';
import type { PhaseReport, ReceiverCommand, Totals } from './lib/webhook-receiver.ts';
import { webhookPublisher, type PublishRun } from './lib/webhook-publisher.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');

// --- options ----------------------------------------------------------------------------------

const HELP = `node bench/webhooks.ts [options]   (every option also as an env var WEBHOOK_BENCH_<NAME>, e.g. WEBHOOK_BENCH_RATES)
  --stores LIST          sqlite,postgres (default both; postgres needs a server, see the file header)
  --rates LIST           offered deliveries/s of the fixed-rate runs (events/s = rate / endpoints); default 500,1000,1500,2000
  --duration S           measured seconds per fixed-rate run (default 20)
  --warmup S             warm-up seconds before each measured period, same rate (default 3)
  --prime S              unmeasured seconds at the first rate after the node starts (JIT, pools, table statistics; default 5)
  --endpoints K          endpoints (= deliveries per event), default 4
  --concurrency N        publish requests in flight at most in the fixed-rate runs (default 64)
  --max-concurrency N    publish requests in flight in the max-throughput run (default 16; 0 skips the run)
  --max-duration S       measured seconds of the max-throughput run (default 10)
  --drain S              how long to wait for the last deliveries after publishing (default 30; max run: 4×)
  --profile              node --cpu-prof on the Portcullis node (bench/results/webhooks-profile/<store>/)
  --pg-stats             load pg_stat_statements on the throwaway Postgres and report the top statements per run
  --node-log FILE        append everything the Portcullis node prints to FILE (<store> in the name is replaced)`;

const { values: flags } = parseArgs({
  options: {
    stores: { type: 'string' }, rates: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, prime: { type: 'string' }, endpoints: { type: 'string' },
    concurrency: { type: 'string' }, 'max-concurrency': { type: 'string' }, 'max-duration': { type: 'string' }, drain: { type: 'string' },
    'node-log': { type: 'string' }, profile: { type: 'boolean' }, 'pg-stats': { type: 'boolean' }, help: { type: 'boolean' },
  },
});
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}
const opt = (name: keyof typeof flags): string | undefined => {
  const v = flags[name];
  return typeof v === 'string' ? v : process.env[`WEBHOOK_BENCH_${name.toUpperCase().replaceAll('-', '_')}`];
};
const num = (name: keyof typeof flags, def: number): number => {
  const v = Number(opt(name) ?? def);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number ≥ 0`);
  return v;
};
const on = (name: 'profile' | 'pg-stats') => flags[name] === true || /^(1|true|yes)$/i.test(process.env[`WEBHOOK_BENCH_${name.toUpperCase().replace('-', '_')}`] ?? '');

const STORES = (opt('stores') ?? 'sqlite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
const RATES = (opt('rates') ?? '500,1000,1500,2000').split(',').map(Number).filter((r) => r > 0);
const DURATION = num('duration', 20);
const WARMUP = num('warmup', 3);
const PRIME = num('prime', 5);
const K = Math.max(1, Math.round(num('endpoints', 4)));
const CONCURRENCY = Math.max(1, Math.round(num('concurrency', 64)));
const MAX_CONCURRENCY = Math.round(num('max-concurrency', 16));
const MAX_DURATION = num('max-duration', 10);
const DRAIN = num('drain', 30);
const PROFILE = on('profile');
const PG_STATS = on('pg-stats');
const NODE_LOG = opt('node-log');
const MAX_IN_FLIGHT = 64;
const BAR = { deliveries: 1000, p99Ms: 1000 };
for (const s of STORES) if (s !== 'sqlite' && s !== 'postgres') throw new Error(`unknown store "${s}" (sqlite, postgres)`);

const log = (line: string) => process.stderr.write(`${line}\n`);

// Whatever this process started is stopped when it ends, also when interrupted: the Portcullis
// nodes (killed) and a throwaway Postgres (stopped; it would outlive us otherwise).
const children = new Set<ChildProcess>();
const atExit: (() => void)[] = [];
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const fn of atExit) fn();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

// --- the receiver -----------------------------------------------------------------------------

/** A receiver command without its id (distributive: Omit over a union would merge its members). */
type ReceiverRequest = ReceiverCommand extends infer C ? C extends ReceiverCommand ? Omit<C, 'id'> : never : never;

interface Receiver {
  readonly port: number;
  readonly pid: number;
  ask<T>(cmd: ReceiverRequest): Promise<T>;
  stop(): void;
}

async function startReceiver(): Promise<Receiver> {
  const child = fork(join(ROOT, 'bench', 'lib', 'webhook-receiver.ts'), [], { execPath: process.execPath, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (v: unknown) => void>();
  let next = 1;
  child.on('message', (m: { id: number; result: unknown }) => {
    waiting.get(m.id)?.(m.result);
    waiting.delete(m.id);
  });
  const port = await new Promise<number>((resolve, reject) => {
    waiting.set(0, (p) => resolve(p as number));
    child.once('exit', (code) => reject(new Error(`the receiver exited (${code}) before listening`)));
  });
  return {
    port,
    pid: child.pid!,
    ask<T>(cmd: ReceiverRequest) {
      const id = next++;
      return new Promise<T>((resolve) => {
        waiting.set(id, (v) => resolve(v as T));
        child.send({ ...cmd, id });
      });
    },
    stop() { child.kill('SIGTERM'); },
  };
}

// --- the Portcullis node ----------------------------------------------------------------------

interface PortcullisNode {
  readonly adminUrl: string;
  readonly token: string;
  readonly pid: number;
  /** The last lines it printed (for error reports) and its warnings and errors. */
  tail(): string;
  warnings(): string[];
  stop(): Promise<number | null>;
}

async function startNode(db: string, stateDir: string, profileDir: string | undefined, logFile: string | undefined): Promise<PortcullisNode> {
  const token = randomBytes(24).toString('hex');
  const adminPort = await freePort();
  const execArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const args = [...execArgs, join(ROOT, 'bin', 'portcullis.ts'), 'start', '--db', db, '--state-dir', stateDir, '--roles', 'admin,worker', '--admin-port', String(adminPort), '--admin-host', '127.0.0.1'];
  const env: NodeJS.ProcessEnv = {
    ...process.env, PORTCULLIS_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8', PORTCULLIS_ADMIN_TOKEN: token, PORTCULLIS_LOG_FORMAT: 'json',
  };
  for (const k of ['PORTCULLIS_CONFIG', 'PORTCULLIS_DB', 'PORTCULLIS_STATE_DIR', 'PORTCULLIS_ROLES', 'PORTCULLIS_SECRET_KEY']) delete env[k];
  const child: ChildProcess = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: stateDir });
  children.add(child);
  let tail = '';
  const warnings: string[] = [];
  const onOutput = (c: Buffer) => {
    const text = c.toString();
    if (logFile) appendFileSync(logFile, text);
    tail = (tail + text).slice(-8000);
    for (const line of text.split('\n')) if (/"level":(40|50|60)/.test(line) && warnings.length < 50) warnings.push(line.slice(0, 400));
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    children.delete(child);
    resolve(code);
  }));
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`portcullis exited (${child.exitCode}) before it was ready:\n${tail}`);
    try {
      const r = await request(`${adminUrl}/ready`);
      await r.body.text();
      if (r.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`portcullis was not ready within 60 s:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    adminUrl, token, pid: child.pid!,
    tail: () => tail,
    warnings: () => warnings,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

async function admin<T>(node: PortcullisNode, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const r = await request(`${node.adminUrl}${path}`, {
    method, headers: { authorization: `Bearer ${node.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.body.text();
  if (r.statusCode >= 300) throw new Error(`admin ${method} ${path}: ${r.statusCode} ${text}`);
  return JSON.parse(text) as T;
}

const EVENT_TYPE = 'bench.event';

/** The event type, the application and K endpoints on the receiver; returns path → secret. */
async function setUp(node: PortcullisNode, receiverPort: number): Promise<{ application: string; secrets: Record<string, string> }> {
  await admin(node, 'POST', '/admin/webhooks/event-types', {
    name: EVENT_TYPE, description: 'webhook benchmark',
    schemas: { 1: { type: 'object', required: ['published_at', 'tag', 'seq'], properties: { published_at: { type: 'number' }, tag: { type: 'string' }, seq: { type: 'integer' } } } },
  });
  const application = 'bench';
  await admin(node, 'POST', '/admin/webhooks/applications', { name: application });
  const secrets: Record<string, string> = {};
  for (let i = 0; i < K; i++) {
    const path = `/hooks/${i}`;
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    await admin(node, 'POST', `/admin/webhooks/applications/${application}/endpoints`, {
      url: `http://127.0.0.1:${receiverPort}${path}`, allow_http: true, max_in_flight: MAX_IN_FLIGHT, event_types: [EVENT_TYPE], secret,
    });
    secrets[path] = secret;
  }
  return { application, secrets };
}

// --- Postgres ---------------------------------------------------------------------------------

interface PostgresTarget {
  readonly url: string;
  readonly server?: ThrowawayPostgres;
  readonly note: string;
}

async function postgresTarget(): Promise<PostgresTarget | string> {
  const given = process.env.PORTCULLIS_BENCH_POSTGRES?.trim() || process.env.PORTCULLIS_TEST_POSTGRES?.trim();
  if (given) return { url: given, note: 'server from PORTCULLIS_BENCH_POSTGRES' };
  const why = throwawayPostgresUnavailable();
  if (why) return `Postgres skipped: set PORTCULLIS_BENCH_POSTGRES=postgres://… (no throwaway server: ${why})`;
  const server = await startThrowawayPostgres(PG_STATS ? ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=all'] : []);
  atExit.push(() => server.stop());
  return { url: server.url, server, note: 'throwaway Postgres 15 cluster (initdb defaults, fsync and synchronous_commit on)' };
}

async function withPg<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url, application_name: 'portcullis-bench' });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

interface StatementStat { readonly query: string; readonly calls: number; readonly total_ms: number; readonly mean_ms: number; readonly rows: number }

async function pgStatements(url: string): Promise<StatementStat[]> {
  return withPg(url, async (c) => (await c.query<{ query: string; calls: string; total: number; mean: number; rows: string }>(
    `select query, calls, total_exec_time as total, mean_exec_time as mean, rows from pg_stat_statements
     where dbid = (select oid from pg_database where datname = current_database()) order by total_exec_time desc limit 12`)).rows
    .map((r) => ({ query: r.query.replace(/\s+/g, ' ').slice(0, 160), calls: Number(r.calls), total_ms: r.total, mean_ms: r.mean, rows: Number(r.rows) })));
}

// --- one run ------------------------------------------------------------------------------------

interface RunResult {
  readonly store: string;
  readonly run: string;
  readonly kind: 'fixed' | 'max';
  /** Offered deliveries/s (fixed rate only). */
  readonly offered?: number;
  readonly events_published: number;
  readonly events_per_s: number;
  readonly deliveries_per_s: number;
  readonly latency_ms: { p50: number; p90: number; p99: number; max: number };
  readonly publish_ms: { p50: number; p99: number };
  readonly publish_errors: number;
  readonly publish_error_reasons: string[];
  /** Fixed rate: share of the measured events sent more than 50 ms after their due time. */
  readonly late_sends_pct: number;
  readonly expected: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicates: number;
  /** Deliveries still on their way when publishing ended, and how long the rest took. */
  readonly backlog_at_end: number;
  readonly drain_s: number;
  readonly drained: boolean;
  readonly drain_deliveries_per_s?: number;
  /**
   * Seconds from the last delivery's arrival until the store had no pending delivery left (every
   * attempt recorded); NaN if some were still pending after the drain time. A worker whose
   * recording falls behind keeps sending, but its unrecorded results pile up in memory and their
   * leases run out (then they are sent again).
   */
  readonly record_lag_s: number;
  readonly cpu: { readonly groups: Record<string, number>; readonly machineBusy: number; readonly cores: number };
  readonly pg_statements?: StatementStat[];
}

const pct = (sorted: readonly number[], p: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!);

async function waitDrained(receiver: Receiver, tags: string[], expected: number, timeoutS: number): Promise<{ delivered: number; seconds: number; drained: boolean }> {
  const t0 = performance.now();
  for (;;) {
    const delivered = await receiver.ask<number>({ cmd: 'count', tags });
    const seconds = (performance.now() - t0) / 1000;
    if (delivered >= expected) return { delivered, seconds, drained: true };
    if (seconds >= timeoutS) return { delivered, seconds, drained: false };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Seconds until GET /admin/webhooks/deliveries?status=pending is empty, or NaN after `timeoutS`. */
async function waitRecorded(node: PortcullisNode, timeoutS: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const page = await admin<{ data: unknown[] }>(node, 'GET', '/admin/webhooks/deliveries?status=pending&limit=1');
    const seconds = (performance.now() - t0) / 1000;
    if (page.data.length === 0) return seconds;
    if (seconds >= timeoutS) return NaN;
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Context {
  readonly store: string;
  readonly node: PortcullisNode;
  readonly receiver: Receiver;
  readonly publisher: ReturnType<typeof webhookPublisher>;
  readonly cpuGroups: CpuGroups;
  readonly pgUrl?: string;
}

async function measureRun(ctx: Context, kind: 'fixed' | 'max', rate: number): Promise<RunResult> {
  const tag = kind === 'fixed' ? `r${rate}` : 'max';
  const tags = [tag, `${tag}-warm`];
  if (ctx.pgUrl && PG_STATS) await withPg(ctx.pgUrl, (c) => c.query('select pg_stat_statements_reset()'));
  let cpuA: CpuSample | undefined;
  const warmupS = WARMUP;
  const seconds = kind === 'fixed' ? DURATION : MAX_DURATION;
  const cpuTimer = setTimeout(() => { cpuA = sampleCpu(ctx.cpuGroups); }, warmupS * 1000);
  const run: PublishRun = kind === 'fixed'
    ? await ctx.publisher.fixedRate({ rate: rate / K, warmupSeconds: warmupS, seconds, tag, concurrency: CONCURRENCY })
    : await ctx.publisher.closedLoop({ warmupSeconds: warmupS, seconds, tag, concurrency: MAX_CONCURRENCY });
  const cpuB = sampleCpu(ctx.cpuGroups);
  clearTimeout(cpuTimer);
  const windowFrom = run.startedAt + warmupS * 1000;
  const windowTo = kind === 'fixed' ? windowFrom + seconds * 1000 : run.endedAt;
  const published = (run.published.get(tag) ?? 0) + (run.published.get(`${tag}-warm`) ?? 0);
  const expected = published * K;
  const deliveredAtEnd = await ctx.receiver.ask<number>({ cmd: 'count', tags });
  const drain = await waitDrained(ctx.receiver, tags, expected, kind === 'fixed' ? DRAIN : DRAIN * 4);
  const recorded = await waitRecorded(ctx.node, DRAIN);
  const statements = ctx.pgUrl && PG_STATS ? await pgStatements(ctx.pgUrl) : undefined;
  const arrivals = await ctx.receiver.ask<number>({ cmd: 'arrivals', from: windowFrom, to: windowTo });
  const phase = await ctx.receiver.ask<PhaseReport>({ cmd: 'phase', tags: [tag] });
  const warm = await ctx.receiver.ask<PhaseReport>({ cmd: 'phase', tags: [`${tag}-warm`] });
  const windowS = (windowTo - windowFrom) / 1000;
  const backlog = expected - deliveredAtEnd;
  return {
    store: ctx.store,
    run: kind === 'fixed' ? `${fmt(rate)}/s offered` : `max, ${MAX_CONCURRENCY} publishers`,
    kind,
    ...(kind === 'fixed' ? { offered: rate } : {}),
    events_published: published,
    // Answered within the measured period: when the API falls behind, fewer than offered.
    events_per_s: run.answeredAt.filter((t) => t >= windowFrom && t < windowTo).length / windowS,
    deliveries_per_s: arrivals / windowS,
    latency_ms: { p50: pct(phase.latencies, 50), p90: pct(phase.latencies, 90), p99: pct(phase.latencies, 99), max: phase.latencies.at(-1) ?? NaN },
    publish_ms: { p50: pct(run.latencies, 50), p99: pct(run.latencies, 99) },
    publish_errors: run.errors,
    publish_error_reasons: run.errorReasons,
    late_sends_pct: kind === 'fixed' ? (100 * run.late) / Math.max(1, Math.round((rate / K) * seconds)) : 0,
    expected,
    delivered: phase.distinct + warm.distinct,
    lost: expected - (phase.distinct + warm.distinct),
    duplicates: phase.duplicates + warm.duplicates,
    backlog_at_end: backlog,
    drain_s: drain.seconds,
    record_lag_s: recorded,
    drained: drain.drained,
    // Only a backlog of a second's work or more says how fast delivery alone goes.
    ...(kind === 'max' && backlog >= 1000 && drain.seconds > 0 ? { drain_deliveries_per_s: (drain.delivered - deliveredAtEnd) / drain.seconds } : {}),
    cpu: cpuA ? cpuPercent(cpuA, cpuB) : { groups: {}, machineBusy: NaN, cores: cpus().length },
    ...(statements ? { pg_statements: statements } : {}),
  };
}

// --- per store ------------------------------------------------------------------------------------

interface StoreResult {
  readonly store: string;
  readonly note: string;
  readonly runs: RunResult[];
  readonly receiver: Totals;
  readonly warnings: string[];
}

async function benchStore(store: 'sqlite' | 'postgres', receiver: Receiver, pg: PostgresTarget | undefined): Promise<StoreResult> {
  const dir = mkdtempSync(join(tmpdir(), `portcullis-bench-webhooks-${store}-`));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  atExit.push(removeDir);
  let database: { url: string; drop(): Promise<void> } | undefined;
  let node: PortcullisNode | undefined;
  try {
    let db: string;
    if (store === 'sqlite') {
      db = `sqlite:${join(dir, 'portcullis.db')}`;
    } else {
      const name = `portcullis_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
      await withPg(pg!.url, (c) => c.query(`CREATE DATABASE "${name}"`));
      const url = new URL(pg!.url);
      url.pathname = `/${name}`;
      database = { url: url.toString(), drop: () => withPg(pg!.url, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined) };
      db = database.url;
      if (PG_STATS) await withPg(db, (c) => c.query('create extension if not exists pg_stat_statements'));
    }
    const profileDir = PROFILE ? join(RESULTS, 'webhooks-profile', store) : undefined;
    if (profileDir) {
      rmSync(profileDir, { recursive: true, force: true });
      mkdirSync(profileDir, { recursive: true });
    }
    node = await startNode(db, dir, profileDir, NODE_LOG?.replaceAll('<store>', store));
    const { application, secrets } = await setUp(node, receiver.port);
    await receiver.ask({ cmd: 'secrets', secrets });
    await receiver.ask({ cmd: 'reset' });
    const nodePid = node.pid;
    const cpuGroups: CpuGroups = {
      portcullis: () => [nodePid],
      receiver: () => [receiver.pid],
      publisher: () => [process.pid],
      ...(pg?.server && store === 'postgres' ? { postgres: () => [pg.server!.pid, ...childrenOf(pg.server!.pid)] } : {}),
    };
    const publisher = webhookPublisher(node.adminUrl, node.token, application, EVENT_TYPE, Math.max(CONCURRENCY, MAX_CONCURRENCY));
    const ctx: Context = { store, node, receiver, publisher, cpuGroups, ...(database ? { pgUrl: database.url } : {}) };
    const runs: RunResult[] = [];
    let primeNote = '';
    try {
      if (PRIME > 0) {
        const rate = RATES[0] ?? 500;
        log(`${store}: priming, ${fmt(rate)} deliveries/s for ${PRIME} s (not measured)…`);
        const primed = await publisher.fixedRate({ rate: rate / K, warmupSeconds: 0, seconds: PRIME, tag: 'prime', concurrency: CONCURRENCY });
        const expected = (primed.published.get('prime') ?? 0) * K;
        const drained = await waitDrained(receiver, ['prime'], expected, DRAIN);
        primeNote = `primed with ${fmt(expected)} deliveries (${fmt(rate)}/s for ${PRIME} s), ${drained.drained ? 'all delivered' : `**${fmt(expected - drained.delivered)} not delivered**`}`;
      }
      for (const rate of RATES) {
        log(`${store}: ${fmt(rate)} deliveries/s offered (${fmt(rate / K, 1)} events/s × ${K} endpoints), ${WARMUP} s warm-up + ${DURATION} s…`);
        const r = await measureRun(ctx, 'fixed', rate);
        log(`  → ${fmt(r.deliveries_per_s)} deliveries/s, p50 ${fmt(r.latency_ms.p50, 1)} ms, p99 ${fmt(r.latency_ms.p99, 1)} ms, lost ${r.lost}, duplicates ${r.duplicates}`);
        runs.push(r);
      }
      if (MAX_CONCURRENCY > 0) {
        log(`${store}: max throughput, ${MAX_CONCURRENCY} publishers back to back, ${WARMUP} s warm-up + ${MAX_DURATION} s…`);
        const r = await measureRun(ctx, 'max', 0);
        log(`  → ${fmt(r.events_per_s)} events/s published, ${fmt(r.deliveries_per_s)} deliveries/s delivered, backlog ${r.backlog_at_end} drained in ${fmt(r.drain_s, 1)} s, lost ${r.lost}`);
        runs.push(r);
      }
    } finally {
      await publisher.close();
    }
    const totals = await receiver.ask<Totals>({ cmd: 'totals' });
    const code = await node.stop();
    if (code !== 0) log(`${store}: portcullis exited with ${code}:\n${node.tail()}`);
    return { store, note: `${store === 'sqlite' ? 'SQLite file in a temp dir' : pg!.note}${primeNote ? `; ${primeNote}` : ''}`, runs, receiver: totals, warnings: node.warnings() };
  } catch (err) {
    if (node) log(node.tail());
    throw err;
  } finally {
    await node?.stop();
    await database?.drop().catch((err: Error) => log(`could not drop the bench database: ${err.message}`));
    removeDir();
  }
}

// --- main ---------------------------------------------------------------------------------------

const results: StoreResult[] = [];
const skipped: string[] = [];
const receiver = await startReceiver();
let pg: PostgresTarget | undefined;
try {
  for (const store of STORES as ('sqlite' | 'postgres')[]) {
    if (store === 'postgres') {
      const target = await postgresTarget();
      if (typeof target === 'string') {
        skipped.push(target);
        log(target);
        continue;
      }
      pg = target;
    }
    results.push(await benchStore(store, receiver, pg));
  }
} finally {
  receiver.stop();
  pg?.server?.stop();
}

// --- report ---------------------------------------------------------------------------------------

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
/** Busy CPU outside this run's processes above which a run is marked disturbed (% of one core). */
const OTHER_MAX = 15;
const otherCpu = (r: RunResult) => r.cpu.machineBusy - Object.values(r.cpu.groups).reduce((a, b) => a + b, 0);
const ms = (v: number) => (Number.isFinite(v) ? (v < 10 ? fmt(v, 1) : fmt(v)) : '–');
const out: string[] = [];
out.push(`## Webhook delivery (portcullis ${pkg.version})`, '');
out.push(`Node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); ${new Date().toISOString()}. ` +
  'Everything (Portcullis, the store, the receiver, the publisher) shares these CPUs, unpinned.', '');
const workerEnv = Object.entries(process.env).filter(([k]) => k.startsWith('PORTCULLIS_WEBHOOK_')).map(([k, v]) => `${k}=${v}`);
out.push(`One Portcullis node (\`start --roles admin,worker\`, worker settings ${workerEnv.length > 0 ? workerEnv.join(', ') : 'at their defaults'}), one application with ${K} endpoints ` +
  `(\`max_in_flight: ${MAX_IN_FLIGHT}\`) on one local receiver (node:http, 204 at once, keep-alive); every event fans out to ${K} deliveries. ` +
  `Fixed-rate runs: events published through \`POST /admin/webhooks/messages\` at offered deliveries/s ÷ ${K} events/s (open loop, ≤ ${CONCURRENCY} requests in flight), ` +
  `${WARMUP} s warm-up then ${DURATION} s measured. "published events/s": publishes answered 202 in the measured period; "late sends": measured events sent > 50 ms after ` +
  `their due time because all ${CONCURRENCY} requests were in flight (the publish API did not keep up with the offered rate; latency then leaves out that wait). ` +
  '"delivered deliveries/s": the receiver\'s arrivals in the measured period; latency = arrival − the payload\'s `published_at` (the moment the publish request was sent; same clock), ' +
  `over the measured period's deliveries; "publish" = the API call's own latency. Max run: ${MAX_CONCURRENCY} publishers back to back, ${MAX_DURATION} s measured. ` +
  `lost = published × ${K} − distinct deliveries received after up to ${DRAIN} s of drain (warm-up included). ` +
  '"recorded after": seconds from the last arrival until the store held no pending delivery (every attempt recorded; a worker whose recording falls behind ' +
  'piles results up in memory, and their leases run out).', '');

const rows = results.flatMap((s) => s.runs.map((r) => [
  s.store, r.run, r.offered === undefined ? '–' : `${fmt(r.offered)} (${fmt(r.offered / K, 1)} ev/s)`, fmt(r.events_per_s), `**${fmt(r.deliveries_per_s)}**`,
  ms(r.latency_ms.p50), ms(r.latency_ms.p99), ms(r.latency_ms.max), ms(r.publish_ms.p50), ms(r.publish_ms.p99),
  r.kind === 'fixed' ? `${fmt(r.late_sends_pct, r.late_sends_pct > 0 && r.late_sends_pct < 10 ? 1 : 0)} %` : '–',
  `${fmt(r.lost)}${r.drained ? '' : ' (drain timed out)'}`, fmt(r.duplicates), fmt(r.publish_errors),
  Number.isFinite(r.record_lag_s) ? fmt(r.record_lag_s, 1) : `> ${fmt(DRAIN)}`,
]));
out.push(table(
  ['store', 'run', 'offered deliveries/s', 'published events/s', 'delivered deliveries/s', 'p50 ms', 'p99 ms', 'max ms', 'publish p50 ms', 'publish p99 ms', 'late sends', 'lost', 'dup', 'publish errors', 'recorded after s'],
  ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  rows,
));
out.push('');
const maxRuns = results.flatMap((s) => s.runs.filter((r) => r.kind === 'max').map((r) => ({ s, r })));
if (maxRuns.length > 0) {
  out.push(...maxRuns.map(({ s, r }) => `- ${s.store}, max run: ${fmt(r.events_published)} events published in all; ${fmt(r.backlog_at_end)} deliveries still queued when publishing stopped, ` +
    `${r.drained ? `delivered ${fmt(r.drain_s, 1)} s later` : `not all delivered after ${fmt(r.drain_s)} s`}` +
    `${r.drain_deliveries_per_s !== undefined ? ` (drain alone: ${fmt(r.drain_deliveries_per_s)} deliveries/s)` : ''}.`), '');
}

out.push(`CPU during each measured period, in % of one core (the machine has ${cpus().length}), and per delivery delivered. ` +
  '"other" = the machine\'s busy time not spent in the processes of this run (other users of the machine; ' +
  'per-process and machine figures come from different kernel counters, so it is only good to ±10 % or so' +
  `${results.some((s) => s.store === 'postgres' && !s.runs.some((r) => r.cpu.groups.postgres !== undefined)) ? '; and Postgres, when it is an external server' : ''}); ` +
  `‡ marks runs where it exceeded ${OTHER_MAX} % of a core: the figures are disturbed.`, '');
const groupNames = [...new Set(results.flatMap((s) => s.runs.flatMap((r) => Object.keys(r.cpu.groups))))];
const perDelivery = (r: RunResult, g: string) => (r.cpu.groups[g] === undefined || r.deliveries_per_s === 0 ? '–' : fmt((10_000 * r.cpu.groups[g]) / r.deliveries_per_s));
out.push(table(
  ['store', 'run', ...groupNames.map((g) => `${g} CPU`), 'other', 'machine busy', ...['portcullis', 'postgres'].filter((g) => groupNames.includes(g)).map((g) => `${g} µs/delivery`)],
  ['l', 'l', ...groupNames.map(() => 'r' as const), 'r', 'r', ...['portcullis', 'postgres'].filter((g) => groupNames.includes(g)).map(() => 'r' as const)],
  results.flatMap((s) => s.runs.map((r) => [
    s.store, `${r.run}${otherCpu(r) > OTHER_MAX ? ' ‡' : ''}`, ...groupNames.map((g) => (r.cpu.groups[g] === undefined ? '–' : `${fmt(r.cpu.groups[g])} %`)),
    otherCpu(r) < 1 ? '≈ 0 %' : `${fmt(otherCpu(r))} %`, `${fmt(r.cpu.machineBusy)} %`, ...['portcullis', 'postgres'].filter((g) => groupNames.includes(g)).map((g) => perDelivery(r, g)),
  ])),
));
out.push('');
for (const s of results) {
  out.push(`- ${s.store}: ${s.note}; receiver saw ${fmt(s.receiver.requests)} requests, checked ${fmt(s.receiver.signaturesChecked)} signatures: ` +
    `${s.receiver.signatureFailures === 0 ? 'all valid' : `**${s.receiver.signatureFailures} invalid** (${s.receiver.failureReasons.join('; ')})`}` +
    `${s.receiver.malformed > 0 ? `; ${s.receiver.malformed} malformed requests` : ''}; ${s.warnings.length} warnings logged by the node.`);
  for (const r of s.runs) if (r.publish_errors > 0) out.push(`  - ${r.run}: publish errors, e.g. ${r.publish_error_reasons.join('; ')}`);
  for (const w of s.warnings.slice(0, 5)) out.push(`  - node: \`${w}\``);
}
for (const s of skipped) out.push(`- ${s}`);
out.push('');

// The bar: a Postgres fixed-rate run offered ≥ 1,000 deliveries/s that kept up (the publisher sent
// on time, and delivered ≥ 99 % of the offered rate: 1 % for pacing and window-edge noise), lost
// nothing, and whose p99 was under 1 s; every signature checked valid.
const pgResult = results.find((s) => s.store === 'postgres');
const LATE_MAX_PCT = 1;
const meets = (r: RunResult) => r.kind === 'fixed' && r.offered! >= BAR.deliveries && r.late_sends_pct < LATE_MAX_PCT &&
  r.deliveries_per_s >= 0.99 * r.offered! && r.lost === 0 && r.latency_ms.p99 < BAR.p99Ms && Number.isFinite(r.record_lag_s);
const best = pgResult?.runs.filter(meets).sort((a, b) => b.deliveries_per_s - a.deliveries_per_s)[0];
const sigOk = pgResult !== undefined && pgResult.receiver.signatureFailures === 0;
const verdict = pgResult === undefined ? 'not measured (no Postgres)' : best && sigOk ? 'met' : 'not met';
out.push(`**Bar: Postgres ≥ ${fmt(BAR.deliveries)} deliveries/s with p99 < ${fmt(BAR.p99Ms)} ms: ${verdict}**` +
  (best ? ` (${fmt(best.deliveries_per_s)} deliveries/s at ${best.run}, p99 ${ms(best.latency_ms.p99)} ms, nothing lost).` : '.') +
  ` A run counts when it was offered ≥ ${fmt(BAR.deliveries)} deliveries/s, the publisher kept that pace (< ${LATE_MAX_PCT} % late sends), ` +
  '≥ 99 % of it was delivered (pacing and window-edge noise), nothing was lost, every attempt was recorded within the drain time, and every checked signature was valid.');
out.push('');

const markdown = out.join('\n');
mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, 'webhooks.md'), `${markdown}\n`);
writeFileSync(join(RESULTS, 'webhooks.json'), `${JSON.stringify({
  meta: { version: pkg.version, node: process.version, cpus: cpus().length, at: new Date().toISOString(), stores: STORES, rates: RATES, duration_s: DURATION, warmup_s: WARMUP, endpoints: K, concurrency: CONCURRENCY, max_concurrency: MAX_CONCURRENCY, max_duration_s: MAX_DURATION, drain_s: DRAIN },
  verdict, results, skipped,
}, null, 1)}\n`);
console.log(markdown);
if (verdict === 'not met' || results.some((s) => s.receiver.signatureFailures > 0 || s.runs.some((r) => r.lost > 0))) process.exitCode = 1;
