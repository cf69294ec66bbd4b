// Invoices (schema 8): written once per application × product × plan × period by the worker's
// finalisation, then only their status moves (open → paid | void). Reached through a session
// (`tx.invoices`), so numbering and the insert share one transaction: a duplicate rolls the
// number back with it, and numbers stay gapless per period month.
import { sql } from 'kysely';
import { keysetPage, type Db } from '../page.ts';
import { DuplicateKeyError, isUniqueViolation, type ListQuery, type Page } from '../ports.ts';
import type { Dialect, InvoiceRow, PortalAppRow } from '../schema.ts';
import { uuidv7 } from '../ids.ts';

export type InvoiceStatus = InvoiceRow['status'];
export type NewInvoice = Omit<InvoiceRow, 'id' | 'number' | 'created_at' | 'updated_at' | 'paid_at' | 'voided_at' | 'version' | 'status'>;

/** pg returns bigint columns as strings; SQLite as numbers: normalised once here. */
function toInvoice(r: InvoiceRow): InvoiceRow {
  return { ...r, calls: Number(r.calls), billable_calls: Number(r.billable_calls), subtotal_minor: Number(r.subtotal_minor), total_minor: Number(r.total_minor), version: Number(r.version) };
}

/** INV-2026-11-000123: the period's month and its sequence number, six digits at least. */
export const invoiceNumber = (periodStart: string, n: number) => `INV-${periodStart.slice(0, 4)}-${periodStart.slice(5, 7)}-${String(n).padStart(6, '0')}`;

export class InvoiceStore {
  readonly #db: Db;
  readonly #dialect: Dialect;
  constructor(db: Db, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  get dialect(): Dialect { return this.#dialect; }

  /** The next number of a scope (a period month), one statement: concurrent callers get distinct ones. */
  async nextNumber(scope: string): Promise<number> {
    const r = await this.#db.insertInto('invoice_sequences').values({ scope, last: 1 })
      .onConflict((oc) => oc.column('scope').doUpdateSet((eb) => ({ last: eb('invoice_sequences.last', '+', 1) })))
      .returning('last').executeTakeFirstOrThrow();
    return Number(r.last);
  }

  /**
   * Numbers and stores a new open invoice. An invoice for the same consumer × product × plan ×
   * period already there: DuplicateKeyError (the caller's transaction, with its number, rolls back).
   */
  async insert(input: NewInvoice, at = new Date().toISOString()): Promise<InvoiceRow> {
    if (await this.find(input.consumer, input.product, input.plan, input.period_start)) throw new DuplicateKeyError(`an invoice for ${input.consumer} × ${input.product}/${input.plan} from ${input.period_start} exists`);
    const n = await this.nextNumber(input.period_start.slice(0, 7));
    const row: InvoiceRow = { ...input, id: uuidv7(), number: invoiceNumber(input.period_start, n), status: 'open', created_at: at, updated_at: at, paid_at: null, voided_at: null, version: 1 };
    try {
      await this.#db.insertInto('invoices').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateKeyError(`an invoice for ${input.consumer} × ${input.product}/${input.plan} from ${input.period_start} exists`);
      throw err;
    }
    return row;
  }

  async find(consumer: string, product: string, plan: string, periodStart: string): Promise<InvoiceRow | undefined> {
    const r = await this.#db.selectFrom('invoices').selectAll().where('consumer', '=', consumer).where('product', '=', product).where('plan', '=', plan).where('period_start', '=', periodStart).executeTakeFirst();
    return r ? toInvoice(r) : undefined;
  }

  async get(id: string): Promise<InvoiceRow | undefined> {
    const r = await this.#db.selectFrom('invoices').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toInvoice(r) : undefined;
  }

  /** A team's invoice: another team's, or none, is undefined (the API answers 404 for both). */
  async getOfTeam(teamId: string, id: string): Promise<InvoiceRow | undefined> {
    const r = await this.#db.selectFrom('invoices').selectAll().where('team_id', '=', teamId).where('id', '=', id).executeTakeFirst();
    return r ? toInvoice(r) : undefined;
  }

  /** Newest first (by id: uuidv7 follows creation), filtered. */
  list(query: ListQuery & { team_id?: string; status?: InvoiceStatus; consumer?: string }): Promise<Page<InvoiceRow>> {
    return keysetPage(this.#db, 'invoices', { ...query, descending: query.descending ?? true }, 'id', (qb) => {
      if (query.team_id !== undefined) qb = qb.where('team_id', '=', query.team_id);
      if (query.status !== undefined) qb = qb.where('status', '=', query.status);
      if (query.consumer !== undefined) qb = qb.where('consumer', '=', query.consumer);
      return qb;
    }, (r: InvoiceRow) => toInvoice(r));
  }

  /**
   * Moves an OPEN invoice to paid or void (conditional on it still being open, so two admins
   * cannot both settle it); undefined when it is not open (or does not exist).
   */
  async settle(id: string, status: 'paid' | 'void', at: string, reference?: string): Promise<InvoiceRow | undefined> {
    const patch = {
      status, updated_at: at, version: sql<number>`version + 1`,
      ...(status === 'paid' ? { paid_at: at } : { voided_at: at }),
      ...(reference !== undefined ? { provider_reference: reference } : {}),
    };
    const r = await this.#db.updateTable('invoices').set(patch).where('id', '=', id).where('status', '=', 'open').executeTakeFirst();
    return Number(r.numUpdatedRows) === 1 ? this.get(id) : undefined;
  }

  /** Records the provider's reference for an invoice (e.g. a payment intent), after finalisation. */
  async setProviderReference(id: string, reference: string, at: string): Promise<void> {
    await this.#db.updateTable('invoices').set({ provider_reference: reference, updated_at: at }).where('id', '=', id).execute();
  }

  /** Every portal application (team link and consumer): the applications finalisation bills. */
  async allApps(): Promise<PortalAppRow[]> {
    const rows = await this.#db.selectFrom('portal_apps').selectAll().orderBy('id').execute();
    return rows.map((r) => ({ ...r, version: Number(r.version) }));
  }
}
