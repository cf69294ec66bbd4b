// Usage metering's in-memory aggregate: one row per (minute, consumer, credential, product, plan,
// service, route, status) with counters and a latency histogram. Every gateway process records
// into its own; the process that holds the store merges them (same structure, same merge rule) and
// writes the rows. Recording a call is a key build, one Map look-up and a few additions; the
// number of rows is capped so that a long store outage cannot grow memory without bound.
import { LATENCY_BUCKETS, emptyHistogram, type UsageDimensions, type UsageRow } from '../../store/usage/types.ts';
import { bucketOf } from '../../store/usage/histogram.ts';

export type { UsageDimensions, UsageRow };

const MINUTE_MS = 60_000;

/** What the gateway knows about one finished call: a row's dimensions, with its time in place of the minute. */
export interface CallRecord extends Omit<UsageDimensions, 'minute'> {
  readonly atMs: number;
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

/**
 * Rows of one minute, found through one Map per dimension. The dimension values are the same string
 * objects request after request (route names from the snapshot, consumer ids from the identity
 * directory…), whose hashes V8 keeps: a look-up is a few hash-table probes, where a joined key
 * string would be built, flattened and hashed on every call.
 */
type Level<T> = Map<string, T>;
type MinuteRows = Level<Level<Level<Level<Level<Level<Map<number, UsageRow>>>>>>>;

function child<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each level's Map type is the parent's value type
const level = (): Map<any, any> => new Map();

export class UsageAggregate {
  private minutes = new Map<number, MinuteRows>();
  /** The minute most calls land in, and its rows. */
  private lastMinute = -1;
  private lastRows: MinuteRows | undefined;
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

  /** The status level of a row's dimensions (created on the way). */
  private statuses(d: UsageDimensions): Map<number, UsageRow> {
    let rows: MinuteRows;
    if (d.minute === this.lastMinute) rows = this.lastRows!;
    else {
      rows = child(this.minutes, d.minute, level);
      this.lastMinute = d.minute;
      this.lastRows = rows;
    }
    const byConsumer = child(rows, d.route, level);
    const byCredential = child(byConsumer, d.consumer, level);
    const byPlan = child(byCredential, d.credential, level);
    const byProduct = child(byPlan, d.plan, level);
    const byService = child(byProduct, d.product, level);
    return child(byService, d.service, () => new Map<number, UsageRow>());
  }

  /** Records one call; false (and counted as dropped) when it needs a new row and the cap is reached. */
  record(c: CallRecord): boolean {
    const minute = c.atMs - (c.atMs % MINUTE_MS);
    scratchDims.minute = minute;
    scratchDims.route = c.route;
    scratchDims.consumer = c.consumer;
    scratchDims.credential = c.credential;
    scratchDims.plan = c.plan;
    scratchDims.product = c.product;
    scratchDims.service = c.service;
    const statuses = this.statuses(scratchDims);
    let row = statuses.get(c.status);
    if (row === undefined) {
      if (this.count >= this.maxRows) {
        this.droppedCalls++;
        return false;
      }
      row = {
        minute, consumer: c.consumer, credential: c.credential, product: c.product, plan: c.plan, service: c.service, route: c.route, status: c.status,
        calls: 0, errors_4xx: 0, errors_5xx: 0, bytes_in: 0, bytes_out: 0, latency_ms_sum: 0, latency: emptyHistogram(),
      };
      statuses.set(c.status, row);
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
      const statuses = this.statuses(r);
      const row = statuses.get(r.status);
      if (row === undefined) {
        if (this.count >= this.maxRows) {
          dropped += r.calls;
          continue;
        }
        statuses.set(r.status, { ...r, latency: r.latency.slice(0, LATENCY_BUCKETS) });
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
    const walk = (m: Map<unknown, unknown>): void => {
      for (const v of m.values()) {
        if (v instanceof Map) walk(v);
        else rows.push(v as UsageRow);
      }
    };
    walk(this.minutes);
    const droppedCalls = this.droppedCalls;
    this.minutes = new Map();
    this.lastMinute = -1;
    this.lastRows = undefined;
    this.count = 0;
    this.droppedCalls = 0;
    return { rows, droppedCalls };
  }
}

// Reused by record(): the dimensions of the call being recorded (status is looked up apart).
const scratchDims: { -readonly [K in keyof UsageDimensions]: UsageDimensions[K] } = { minute: 0, consumer: '', credential: '', product: '', plan: '', service: '', route: '', status: 0 };

/** Whether a value received over IPC looks like a usage row (a worker is trusted, but not blindly). */
export function isUsageRow(v: unknown): v is UsageRow {
  const r = v as UsageRow;
  return typeof r === 'object' && r !== null && typeof r.minute === 'number' && typeof r.consumer === 'string' && typeof r.service === 'string'
    && typeof r.route === 'string' && typeof r.status === 'number' && typeof r.calls === 'number' && Array.isArray(r.latency);
}
