// Tiny timing helpers for the micro benchmarks: plain performance.now() loops, no dependencies.
// Each measurement calibrates a batch size (about BATCH_MS of work), runs warm-up batches so the
// JIT settles, then times BATCHES batches and reports the median per-operation time.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BATCH_MS = Number(process.env.MICRO_BATCH_MS ?? 40);
const BATCHES = Number(process.env.MICRO_BATCHES ?? 9);
const WARMUP_BATCHES = 3;

/** Keeps results alive so that the optimiser cannot drop the measured work. */
let sink = 0;
export function consume(v: unknown): void {
  if (v !== undefined) sink = (sink + 1) | 0;
}
export function sinkValue(): number {
  return sink;
}

export interface Timing {
  /** Median nanoseconds per operation across batches. */
  readonly ns: number;
  /** Fastest and slowest batch (ns/op), to show the spread. */
  readonly min: number;
  readonly max: number;
  readonly ops: number;
}

/** Times fn(i) for i = 0, 1, 2, …; fn's return value is consumed. */
export function timeOps(fn: (i: number) => unknown): Timing {
  // Calibrate: double the batch until it takes at least BATCH_MS / 4.
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) consume(fn(i));
    const dt = performance.now() - t0;
    if (dt >= BATCH_MS / 4 || n >= 1 << 26) {
      n = Math.max(1, Math.round((n * BATCH_MS) / Math.max(dt, 0.001)));
      break;
    }
    n *= 2;
  }
  const perOp: number[] = [];
  let base = 0;
  for (let b = 0; b < WARMUP_BATCHES + BATCHES; b++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) consume(fn(base + i));
    const dt = performance.now() - t0;
    base += n;
    if (b >= WARMUP_BATCHES) perOp.push((dt * 1e6) / n);
  }
  perOp.sort((a, b) => a - b);
  return { ns: median(perOp), min: perOp[0]!, max: perOp[perOp.length - 1]!, ops: n * BATCHES };
}

/** Times a whole (expensive) operation `runs` times after one warm-up run; returns ms samples. */
export function timeRuns(runs: number, fn: () => unknown): { median: number; min: number; max: number } {
  consume(fn());
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    consume(fn());
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median: median(ms), min: ms[0]!, max: ms[ms.length - 1]! };
}

export function median(sorted: readonly number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

/** Deterministic PRNG (mulberry32) so every run picks the same request paths. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Formats nanoseconds with a sensible unit. */
export function fmtNs(ns: number): string {
  if (ns < 10) return `${fmt(ns, 2)} ns`;
  if (ns < 1000) return `${fmt(ns, 0)} ns`;
  if (ns < 1e6) return `${fmt(ns / 1000, ns < 1e4 ? 2 : 1)} µs`;
  return `${fmt(ns / 1e6, 2)} ms`;
}

export function fmtMs(ms: number): string {
  return ms < 1 ? `${fmt(ms * 1000, 0)} µs` : `${fmt(ms, ms < 100 ? 2 : 0)} ms`;
}

export function table(header: readonly string[], align: readonly ('l' | 'r')[], rows: readonly (readonly string[])[]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

export function environmentLine(): string {
  const cpu = readCpuModel();
  return `Node ${process.version}, ${process.platform}/${process.arch}${cpu ? `, ${cpu}` : ''}; ` +
    `batches of ~${BATCH_MS} ms, median of ${BATCHES} (after ${WARMUP_BATCHES} warm-up batches); ${new Date().toISOString()}`;
}

function readCpuModel(): string | undefined {
  try {
    return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim();
  } catch {
    return undefined;
  }
}

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'micro.md');

/**
 * Replaces this benchmark's section of bench/results/micro.md (between HTML comment markers),
 * so that router.bench.ts and pipeline.bench.ts can be run separately or together.
 */
export function writeSection(name: string, markdown: string): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  let text = '';
  try {
    text = readFileSync(RESULTS, 'utf8');
  } catch {
    text = '# Portcullis micro benchmarks\n\nWritten by `npm run bench:micro` (bench/micro/*.bench.ts). See bench/README.md.\n';
  }
  const block = `${begin}\n${markdown.trimEnd()}\n${end}`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  text = a >= 0 && b > a ? text.slice(0, a) + block + text.slice(b + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, text.endsWith('\n') ? text : `${text}\n`);
  return RESULTS;
}
