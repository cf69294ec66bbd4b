// Usage metering's persistence (schema 6): gateway nodes ADD minute rows in batches; the worker
// role rolls minutes up into hours and hours into days, and prunes each table past its retention.
// Reached through a session (`tx.usage`), so a write shares its transaction.
import { sql } from 'kysely';
import type { Db } from '../page.ts';
import type { Dialect } from '../schema.ts';
import { COUNTER_COLUMNS, DIMENSION_COLUMNS, LATENCY_COLUMNS, type UsageTable } from './columns.ts';
import { LATENCY_BUCKETS, type UsageRow } from './types.ts';

// The usage tables are not in the typed Database interface: their 16 histogram columns are
// generated from LATENCY_BUCKETS, so queries here are built on an untyped handle.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = import('kysely').Kysely<any>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Rows per INSERT: 31 parameters each stays far below both databases' limits. */
export const USAGE_WRITE_CHUNK = 500;

export const hourOf = (iso: string) => `${iso.slice(0, 13)}:00:00.000Z`;
export const dayOf = (iso: string) => `${iso.slice(0, 10)}T00:00:00.000Z`;

/** Retention per table (how long rows are kept after their bucket started). */
export interface UsageRetention {
  readonly minuteMs: number;
  readonly hourMs: number;
  readonly dayMs: number;
}

export const DEFAULT_RETENTION: UsageRetention = { minuteMs: 48 * HOUR_MS, hourMs: 90 * DAY_MS, dayMs: 3 * 365 * DAY_MS };

const PK = ['bucket_start', ...DIMENSION_COLUMNS];

function minuteValues(r: UsageRow): Record<string, unknown> {
  const v: Record<string, unknown> = {
    bucket_start: new Date(r.minute).toISOString(), consumer: r.consumer, credential: r.credential, product: r.product, plan: r.plan,
    service: r.service, route: r.route, status: r.status, calls: r.calls, errors_4xx: r.errors_4xx, errors_5xx: r.errors_5xx,
    bytes_in: r.bytes_in, bytes_out: r.bytes_out, latency_ms_sum: r.latency_ms_sum,
  };
  for (let i = 0; i < LATENCY_BUCKETS; i++) v[LATENCY_COLUMNS[i]!] = r.latency[i] ?? 0;
  return v;
}

export class UsageStore {
  readonly #db: AnyDb;
  readonly #dialect: Dialect;
  constructor(db: Db, dialect: Dialect) {
    this.#db = db as unknown as AnyDb;
    this.#dialect = dialect;
  }

  get dialect(): Dialect { return this.#dialect; }
  /** The handle queries run on (query.ts). */
  get db(): AnyDb { return this.#db; }

  /**
   * Adds minute rows: one INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x per chunk of
   * USAGE_WRITE_CHUNK rows, so repeated flushes and concurrent nodes add up. Rows must be unique by
   * key within a call (an aggregate's rows are) and are best sorted (compareRows) so concurrent
   * writers lock in one order. Marks the hours touched for roll-up.
   */
  async addMinutes(rows: readonly UsageRow[]): Promise<void> {
    if (rows.length === 0) return;
    const hours = new Set<string>();
    for (let i = 0; i < rows.length; i += USAGE_WRITE_CHUNK) {
      const values = rows.slice(i, i + USAGE_WRITE_CHUNK).map(minuteValues);
      for (const v of values) hours.add(hourOf(v.bucket_start as string));
      await this.#db.insertInto('usage_minute').values(values)
        .onConflict((oc) => oc.columns(PK).doUpdateSet(Object.fromEntries(COUNTER_COLUMNS.map((c) => [c, sql`usage_minute.${sql.ref(c)} + excluded.${sql.ref(c)}`]))))
        .execute();
    }
    // Sorted, like the rows: concurrent nodes take the marks' locks in one order.
    await this.#markDirty('hour', [...hours].sort());
  }

  /**
   * DO UPDATE (of nothing that changes), not DO NOTHING: on Postgres it locks a mark that is there
   * already until this transaction ends. A roll-up's clearing of the mark then waits for the flush
   * to commit, and its sums (a later statement, a new snapshot) include the flush's minutes.
   * DO NOTHING takes no lock: the roll-up could clear the mark and sum without the uncommitted
   * minutes, which would then never be rolled up.
   */
  async #markDirty(level: 'hour' | 'day', buckets: readonly string[]): Promise<void> {
    if (buckets.length === 0) return;
    await this.#db.insertInto('usage_dirty').values(buckets.map((b) => ({ level, bucket_start: b })))
      .onConflict((oc) => oc.columns(['level', 'bucket_start']).doUpdateSet({ level: sql`excluded.level` })).execute();
  }

  /** Buckets waiting for a roll-up, oldest first. */
  async dirty(level: 'hour' | 'day', limit: number): Promise<string[]> {
    const rows = await this.#db.selectFrom('usage_dirty').select('bucket_start').where('level', '=', level).orderBy('bucket_start').limit(limit).execute();
    return rows.map((r) => r.bucket_start as string);
  }

  /** Forgets a dirty mark without recomputing (its source rows are past retention already). */
  async clearDirty(level: 'hour' | 'day', bucketStart: string): Promise<void> {
    await this.#db.deleteFrom('usage_dirty').where('level', '=', level).where('bucket_start', '=', bucketStart).execute();
  }

  /**
   * Recomputes one hour of usage_hour from usage_minute (or one day of usage_day from usage_hour):
   * delete then insert the sums, so running it again gives the same rows. Clears the bucket's dirty
   * mark first: a node adding minutes meanwhile marks it again (on Postgres its insert waits for
   * this transaction), and the next round recomputes it; a node whose flush marked it before and
   * has not committed yet holds the mark's lock, so the clearing waits and the sums include it.
   */
  async rollUp(level: 'hour' | 'day', bucketStart: string): Promise<void> {
    const [target, source, span]: [UsageTable, UsageTable, number] = level === 'hour' ? ['usage_hour', 'usage_minute', HOUR_MS] : ['usage_day', 'usage_hour', DAY_MS];
    const start = level === 'hour' ? hourOf(bucketStart) : dayOf(bucketStart);
    const end = new Date(Date.parse(start) + span).toISOString();
    await this.#db.deleteFrom('usage_dirty').where('level', '=', level).where('bucket_start', '=', start).execute();
    await this.#db.deleteFrom(target).where('bucket_start', '>=', start).where('bucket_start', '<', end).execute();
    const dims = DIMENSION_COLUMNS.map((c) => sql.ref(c));
    const sums = COUNTER_COLUMNS.map((c) => sql`sum(${sql.ref(c)})`);
    await sql`insert into ${sql.table(target)} (bucket_start, ${sql.join(dims)}, ${sql.join(COUNTER_COLUMNS.map((c) => sql.ref(c)))})
      select ${start}, ${sql.join(dims)}, ${sql.join(sums)} from ${sql.table(source)}
      where bucket_start >= ${start} and bucket_start < ${end}
      group by ${sql.join(dims)}`.execute(this.#db);
    if (level === 'hour') await this.#markDirty('day', [dayOf(start)]);
  }

  /** Deletes rows whose bucket started before each table's cutoff; returns how many per table. */
  async prune(nowMs: number, retention: UsageRetention): Promise<{ minute: number; hour: number; day: number }> {
    const del = async (table: UsageTable, ms: number) => Number((await this.#db.deleteFrom(table).where('bucket_start', '<', new Date(nowMs - ms).toISOString()).executeTakeFirst()).numDeletedRows);
    return { minute: await del('usage_minute', retention.minuteMs), hour: await del('usage_hour', retention.hourMs), day: await del('usage_day', retention.dayMs) };
  }
}
