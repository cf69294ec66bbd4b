// Pure helpers of the analytics dashboards: the time ranges offered, the bucket grid of a series
// (the API answers only buckets that had calls; charts need the empty ones as zeros), totals and
// rates. No React here, so the arithmetic is easy to read and to test.
import type { components } from '../../api/admin.gen/index.ts';

export type Point = components['schemas']['UsagePoint'];
export type Granularity = 'minute' | 'hour' | 'day' | 'month';

export interface RangeOption {
  readonly id: string;
  readonly label: string;
  readonly spanMs: number;
  /** Granularities that give a readable chart (≤ a few hundred buckets) for this span. */
  readonly granularities: readonly Granularity[];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const RANGES: readonly RangeOption[] = [
  { id: '1h', label: 'Last hour', spanMs: HOUR, granularities: ['minute'] },
  { id: '6h', label: 'Last 6 hours', spanMs: 6 * HOUR, granularities: ['minute', 'hour'] },
  { id: '24h', label: 'Last 24 hours', spanMs: DAY, granularities: ['hour', 'minute'] },
  { id: '7d', label: 'Last 7 days', spanMs: 7 * DAY, granularities: ['hour', 'day'] },
  { id: '30d', label: 'Last 30 days', spanMs: 30 * DAY, granularities: ['day', 'hour'] },
  { id: '365d', label: 'Last 12 months', spanMs: 365 * DAY, granularities: ['month', 'day'] },
];

export const GRANULARITY_LABEL: Readonly<Record<Granularity, string>> = { minute: 'Per minute', hour: 'Per hour', day: 'Per day', month: 'Per month' };

export function rangeById(id: string): RangeOption {
  return RANGES.find((r) => r.id === id) ?? RANGES[2]!;
}

/** The start of the bucket holding `ms` (UTC, as the API snaps). */
export function floorTo(g: Granularity, ms: number): number {
  const d = new Date(ms);
  switch (g) {
    case 'minute': return ms - (ms % MINUTE);
    case 'hour': return ms - (ms % HOUR);
    case 'day': return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    case 'month': return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
}

export function nextBucket(g: Granularity, start: number): number {
  if (g === 'month') {
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return start + (g === 'minute' ? MINUTE : g === 'hour' ? HOUR : DAY);
}

export const EMPTY_FIGURES = { calls: 0, errors_4xx: 0, errors_5xx: 0, bytes_in: 0, bytes_out: 0 } as const;

/**
 * Every bucket from `from` (inclusive) to `to` (exclusive), the API's points in their places and
 * zero-call points elsewhere (without latency: nothing was measured). Capped at `max` buckets
 * (the newest kept) so a wrong answer can never make the browser draw millions of points.
 */
export function fillBuckets(g: Granularity, from: string, to: string, points: readonly Point[], max = 2000): Point[] {
  const byStart = new Map(points.map((p) => [Date.parse(p.start), p]));
  const out: Point[] = [];
  const end = Date.parse(to);
  for (let t = floorTo(g, Date.parse(from)); t < end; t = nextBucket(g, t)) {
    out.push(byStart.get(t) ?? { start: new Date(t).toISOString(), ...EMPTY_FIGURES });
  }
  return out.length > max ? out.slice(out.length - max) : out;
}

export interface Totals { calls: number; errors4xx: number; errors5xx: number; bytesIn: number; bytesOut: number; latencyAvgMs: number | undefined; peakP99Ms: number | undefined }

export function totalsOf(points: readonly Point[]): Totals {
  let calls = 0, errors4xx = 0, errors5xx = 0, bytesIn = 0, bytesOut = 0, latencySum = 0, peak: number | undefined;
  for (const p of points) {
    calls += p.calls;
    errors4xx += p.errors_4xx;
    errors5xx += p.errors_5xx;
    bytesIn += p.bytes_in;
    bytesOut += p.bytes_out;
    if (p.latency_avg_ms !== undefined) latencySum += p.latency_avg_ms * p.calls;
    if (p.latency_p99_ms !== undefined && (peak === undefined || p.latency_p99_ms > peak)) peak = p.latency_p99_ms;
  }
  return { calls, errors4xx, errors5xx, bytesIn, bytesOut, latencyAvgMs: calls > 0 ? latencySum / calls : undefined, peakP99Ms: peak };
}

/** A share in percent (undefined without a whole: no calls, no rate). */
export const percent = (part: number, whole: number): number | undefined => (whole > 0 ? (part * 100) / whole : undefined);

export function formatPercent(v: number | undefined): string {
  if (v === undefined) return '—';
  return `${v >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(1)}%`;
}

export function formatMs(v: number | undefined): string {
  if (v === undefined) return '—';
  if (v === 0) return '0 ms';
  return v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)} s` : `${v >= 10 ? Math.round(v) : v.toFixed(1)} ms`;
}

const COMPACT = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
export const formatCount = (v: number): string => (v < 10_000 ? String(Math.round(v)) : COMPACT.format(v));

export function formatBytes(v: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** A bucket's start as people read it at this granularity (local time). */
export function bucketLabel(g: Granularity, iso: string, long = false): string {
  const d = new Date(iso);
  switch (g) {
    case 'minute': return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', ...(long ? { day: 'numeric', month: 'short' } : {}) });
    case 'hour': return long ? d.toLocaleString([], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }) : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    case 'day': return d.toLocaleDateString([], { day: 'numeric', month: 'short', ...(long ? { year: 'numeric' } : {}) });
    case 'month': return d.toLocaleDateString([], { month: 'short', year: 'numeric', timeZone: 'UTC' });
  }
}

/**
 * Axis ticks for values up to `peak`: a step of 1, 2 or 5 × a power of ten giving at most four
 * intervals, and the top as a whole number of steps, so every tick label is a round number.
 */
export function niceTicks(peak: number): number[] {
  if (!(peak > 0)) return [0, 1];
  const rough = peak / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((st) => st >= rough) ?? 10 * power;
  const count = Math.max(1, Math.ceil(peak / step - 1e-9));
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}
