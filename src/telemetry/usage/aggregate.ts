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
  /** Rows by minute, then by the other dimensions (the key needs no minute: fewer bytes to hash). */
  private minutes = new Map<number, Map<string, UsageRow>>();
  /** The minute most calls land in, and its rows. */
  private lastMinute = -1;
  private lastRows: Map<string, UsageRow> | undefined;
  private count = 0;
  private readonly maxRows: number;
  /** Calls that could not be kept because the row cap was reached (since the last take). */
  private droppedCalls = 0;

  constructor(maxRows: number) {
    this.maxRows = maxRows;
  }

  get size(): number {
    return this.count;
  }

  private rowsOf(minute: number): Map<string, UsageRow> {
    if (minute === this.lastMinute) return this.lastRows!;
    let rows = this.minutes.get(minute);
    if (rows === undefined) this.minutes.set(minute, (rows = new Map()));
    this.lastMinute = minute;
    this.lastRows = rows;
    return rows;
  }

  /** Records one call; false (and counted as dropped) when it needs a new row and the cap is reached. */
  record(c: CallRecord): boolean {
    const minute = c.atMs - (c.atMs % MINUTE_MS);
    const rows = this.rowsOf(minute);
    const key = `${c.route}\n${c.consumer}\n${c.credential}\n${c.plan}\n${c.product}\n${c.service}\n${c.status}`;
    let row = rows.get(key);
    if (row === undefined) {
      if (this.count >= this.maxRows) {
        this.droppedCalls++;
        return false;
      }
      row = {
        minute, consumer: c.consumer, credential: c.credential, product: c.product, plan: c.plan, service: c.service, route: c.route, status: c.status,
        calls: 0, errors_4xx: 0, errors_5xx: 0, bytes_in: 0, bytes_out: 0, latency_ms_sum: 0, latency: emptyHistogram(),
      };
      rows.set(key, row);
      this.count++;
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
      const minuteRows = this.rowsOf(r.minute);
      const key = `${r.route}\n${r.consumer}\n${r.credential}\n${r.plan}\n${r.product}\n${r.service}\n${r.status}`;
      const row = minuteRows.get(key);
      if (row === undefined) {
        if (this.count >= this.maxRows) {
          dropped += r.calls;
          continue;
        }
        minuteRows.set(key, { ...r, latency: r.latency.slice(0, LATENCY_BUCKETS) });
        this.count++;
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
    const rows: UsageRow[] = [];
    for (const m of this.minutes.values()) for (const r of m.values()) rows.push(r);
    const droppedCalls = this.droppedCalls;
    this.minutes = new Map();
    this.lastMinute = -1;
    this.lastRows = undefined;
    this.count = 0;
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
