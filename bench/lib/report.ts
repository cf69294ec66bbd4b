// Turns one bench/run.sh run (SCRATCH/raw.jsonl, meta.tsv, rss-*.tsv) into
// RESULTS_DIR/latest.md and RESULTS_DIR/latest.json, and prints the Markdown.
// Usage: node bench/lib/report.ts SCRATCH_DIR RESULTS_DIR
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface WrkResult {
  duration_us?: number;
  requests?: number;
  bytes?: number;
  errors?: { connect: number; read: number; write: number; status: number; timeout: number };
  latency_us?: { mean: number; stdev: number; max: number; p50: number; p75: number; p90: number; p99: number; p999: number };
  rate?: number;
  slots?: number;
  late_slots?: number;
}

interface Measurement {
  round: number;
  target: string;
  mode: 'prime' | 'warmup' | 'max' | 'rate';
  path: string;
  seconds: number;
  rate: number;
  alive: boolean;
  cpu_before: [number, number][];
  cpu_after: [number, number][];
  target_ticks: number;
  foreign_ticks?: number;
  upstream_before: [number, number] | null;
  upstream_after: [number, number] | null;
  rss_kb: number;
  wrk: WrkResult;
}

const [scratch, resultsDir] = process.argv.slice(2);
if (!scratch || !resultsDir) {
  console.error('usage: node bench/lib/report.ts SCRATCH_DIR RESULTS_DIR');
  process.exit(2);
}

const meta = new Map<string, string>();
for (const line of readFileSync(join(scratch, 'meta.tsv'), 'utf8').split('\n')) {
  const tab = line.indexOf('\t');
  if (tab > 0) meta.set(line.slice(0, tab), line.slice(tab + 1));
}
const m = (key: string): string => meta.get(key) ?? '';
const num = (key: string): number => Number(meta.get(key) ?? NaN);

const records: Measurement[] = readFileSync(join(scratch, 'raw.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Measurement);

const targets = m('targets').split(' ').filter(Boolean);
const paths = [...new Set(records.filter((r) => r.mode === 'max').map((r) => r.path))];
const clkTck = num('clk_tck') || 100;

// --- helpers --------------------------------------------------------------------------------
function median(values: readonly number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Half the min-max range, relative to the median (the "±" shown next to medians). */
function spread(values: readonly number[]): number {
  const med = median(values);
  if (values.length < 2 || !(med > 0)) return NaN;
  return (Math.max(...values) - Math.min(...values)) / 2 / med;
}

function cpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

/** Busy share (0-100) of the given cores between the two /proc/stat snapshots. */
function busyPct(r: Measurement, cores: readonly number[]): number {
  let busy = 0;
  let total = 0;
  for (const c of cores) {
    const a = r.cpu_before[c];
    const b = r.cpu_after[c];
    if (!a || !b) continue;
    busy += b[0] - a[0];
    total += b[1] - a[1];
  }
  return total > 0 ? (100 * busy) / total : NaN;
}

/** Wall-clock length of the measurement window in ticks (all cores' jiffies ÷ number of cores). */
function windowTicks(r: Measurement): number {
  let total = 0;
  r.cpu_after.forEach((a, c) => { total += a[1] - (r.cpu_before[c]?.[1] ?? a[1]); });
  return r.cpu_after.length > 0 ? total / r.cpu_after.length : r.seconds * clkTck;
}
const otherPct = (r: Measurement): number => (r.foreign_ticks === undefined ? NaN : (100 * r.foreign_ticks) / windowTicks(r));
const rps = (r: Measurement): number => (r.wrk.requests && r.wrk.duration_us ? (r.wrk.requests * 1e6) / r.wrk.duration_us : NaN);
const ms = (us: number | undefined): number => (us === undefined ? NaN : us / 1000);
const errorsOf = (r: Measurement): number => {
  const e = r.wrk.errors;
  return e ? e.connect + e.read + e.write + e.timeout + e.status : 0;
};

function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
const fmtMs = (v: number): string => fmt(v, v < 10 ? 2 : 1);
const fmtPct = (v: number): string => (Number.isFinite(v) ? `±${fmt(v * 100)}%` : '');
const mib = (kb: number): string => `${fmt(kb / 1024, 1)} MiB`;

function table(header: readonly string[], align: string, rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${[...align].map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

// --- closed-loop throughput -----------------------------------------------------------------
const loadgenCores = cpuList(m('loadgen_cpus'));
const targetCores = cpuList(m('target_cpus'));
const LOADGEN_BOUND = 85;
const OTHER_MAX = 10;

interface MaxRow {
  target: string;
  path: string;
  rounds: number;
  rps: number;
  rpsSpread: number;
  p50_ms: number;
  p99_ms: number;
  cpu_us_per_req: number;
  target_core_pct: number;
  loadgen_core_pct: number;
  /** CPU used by processes outside the run, in % of one core (max over rounds). */
  other_pct: number;
  errors: number;
  new_upstream_conns: number;
  upstream_reqs_per_req: number;
  x_direct?: number;
  x_nginx?: number;
}

const maxRows: MaxRow[] = [];
for (const target of targets) {
  for (const path of paths) {
    const rs = records.filter((r) => r.mode === 'max' && r.target === target && r.path === path);
    if (rs.length === 0) continue;
    const upstream = rs.map((r) => {
      if (!r.upstream_before || !r.upstream_after) return [NaN, NaN] as const;
      // Each status reading adds one connection and one request of its own.
      return [r.upstream_after[0] - r.upstream_before[0] - 1, r.upstream_after[1] - r.upstream_before[1] - 1] as const;
    });
    maxRows.push({
      target,
      path,
      rounds: rs.length,
      rps: median(rs.map(rps)),
      rpsSpread: spread(rs.map(rps)),
      p50_ms: median(rs.map((r) => ms(r.wrk.latency_us?.p50))),
      p99_ms: median(rs.map((r) => ms(r.wrk.latency_us?.p99))),
      cpu_us_per_req: median(rs.map((r) => (r.wrk.requests ? ((r.target_ticks / clkTck) * 1e6) / r.wrk.requests : NaN))),
      target_core_pct: median(rs.map((r) => busyPct(r, targetCores))),
      loadgen_core_pct: median(rs.map((r) => busyPct(r, loadgenCores))),
      other_pct: Math.max(...rs.map(otherPct)),
      errors: rs.reduce((s, r) => s + errorsOf(r), 0),
      new_upstream_conns: median(upstream.map((u) => u[0])),
      upstream_reqs_per_req: median(upstream.map((u, i) => u[1] / (rs[i]!.wrk.requests ?? NaN))),
    });
  }
}
for (const row of maxRows) {
  const ref = (t: string) => maxRows.find((r) => r.target === t && r.path === row.path)?.rps;
  const d = ref('direct');
  const n = ref('nginx');
  if (d) row.x_direct = row.rps / d;
  if (n) row.x_nginx = row.rps / n;
}

// --- authentication cost --------------------------------------------------------------------
// The issue's performance bar: an auth plugin on the route may cost at most this share of the
// plugin-less route's req/s (same run, same path, medians over rounds).
const AUTH_BARS = [
  { target: 'portcullis-key-auth', plugin: 'key-auth', bar: 0.10 },
  { target: 'portcullis-jwt', plugin: 'jwt (RS256, cached key)', bar: 0.25 },
] as const;
const AUTH_BASE = 'portcullis';

interface AuthCostRow {
  path: string;
  target: string;
  /** The plugin-less target it is compared with. */
  base_target: string;
  plugin: string;
  base_rps: number;
  base_rps_spread: number;
  rps: number;
  rps_spread: number;
  /** 1 − rps ÷ base_rps. */
  cost: number;
  bar: number;
  met: boolean;
  /** The cost is within the two rows' ± spread of the bar: one more run could flip `met`. */
  near_bar: boolean;
  base_cpu_us_per_req: number;
  cpu_us_per_req: number;
  cpu_us_per_req_delta: number;
}
/** Sum of two rows' ± spreads (0 where a single round gave none). */
const noiseOf = (a: MaxRow, b: MaxRow): number =>
  (Number.isFinite(a.rpsSpread) ? a.rpsSpread : 0) + (Number.isFinite(b.rpsSpread) ? b.rpsSpread : 0);

/** Per path, each plugin target against the plugin-less base target: cost = 1 − rps ÷ base rps. */
function costRows(bars: readonly { target: string; plugin: string; bar: number; base?: string }[], baseTarget: string): AuthCostRow[] {
  const rows: AuthCostRow[] = [];
  for (const path of paths) {
    for (const { target, plugin, bar, base: ownBase } of bars) {
      const base = maxRows.find((r) => r.target === (ownBase ?? baseTarget) && r.path === path);
      const row = maxRows.find((r) => r.target === target && r.path === path);
      if (!base || !row) continue;
      const cost = 1 - row.rps / base.rps;
      rows.push({
        path, target, plugin, base_target: base.target,
        base_rps: base.rps, base_rps_spread: base.rpsSpread, rps: row.rps, rps_spread: row.rpsSpread,
        cost, bar, met: cost < bar, near_bar: Math.abs(cost - bar) <= noiseOf(base, row),
        base_cpu_us_per_req: base.cpu_us_per_req, cpu_us_per_req: row.cpu_us_per_req,
        cpu_us_per_req_delta: row.cpu_us_per_req - base.cpu_us_per_req,
      });
    }
  }
  return rows;
}
const authRows = costRows(AUTH_BARS, AUTH_BASE);

// --- traffic-control cost -------------------------------------------------------------------
// The issue's bar: rate limiting costs < 10 % of req/s in process, < 30 % on Redis (against the
// plugin-less route, as for auth); a cache hit is served at least as fast as nginx proxying the
// same response uncached (req/s ratio ≥ 1; CPU µs/req shown too, since nginx is often harness-bound).
const RATE_LIMIT_BARS = [
  { target: 'portcullis-rate-limit', plugin: 'rate-limiting (local)', bar: 0.10 },
  { target: 'portcullis-rate-limit-redis', plugin: 'rate-limiting (Redis)', bar: 0.30 },
  // --workers 2 on one core, against the plugin-less route with the same workers: counting across workers.
  { target: 'portcullis-rate-limit-workers', plugin: 'rate-limiting (local, --workers 2)', bar: 0.10, base: 'portcullis-workers' },
  // The same, counted per client (x-client header, KEYS values): many small counts, a lease per client.
  { target: 'portcullis-rate-limit-keys-workers', plugin: 'rate-limiting (local, --workers 2, per client)', bar: 0.10, base: 'portcullis-workers' },
] as const;
const rateLimitRows = costRows(RATE_LIMIT_BARS, AUTH_BASE);
const CACHE_TARGET = 'portcullis-cache';
const CACHE_REF = 'nginx';
/**
 * The floor references, when they ran: node:http (bench/targets/node-http.ts) and bare node:net
 * (bench/targets/node-net.ts) answering the stored response from memory and doing nothing else.
 */
const CACHE_FLOORS = [
  { target: 'node-http', what: 'node:http answering, from memory, the same stored response with the same fields a hit adds, and doing nothing else (no routing, plugins, metrics or logs; bench/targets/node-http.ts). No gateway that reads its requests with node:http can serve a hit faster on this core; the fast lane (gateway.http_engine: fast, the default) reads simple requests itself and can go beyond it ("hit ×floor" above 1.00).' },
  { target: 'node-net', what: 'the same answers on bare node:net: per request it finds the end of the head and the path, and writes head and body in one write (bench/targets/node-net.ts). The floor under any Node.js server on this core: one read and one write system call, the loopback delivery, libuv and node\'s socket streams. What a hit costs beyond it is the gateway\'s own work.' },
] as const;

/** A floor reference's figures beside the cache hit's, per path. */
interface FloorFigures {
  target: string;
  rps: number;
  rps_spread: number;
  cpu_us_per_req: number;
  /** Cache-hit req/s ÷ the floor's: the share of what the floor gets that the hit keeps. */
  x_floor: number;
}

interface CacheRow {
  path: string;
  rps: number;
  rps_spread: number;
  nginx_rps: number;
  nginx_rps_spread: number;
  /** req/s of the cache hits ÷ nginx's req/s; the bar is ≥ 1. */
  ratio: number;
  met: boolean;
  near_bar: boolean;
  cpu_us_per_req: number;
  nginx_cpu_us_per_req: number;
  /** Cache-hit req/s ÷ the plugin-less portcullis route's (same path). */
  x_portcullis: number;
  portcullis_cpu_us_per_req: number;
  upstream_reqs_per_req: number;
  /** The floor references that ran (CACHE_FLOORS). */
  floors: FloorFigures[];
}
const cacheRows: CacheRow[] = [];
for (const path of paths) {
  const row = maxRows.find((r) => r.target === CACHE_TARGET && r.path === path);
  const ref = maxRows.find((r) => r.target === CACHE_REF && r.path === path);
  if (!row || !ref) continue;
  const plain = maxRows.find((r) => r.target === AUTH_BASE && r.path === path);
  const ratio = row.rps / ref.rps;
  cacheRows.push({
    path, rps: row.rps, rps_spread: row.rpsSpread, nginx_rps: ref.rps, nginx_rps_spread: ref.rpsSpread,
    ratio, met: ratio >= 1, near_bar: Math.abs(ratio - 1) <= noiseOf(row, ref),
    cpu_us_per_req: row.cpu_us_per_req, nginx_cpu_us_per_req: ref.cpu_us_per_req,
    x_portcullis: plain ? row.rps / plain.rps : NaN, portcullis_cpu_us_per_req: plain?.cpu_us_per_req ?? NaN,
    upstream_reqs_per_req: row.upstream_reqs_per_req,
    floors: CACHE_FLOORS.flatMap(({ target }) => {
      const floor = maxRows.find((r) => r.target === target && r.path === path);
      return floor ? [{ target, rps: floor.rps, rps_spread: floor.rpsSpread, cpu_us_per_req: floor.cpu_us_per_req, x_floor: row.rps / floor.rps }] : [];
    }),
  });
}
/** The plugins' own counters from the targets' admin /metrics at the end of the run (run.sh). */
const pluginMetrics = targets
  .filter((t) => meta.has(`plugin_metrics:${t}`))
  .map((t) => ({
    target: t,
    counters: Object.fromEntries(m(`plugin_metrics:${t}`).split(';').filter(Boolean).map((kv) => {
      const at = kv.lastIndexOf(' ');
      return [kv.slice(0, at), Number(kv.slice(at + 1))];
    })) as Record<string, number>,
  }));

/** Script calls the bench's Redis served (portcullis-rate-limit-redis), when it ran. */
const redisScriptCalls = meta.has('redis_script_calls') ? Number(m('redis_script_calls')) : undefined;

// --- fixed rate -----------------------------------------------------------------------------
interface RateRow {
  target: string;
  path: string;
  rate: number;
  achieved: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  p999_ms: number;
  late_pct: number;
  errors: number;
}
const rateRows: RateRow[] = [];
for (const target of targets) {
  const rs = records.filter((r) => r.mode === 'rate' && r.target === target);
  if (rs.length === 0) continue;
  rateRows.push({
    target,
    path: rs[0]!.path,
    rate: rs[0]!.rate,
    achieved: median(rs.map(rps)),
    p50_ms: median(rs.map((r) => ms(r.wrk.latency_us?.p50))),
    p90_ms: median(rs.map((r) => ms(r.wrk.latency_us?.p90))),
    p99_ms: median(rs.map((r) => ms(r.wrk.latency_us?.p99))),
    p999_ms: median(rs.map((r) => ms(r.wrk.latency_us?.p999))),
    late_pct: median(rs.map((r) => (r.wrk.slots ? (100 * (r.wrk.late_slots ?? 0)) / r.wrk.slots : NaN))),
    errors: rs.reduce((s, r) => s + errorsOf(r), 0),
  });
}

// --- memory ---------------------------------------------------------------------------------
interface RssSummary {
  target: string;
  marks: { label: string; kb: number; heap_used_kb?: number; heap_total_kb?: number; external_kb?: number }[];
  samples: [number, number][];
  max_sampled_kb: number;
  hwm_kb: number;
  growth_kb: number;
}
const rss: RssSummary[] = [];
for (const target of targets.filter((t) => t.startsWith('portcullis'))) {
  const readTsv = (file: string): string[][] =>
    existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t')) : [];
  const opt = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));
  const marks = readTsv(join(scratch, `rss-marks-${target}.tsv`)).map(([label, kb, used, total, external]) => ({
    label: label ?? '', kb: Number(kb), heap_used_kb: opt(used), heap_total_kb: opt(total), external_kb: opt(external),
  }));
  const samples = readTsv(join(scratch, `rss-${target}.tsv`)).map(([s, kb]) => [Number(s), Number(kb)] as [number, number]).filter(([, kb]) => kb > 0);
  const base = marks.find((x) => x.label === 'after prime') ?? marks[0];
  const end = marks.find((x) => x.label === 'end') ?? marks[marks.length - 1];
  rss.push({
    target,
    marks,
    samples,
    max_sampled_kb: samples.reduce((a, [, kb]) => Math.max(a, kb), 0),
    hwm_kb: num(`hwm_kb:${target}`),
    growth_kb: base && end ? end.kb - base.kb : NaN,
  });
}

// --- Markdown -------------------------------------------------------------------------------
const out: string[] = [];
out.push('# Portcullis benchmark: latest run', '');
out.push(`Written by \`npm run bench\` (bench/run.sh) on ${m('date')}. How to read it: bench/README.md.`, '');
out.push(`- **Machine:** ${m('cpu_model')}, ${m('host_cpus')} CPUs, ${m('mem_total')}, kernel ${m('kernel')}; Node ${m('node')}, nginx ${m('nginx')}, wrk ${m('wrk')}.`);
out.push(`- **CPU placement (taskset):** targets on core ${m('target_cpus')} (one at a time under load); wrk on core ${m('loadgen_cpus')}, upstream nginx (1 worker) on core ${m('upstream_cpus')}.`);
out.push(`- **Targets:** ${targets.map((t) => `${t} = ${m(`version:${t}`)}`).join('; ')}.`);
out.push(`- **Load:** \`wrk -t${m('threads')} -c${m('conns')}\` keep-alive; each target primed ${m('prime_s')} s; ${m('rounds')} interleaved rounds of ${m('warmup_s')} s warm-up, ${m('duration_s')} s per path` +
  `${num('rate') > 0 ? `, ${m('rate_duration_s')} s at ${fmt(num('rate'))} req/s on ${m('rate_path')}` : ''}. Figures are medians over rounds (± = half the min–max range). ` +
  `/json = ${fmt(num('json_bytes'))} B, /big = ${fmt(num('big_bytes'))} B; every body checked byte-identical through each target before measuring.` +
  `${num('keys') > 0 ? ` Every request carries one of ${fmt(num('keys'))} \`x-client\` values, at random (all targets).` : ''}`);
out.push(`- **Duration:** ${m('elapsed_s')} s of measurement${num('quiet_waited_s') > 0 ? ` (of which ${m('quiet_waited_s')} s waiting for other processes to go quiet)` : ''}.`, '');

out.push('## Throughput and latency (closed loop)', '');
const bound = (r: MaxRow) => (r.loadgen_core_pct >= LOADGEN_BOUND ? ' †' : '') + (r.other_pct > OTHER_MAX ? ' ‡' : '');
out.push(table(
  ['target', 'path', 'req/s', 'p50 ms', 'p99 ms', '×direct', '×nginx', 'CPU µs/req'],
  'llrrrrrr',
  maxRows.map((r) => [
    r.target, r.path, `${fmt(r.rps)}${bound(r)} ${fmtPct(r.rpsSpread)}`.trim(), fmtMs(r.p50_ms), fmtMs(r.p99_ms),
    fmt(r.x_direct ?? NaN, 2), fmt(r.x_nginx ?? NaN, 2), fmt(r.cpu_us_per_req),
  ]),
));
out.push('');
if (maxRows.some((r) => r.loadgen_core_pct >= LOADGEN_BOUND)) {
  out.push(`† core ${m('loadgen_cpus')} (wrk + upstream) was ≥ ${LOADGEN_BOUND} % busy: the harness, not the target, set the limit; compare CPU µs/req instead.`, '');
}
if (maxRows.some((r) => r.other_pct > OTHER_MAX)) {
  out.push(`‡ processes outside this run used more than ${OTHER_MAX} % of a core during at least one round: the figure is disturbed (see "other procs" below); rerun on a quiet machine.`, '');
}
out.push(table(
  ['target', 'path', `core ${m('target_cpus')} (target) busy`, `core ${m('loadgen_cpus')} (wrk+upstream) busy`, 'other procs (max)', 'new upstream conns', 'upstream req per req', 'errors'],
  'llrrrrrr',
  maxRows.map((r) => [
    r.target, r.path, `${fmt(r.target_core_pct)} %`, `${fmt(r.loadgen_core_pct)} %`, `${fmt(r.other_pct)} %`,
    r.target === 'direct' ? '–' : fmt(r.new_upstream_conns), r.target === 'direct' ? '–' : fmt(r.upstream_reqs_per_req, 3), fmt(r.errors),
  ]),
));
out.push('');

if (authRows.length > 0) {
  out.push('## Authentication cost', '');
  out.push(`The same route with one auth plugin, each request carrying a valid credential, against ${AUTH_BASE} without it (same run, same path). ` +
    'cost = 1 − (req/s with ÷ req/s without); bar: key-auth < 10 %, jwt with a cached RS256 key < 25 %. CPU µs/req: the target\'s CPU per request without → with the plugin.', '');
  const signed = (v: number, digits = 0): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${fmt(Math.abs(v), digits)}` : '–');
  out.push(table(
    ['path', 'plugin', `${AUTH_BASE} req/s`, 'with plugin req/s', 'cost', 'bar', 'met', 'CPU µs/req', 'Δ CPU µs/req'],
    'llrrrrlrr',
    authRows.map((r) => {
      const mark = (t: string) => { const row = maxRows.find((x) => x.target === t && x.path === r.path); return row ? bound(row) : ''; };
      return [
        r.path, r.plugin,
        `${fmt(r.base_rps)}${mark(AUTH_BASE)} ${fmtPct(r.base_rps_spread)}`.trim(), `${fmt(r.rps)}${mark(r.target)} ${fmtPct(r.rps_spread)}`.trim(),
        `${r.cost < 0 ? '−' : ''}${fmt(Math.abs(r.cost * 100), 1)} %`, `< ${fmt(r.bar * 100)} %`, `${r.met ? 'yes' : '**no**'}${r.near_bar ? ' (within ±)' : ''}`,
        `${fmt(r.base_cpu_us_per_req)} → ${fmt(r.cpu_us_per_req)}`, `${signed(r.cpu_us_per_req_delta)} (${signed((100 * r.cpu_us_per_req_delta) / r.base_cpu_us_per_req)} %)`,
      ];
    }),
  ));
  out.push('');
  if (authRows.some((r) => r.near_bar)) {
    out.push('"within ±": the cost is closer to the bar than the two req/s figures\' spread across rounds: rerun with more rounds before concluding.', '');
  }
} else if (!targets.includes(AUTH_BASE) && AUTH_BARS.some((b) => targets.includes(b.target))) {
  out.push('## Authentication cost', '', `Not computed: it compares the auth targets with ${AUTH_BASE}, which was not in this run's TARGETS.`, '');
}

if (rateLimitRows.length > 0 || cacheRows.length > 0) {
  out.push('## Traffic control cost', '');
  const signed = (v: number, digits = 0): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${fmt(Math.abs(v), digits)}` : '–');
  const mark = (t: string, path: string) => { const row = maxRows.find((x) => x.target === t && x.path === path); return row ? bound(row) : ''; };
  if (rateLimitRows.length > 0) {
    out.push(`**Rate limiting.** The same route with rate-limiting (limit_by ip, one window far above what wrk can send: every request is counted and allowed) against ${AUTH_BASE} without it (same run, same path); the \`--workers 2\` rows against portcullis-workers, the same two workers without the plugin, all on the target's one core (CPU µs/req is the supervisor's and the workers' together)` +
      `${rateLimitRows.some((r) => r.target === 'portcullis-rate-limit-keys-workers') ? `; "per client" counts by the \`x-client\` header, one of ${fmt(num('keys'))} values per request, instead of by IP` : ''}. ` +
      'cost = 1 − (req/s with ÷ req/s without); bar: local (in process) < 10 %, Redis < 30 %. The Redis server runs on core ' +
      `${m('upstream_cpus')} with wrk and the upstream, so its CPU is not in the target's CPU µs/req.`, '');
    out.push(table(
      ['path', 'plugin', 'without plugin req/s', 'with plugin req/s', 'cost', 'bar', 'met', 'CPU µs/req', 'Δ CPU µs/req'],
      'llrrrrlrr',
      rateLimitRows.map((r) => [
        r.path, r.plugin,
        `${fmt(r.base_rps)}${mark(r.base_target, r.path)} ${fmtPct(r.base_rps_spread)}`.trim(), `${fmt(r.rps)}${mark(r.target, r.path)} ${fmtPct(r.rps_spread)}`.trim(),
        `${r.cost < 0 ? '−' : ''}${fmt(Math.abs(r.cost * 100), 1)} %`, `< ${fmt(r.bar * 100)} %`, `${r.met ? 'yes' : '**no**'}${r.near_bar ? ' (within ±)' : ''}`,
        `${fmt(r.base_cpu_us_per_req)} → ${fmt(r.cpu_us_per_req)}`, `${signed(r.cpu_us_per_req_delta)} (${signed((100 * r.cpu_us_per_req_delta) / r.base_cpu_us_per_req)} %)`,
      ]),
    ));
    out.push('');
  } else if (!targets.includes(AUTH_BASE) && RATE_LIMIT_BARS.some((b) => targets.includes(b.target))) {
    out.push(`**Rate limiting:** not computed: it compares the rate-limit targets with ${AUTH_BASE}, which was not in this run's TARGETS.`, '');
  }
  if (cacheRows.length > 0) {
    out.push(`**Cache hits.** ${CACHE_TARGET} (proxy-cache, memory; the upstream marks its responses \`public, max-age=3600\`, so every request after the first of each path is a hit) against ${CACHE_REF} proxying the same response uncached. ` +
      `Bar: ≥ ${CACHE_REF}'s req/s (ratio ≥ 1.00). When ${CACHE_REF} is harness-bound (†) its req/s is the harness's ceiling, so compare CPU µs/req as well: ` +
      `"CPU ×${CACHE_REF}" = ${CACHE_REF}'s CPU per request ÷ the cache's (≥ 1.00: a hit costs no more CPU than nginx's proxying).`, '');
    out.push(table(
      ['path', `${CACHE_TARGET} req/s`, `${CACHE_REF} req/s`, 'ratio', 'bar', 'met', `CPU µs/req (cache vs ${CACHE_REF})`, `CPU ×${CACHE_REF}`, `×${AUTH_BASE} req/s (CPU µs/req)`, 'upstream req per req'],
      'lrrrrlrrrr',
      cacheRows.map((r) => [
        r.path,
        `${fmt(r.rps)}${mark(CACHE_TARGET, r.path)} ${fmtPct(r.rps_spread)}`.trim(), `${fmt(r.nginx_rps)}${mark(CACHE_REF, r.path)} ${fmtPct(r.nginx_rps_spread)}`.trim(),
        fmt(r.ratio, 2), '≥ 1.00', `${r.met ? 'yes' : '**no**'}${r.near_bar ? ' (within ±)' : ''}`,
        `${fmt(r.cpu_us_per_req)} vs ${fmt(r.nginx_cpu_us_per_req)}`, fmt(r.nginx_cpu_us_per_req / r.cpu_us_per_req, 2),
        Number.isFinite(r.x_portcullis) ? `${fmt(r.x_portcullis, 2)} (${fmt(r.portcullis_cpu_us_per_req)} → ${fmt(r.cpu_us_per_req)})` : '–',
        fmt(r.upstream_reqs_per_req, 3),
      ]),
    ));
    out.push('');
    for (const { target, what } of CACHE_FLOORS) {
      const rows = cacheRows.flatMap((r) => r.floors.filter((f) => f.target === target).map((f) => ({ r, f })));
      if (rows.length === 0) continue;
      out.push(`**The ${target} reference.** ${target}: ${what}`, '');
      out.push(table(
        ['path', `${target} req/s`, `${target} ×${CACHE_REF}`, `CPU µs/req (${target} vs ${CACHE_REF})`, 'hit ×floor req/s', 'CPU µs/req (hit vs floor)'],
        'lrrrrr',
        rows.map(({ r, f }) => [
          r.path, `${fmt(f.rps)}${mark(target, r.path)} ${fmtPct(f.rps_spread)}`.trim(), fmt(f.rps / r.nginx_rps, 2),
          `${fmt(f.cpu_us_per_req)} vs ${fmt(r.nginx_cpu_us_per_req)}`, fmt(f.x_floor, 2), `${fmt(r.cpu_us_per_req)} vs ${fmt(f.cpu_us_per_req)}`,
        ]),
      ));
      out.push('');
    }
    const hitAtRate = rateRows.find((r) => r.target === CACHE_TARGET);
    const refAtRate = rateRows.find((r) => r.target === CACHE_REF);
    if (hitAtRate && refAtRate) {
      out.push(`**Time to serve one request** at the fixed ${fmt(hitAtRate.rate)} req/s on ${hitAtRate.path} (below saturation, see the fixed-rate table): ` +
        `p50 ${fmt(hitAtRate.p50_ms, 2)} ms for a hit vs ${fmt(refAtRate.p50_ms, 2)} ms through ${CACHE_REF}, p99 ${fmt(hitAtRate.p99_ms, 2)} vs ${fmt(refAtRate.p99_ms, 2)} ms, p99.9 ${fmt(hitAtRate.p999_ms, 2)} vs ${fmt(refAtRate.p999_ms, 2)} ms.`, '');
    }
  }
  if (rateLimitRows.some((r) => r.near_bar) || cacheRows.some((r) => r.near_bar)) {
    out.push('"within ±": the figure is closer to the bar than the two req/s figures\' spread across rounds: rerun with more rounds before concluding.', '');
  }
  if (pluginMetrics.length > 0) {
    const short = (k: string) => k.replace(/^portcullis_/, '').replace(/_total\{/, '{');
    out.push(`Plugin counters at the end of the run (admin /metrics, priming and warm-up included): ${pluginMetrics.map((p) =>
      `${p.target}: ${Object.entries(p.counters).map(([k, v]) => `\`${short(k)}\` ${fmt(v)}`).join(', ') || 'none'}`).join('; ')}. ` +
      'Expected: rate-limit decisions all `allowed` (no `fallback`: Redis always answered in time), cache requests all `hit` but one `miss` per path.', '');
    if (redisScriptCalls !== undefined) {
      const decisions = Object.entries(pluginMetrics.find((p) => p.target === 'portcullis-rate-limit-redis')?.counters ?? {})
        .filter(([k]) => k.startsWith('portcullis_rate_limit_decisions_total') && !k.includes('fallback')).reduce((sum, [, v]) => sum + v, 0);
      out.push(`Redis script calls (\`redis-cli info commandstats\`): ${fmt(redisScriptCalls)} for ${fmt(decisions)} decisions on Redis, ${redisScriptCalls > 0 ? (decisions / redisScriptCalls).toFixed(1) : '–'} requests per call (the requests of one event-loop turn share a call).`, '');
    }
  }
}

if (rateRows.length > 0) {
  out.push(`## Latency at a fixed ${fmt(rateRows[0]!.rate)} req/s on ${rateRows[0]!.path}`, '');
  out.push(table(
    ['target', 'achieved req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'late sends', 'errors'],
    'lrrrrrrr',
    rateRows.map((r) => [r.target, fmt(r.achieved), fmtMs(r.p50_ms), fmtMs(r.p90_ms), fmtMs(r.p99_ms), fmtMs(r.p999_ms), `${fmt(r.late_pct, 1)} %`, fmt(r.errors)]),
  ));
  out.push('', 'Paced by bench/lib/wrk.lua (open loop, latency from the actual send, no coordinated-omission correction). "late sends" = share of send slots that were already due when a connection became free.', '');
}

if (rss.length > 0) {
  out.push('## Memory (resident set of the Portcullis process)', '');
  for (const r of rss) {
    const marks = r.marks.map((x) => `${x.label} ${mib(x.kb)}`).join(', ');
    out.push(`- **${r.target} RSS:** ${marks}; max sampled ${mib(r.max_sampled_kb)} (${r.samples.length} samples, 1/s); kernel peak (VmHWM) ${mib(r.hwm_kb)}. ` +
      `Change from after prime to end: ${r.growth_kb >= 0 ? '+' : ''}${mib(r.growth_kb)}.`);
    if (r.marks.some((x) => x.heap_used_kb !== undefined)) {
      const heap = r.marks.map((x) => `${x.label} ${x.heap_used_kb === undefined ? '–' : `${mib(x.heap_used_kb)} / ${mib(x.heap_total_kb ?? NaN)}`}`).join(', ');
      out.push(`- **${r.target} JS heap used / heap total** (admin /metrics, at the same checkpoints): ${heap}.`);
    }
  }
  out.push('');
}

const markdown = out.join('\n');
writeFileSync(join(resultsDir, 'latest.md'), markdown);
writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify({
  meta: Object.fromEntries(meta),
  summary: { closed_loop: maxRows, auth_cost: authRows, traffic_cost: { rate_limit: rateLimitRows, cache: cacheRows, plugin_metrics: pluginMetrics, redis_script_calls: redisScriptCalls }, fixed_rate: rateRows, rss: rss.map(({ samples: _samples, ...rest }) => rest) },
  rss_samples: Object.fromEntries(rss.map((r) => [r.target, r.samples])),
  measurements: records,
}, null, 1)}\n`);
console.log(markdown);
