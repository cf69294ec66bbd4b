// Usage metering's in-memory aggregate: one row per (minute, consumer, credential, product, plan,
// service, route, status) with counters and a latency histogram. Every gateway process records
// into its own; the process that holds the store merges them (same structure, same merge rule) and
// writes the rows. Recording a call is a key build, one Map look-up and a few additions; the
// number of rows is capped so that a long store outage cannot grow memory without bound.
import { LATENCY_BUCKETS, emptyHistogram, type UsageDimensions, type UsageRow } from '../../store/usage/types.ts';
import { bucketOf } from '../../store/usage/histogram.ts';

export type { UsageDimensions, UsageRow };

const MINUTE_MS = 60_000;

/** What the gateway knows about one finished call. */
export interface CallRecord {
  readonly atMs: number;
  readonly consumer: string;
  readonly credential: string;
  readonly product: string;
  readonly plan: string;
  readonly service: string;
  readonly route: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

// Names (consumers, services, routes…) never contain a newline: their patterns forbid it.
const keyOf = (d: UsageDimensions) => `${d.minute}\n${d.consumer}\n${d.credential}\n${d.product}\n${d.plan}\n${d.service}\n${d.route}\n${d.status}`;

/** The order rows are written in: every node locks rows in the same order (no deadlocks). */
export function compareRows(a: UsageDimensions, b: UsageDimensions): number {
  if (a.minute !== b.minute) return a.minute - b.minute;
  const ka = keyOf(a), kb = keyOf(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export class UsageAggregate {
  private rows = new Map<string, UsageRow>();
  private readonly maxRows: number;
  /** Calls that could not be kept because the row cap was reached (since the last take). */
  private droppedCalls = 0;

  constructor(maxRows: number) {
    this.maxRows = maxRows;
  }

  get size(): number {
    return this.rows.size;
  }

  /** Records one call; false (and counted as dropped) when it needs a new row and the cap is reached. */
  record(c: CallRecord): boolean {
    const minute = c.atMs - (c.atMs % MINUTE_MS);
    const key = `${minute}\n${c.consumer}\n${c.credential}\n${c.product}\n${c.plan}\n${c.service}\n${c.route}\n${c.status}`;
    let row = this.rows.get(key);
    if (row === undefined) {
      if (this.rows.size >= this.maxRows) {
        this.droppedCalls++;
        return false;
      }
      row = {
        minute, consumer: c.consumer, credential: c.credential, product: c.product, plan: c.plan, service: c.service, route: c.route, status: c.status,
        calls: 0, errors_4xx: 0, errors_5xx: 0, bytes_in: 0, bytes_out: 0, latency_ms_sum: 0, latency: emptyHistogram(),
      };
      this.rows.set(key, row);
    }
    row.calls++;
    if (c.status >= 500) row.errors_5xx++;
    else if (c.status >= 400) row.errors_4xx++;
    row.bytes_in += c.bytesIn;
    row.bytes_out += c.bytesOut;
    row.latency_ms_sum += c.latencyMs;
    row.latency[bucketOf(c.latencyMs)]!++;
    return true;
  }

  /**
   * Adds rows (another process's aggregate, or rows a failed write gives back). Rows that would
   * exceed the cap are dropped; returns the calls they held.
   */
  merge(rows: readonly UsageRow[]): number {
    let dropped = 0;
    for (const r of rows) {
      const key = keyOf(r);
      const row = this.rows.get(key);
      if (row === undefined) {
        if (this.rows.size >= this.maxRows) {
          dropped += r.calls;
          continue;
        }
        this.rows.set(key, { ...r, latency: r.latency.slice(0, LATENCY_BUCKETS) });
        continue;
      }
      row.calls += r.calls;
      row.errors_4xx += r.errors_4xx;
      row.errors_5xx += r.errors_5xx;
      row.bytes_in += r.bytes_in;
      row.bytes_out += r.bytes_out;
      row.latency_ms_sum += r.latency_ms_sum;
      for (let i = 0; i < LATENCY_BUCKETS; i++) row.latency[i]! += r.latency[i] ?? 0;
    }
    return dropped;
  }

  /** Hands over every row (and the dropped count) and starts empty. */
  take(): { rows: UsageRow[]; droppedCalls: number } {
    const rows = [...this.rows.values()];
    const droppedCalls = this.droppedCalls;
    this.rows = new Map();
    this.droppedCalls = 0;
    return { rows, droppedCalls };
  }
}

/** Whether a value received over IPC looks like a usage row (a worker is trusted, but not blindly). */
export function isUsageRow(v: unknown): v is UsageRow {
  const r = v as UsageRow;
  return typeof r === 'object' && r !== null && typeof r.minute === 'number' && typeof r.consumer === 'string' && typeof r.service === 'string'
    && typeof r.route === 'string' && typeof r.status === 'number' && typeof r.calls === 'number' && Array.isArray(r.latency);
}
