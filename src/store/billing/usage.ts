// Billable usage: calls per consumer × product × plan in a billing period, with the calls that are
// billed (BILLABLE, docs/billing.md) counted apart. Reads the hourly roll-up while the period's
// start is within its retention (90 days by default: every period still to be finalised), the
// daily one otherwise.
import { sql } from 'kysely';
import { tableFor } from '../usage/query.ts';
import { DEFAULT_RETENTION, type UsageRetention, type UsageStore } from '../usage/store.ts';

/** Answers the gateway gave itself without consuming anything upstream: refused, never billed. */
export const UNBILLED_REFUSALS: readonly number[] = [401, 403, 429];

/** Billable: answered (1xx–4xx) and not one of the gateway's own refusals. Server errors never are. */
export const isBillableStatus = (status: number) => status >= 100 && status < 500 && !UNBILLED_REFUSALS.includes(status);

export interface BillableUsage {
  readonly consumer: string;
  readonly product: string;
  readonly plan: string;
  readonly calls: number;
  readonly billable_calls: number;
}

export interface BillableRange {
  /** ISO instants, `to` exclusive, both on hour boundaries (a billing period is). */
  readonly from: string;
  readonly to: string;
  /** Only these consumers; an empty list matches nothing. */
  readonly consumers?: readonly string[];
  readonly nowMs?: number;
  readonly retention?: UsageRetention;
}

/** Calls under a subscription (product and plan known) per consumer × product × plan. */
export async function billableUsage(usage: UsageStore, range: BillableRange): Promise<BillableUsage[]> {
  if (range.consumers !== undefined && range.consumers.length === 0) return [];
  const table = tableFor('hour', Date.parse(range.from), range.nowMs ?? Date.now(), range.retention ?? DEFAULT_RETENTION);
  const billable = sql<number>`sum(case when status >= 100 and status < 500 and status not in (${sql.join(UNBILLED_REFUSALS)}) then calls else 0 end)`;
  let qb = usage.db.selectFrom(table)
    .select(['consumer', 'product', 'plan', sql<number>`sum(calls)`.as('calls'), billable.as('billable_calls')])
    .where('bucket_start', '>=', range.from).where('bucket_start', '<', range.to)
    .where('product', '<>', '').where('plan', '<>', '');
  if (range.consumers !== undefined) qb = qb.where('consumer', 'in', range.consumers);
  const rows = await qb.groupBy(['consumer', 'product', 'plan']).orderBy('consumer').orderBy('product').orderBy('plan').execute() as Record<string, unknown>[];
  return rows.map((r) => ({ consumer: String(r.consumer), product: String(r.product), plan: String(r.plan), calls: Number(r.calls), billable_calls: Number(r.billable_calls) }));
}

/** The services (APIs) these consumers called in a range, by name: what a usage page offers to filter by. */
export async function servicesCalled(usage: UsageStore, range: BillableRange): Promise<string[]> {
  if (range.consumers !== undefined && range.consumers.length === 0) return [];
  const table = tableFor('hour', Date.parse(range.from), range.nowMs ?? Date.now(), range.retention ?? DEFAULT_RETENTION);
  let qb = usage.db.selectFrom(table).select('service').distinct()
    .where('bucket_start', '>=', range.from).where('bucket_start', '<', range.to).where('service', '<>', '');
  if (range.consumers !== undefined) qb = qb.where('consumer', 'in', range.consumers);
  const rows = await qb.orderBy('service').limit(200).execute() as { service: string }[];
  return rows.map((r) => String(r.service));
}
