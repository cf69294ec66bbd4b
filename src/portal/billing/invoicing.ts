// Invoices from metered usage: the current period's live preview (computed on request, never
// stored) and the finalisation of finished periods (stored once, numbered, handed to the payment
// provider). Both price the BILLABLE calls of each application × product × plan with the plan's
// price (pricing.ts); finalisation also bills subscriptions that made no call when their plan has
// a fee. Free plans produce no invoice.
import type { Plan } from '../../core/entities/schemas.ts';
import { billableUsage, type BillableUsage } from '../../store/billing/usage.ts';
import { DuplicateKeyError, type Store, type StoredEntity, type StoreSession } from '../../store/ports.ts';
import type { InvoiceRow, PortalAppRow } from '../../store/schema.ts';
import { periodBefore, periodOf, type BillingPeriod } from './period.ts';
import { priceUsage, type InvoiceLine } from './pricing.ts';
import type { PaymentProvider } from './providers/provider.ts';
import { startPeriodic, type PeriodicJob } from '../../core/jobs/periodic.ts';

/** An invoice as computed (preview) or before it is stored. */
export interface DraftInvoice {
  readonly team_id: string;
  readonly app_id: string;
  readonly app_name: string;
  readonly consumer: string;
  readonly product: string;
  readonly plan: string;
  readonly period_start: string;
  readonly period_end: string;
  readonly currency: string;
  readonly calls: number;
  readonly billable_calls: number;
  readonly lines: readonly InvoiceLine[];
  readonly subtotal_minor: number;
  readonly total_minor: number;
}

/** How many finished periods back finalisation looks (a worker down over a month end catches up). */
const LOOKBACK_PERIODS = 3;

const key = (consumer: string, product: string, plan: string) => `${consumer}\u0000${product}\u0000${plan}`;

/**
 * The subscriptions of these consumers: an indexed query per consumer for a team's few
 * applications, one read of them all for many (finalisation over every team).
 */
export async function subscriptionsOf(session: StoreSession, consumers: readonly string[]): Promise<StoredEntity[]> {
  if (consumers.length > 20) {
    const wanted = new Set(consumers);
    return (await session.all('subscription')).filter((s) => wanted.has(String(s.data.consumer)));
  }
  // A consumer has one subscription per product: a page of 1000 holds them all.
  const pages = await Promise.all(consumers.map((consumer) => session.list('subscription', { limit: 1000, filters: { consumer } })));
  return pages.flatMap((p) => p.data);
}

/**
 * Drafts for the applications `apps` in `period`: one per consumer × product × plan that made calls
 * under a subscription, plus one per subscription (active or suspended now) without calls whose plan
 * charges a fee. Plans that are free, or gone from the config, produce none.
 */
export async function draftInvoices(session: StoreSession, apps: readonly PortalAppRow[], period: BillingPeriod, nowMs: number): Promise<DraftInvoice[]> {
  if (apps.length === 0) return [];
  const byConsumer = new Map(apps.map((a) => [a.consumer, a]));
  const usage = await billableUsage(session.usage, { from: period.start, to: period.end, consumers: [...byConsumer.keys()], nowMs });
  const subjects = new Map<string, BillableUsage>(usage.map((u) => [key(u.consumer, u.product, u.plan), u]));
  for (const s of await subscriptionsOf(session, [...byConsumer.keys()])) {
    const consumer = String(s.data.consumer), product = String(s.data.product), plan = String(s.data.plan);
    const status = String(s.data.status);
    if (!byConsumer.has(consumer) || (status !== 'active' && status !== 'suspended') || s.created_at >= period.end) continue;
    const k = key(consumer, product, plan);
    if (!subjects.has(k)) subjects.set(k, { consumer, product, plan, calls: 0, billable_calls: 0 });
  }
  const plans = new Map<string, Plan | undefined>();
  const drafts: DraftInvoice[] = [];
  for (const u of subjects.values()) {
    if (!plans.has(u.plan)) plans.set(u.plan, (await session.getByKey('plan', u.plan))?.data as Plan | undefined);
    const plan = plans.get(u.plan);
    if (!plan || plan.price.model === 'free') continue;
    const priced = priceUsage(plan.price, u.billable_calls);
    // A subscription without calls on a plan without a fee owes nothing: no invoice.
    if (u.calls === 0 && priced.total_minor === 0) continue;
    const app = byConsumer.get(u.consumer)!;
    drafts.push({
      team_id: app.team_id, app_id: app.id, app_name: app.name, consumer: u.consumer, product: u.product, plan: u.plan,
      period_start: period.start, period_end: period.end, currency: priced.currency, calls: u.calls, billable_calls: u.billable_calls,
      lines: priced.lines, subtotal_minor: priced.subtotal_minor, total_minor: priced.total_minor,
    });
  }
  return drafts.sort((a, b) => (a.app_name.localeCompare(b.app_name) || a.product.localeCompare(b.product) || a.plan.localeCompare(b.plan)));
}

/** The current period's invoices of a team so far (a preview: recomputed on every request). */
export async function previewInvoices(store: Store, teamId: string, nowMs: number): Promise<{ period: BillingPeriod; invoices: DraftInvoice[] }> {
  const session = store.read();
  const period = periodOf(nowMs);
  return { period, invoices: await draftInvoices(session, await session.portal.listApps(teamId), period, nowMs) };
}

export interface FinaliseResult {
  /** Invoices stored by this run. */
  readonly created: InvoiceRow[];
  /** Periods skipped because usage roll-ups before their end are still pending. */
  readonly waiting: string[];
}

export interface FinaliseOptions {
  readonly provider: PaymentProvider;
  /** Wait this long after a period ends before finalising it (late usage flushes). */
  readonly graceMs: number;
  readonly logger?: { warn(o: object, m?: string): void };
}

/**
 * Finalises every finished period (of the last LOOKBACK_PERIODS) not finalised yet: stores one open,
 * numbered invoice per draft, then calls the provider's `collect` once for each new invoice.
 * Idempotent: an invoice already stored (by an earlier run or another worker at once) is skipped
 * (the unique index on consumer × product × plan × period decides), so running it again adds nothing.
 * A period waits while usage roll-ups older than its end are pending: its hourly totals are not final.
 */
export async function finaliseInvoices(store: Store, nowMs: number, opts: FinaliseOptions): Promise<FinaliseResult> {
  const created: InvoiceRow[] = [];
  const waiting: string[] = [];
  const oldestDirty = (await store.read().usage.dirty('hour', 1))[0];
  for (let n = LOOKBACK_PERIODS; n >= 1; n--) {
    const period = periodBefore(nowMs, n);
    if (Date.parse(period.end) + opts.graceMs > nowMs) continue;
    if (oldestDirty !== undefined && oldestDirty < period.end) {
      waiting.push(period.start);
      continue;
    }
    const session = store.read();
    const drafts = await draftInvoices(session, await session.invoices.allApps(), period, nowMs);
    for (const d of drafts) {
      if (await session.invoices.find(d.consumer, d.product, d.plan, d.period_start)) continue;
      let invoice: InvoiceRow;
      try {
        invoice = await store.write((tx) => tx.invoices.insert({
          team_id: d.team_id, app_id: d.app_id, consumer: d.consumer, product: d.product, plan: d.plan,
          period_start: d.period_start, period_end: d.period_end, currency: d.currency, calls: d.calls, billable_calls: d.billable_calls,
          lines: JSON.stringify(d.lines), subtotal_minor: d.subtotal_minor, total_minor: d.total_minor, provider: opts.provider.name, provider_reference: null,
        }, new Date(nowMs).toISOString()));
      } catch (err) {
        if (err instanceof DuplicateKeyError) continue; // another worker stored it first
        throw err;
      }
      created.push(await collect(store, invoice, nowMs, opts));
    }
  }
  return { created, waiting };
}

/** Hands a new invoice to the provider; a failure leaves it open (an admin can settle it by hand). */
async function collect(store: Store, invoice: InvoiceRow, nowMs: number, opts: FinaliseOptions): Promise<InvoiceRow> {
  try {
    const r = await opts.provider.collect(invoice);
    const at = new Date(nowMs).toISOString();
    if (r.status === 'paid') return (await store.write((tx) => tx.invoices.settle(invoice.id, 'paid', at, r.reference))) ?? invoice;
    if (r.reference !== undefined) {
      await store.write((tx) => tx.invoices.setProviderReference(invoice.id, r.reference!, at));
      return { ...invoice, provider_reference: r.reference };
    }
  } catch (err) {
    opts.logger?.warn({ invoice: invoice.number, provider: opts.provider.name, error: (err as Error).message }, 'the payment provider could not collect an invoice; it stays open');
  }
  return invoice;
}

/** Lines of a stored invoice. */
export const linesOf = (row: InvoiceRow): InvoiceLine[] => JSON.parse(row.lines) as InvoiceLine[];

export type BillingJob = PeriodicJob<FinaliseResult>;

/** The worker role's finalisation job: a round every `everyMs` (and one at start). */
export function startBillingJob(opts: FinaliseOptions & { store: Store; everyMs: number; logger: { info(o: object, m?: string): void; warn(o: object, m?: string): void } }): BillingJob {
  return startPeriodic(() => finaliseInvoices(opts.store, Date.now(), opts), opts.everyMs, {
    result(r) { if (r.created.length > 0) opts.logger.info({ invoices: r.created.length }, 'invoices finalised'); },
    error(err) { opts.logger.warn({ error: err.message }, 'invoice finalisation failed; retrying'); },
  });
}
