// A team's invoices in the portal: the current period's live preview, finalised invoices (list,
// one, download as CSV or a printable HTML page) and how to pay each per the payment provider.
// Every member of the team sees them (developers too: they watch what their calls cost); another
// team's invoice is "not found", like one that does not exist.
import Type from 'typebox';
import { ApiProblem, Timestamp, Uuid, pageParams, type OpResult } from '../../admin/api/types.ts';
import { periodLabel } from '../billing/period.ts';
import { previewInvoices } from '../billing/invoicing.ts';
import { invoiceCsv, invoiceHtml, presentDraft, presentInvoice } from '../billing/present.ts';
import type { PaymentProvider } from '../billing/providers/provider.ts';
import type { InvoiceStatus } from '../../store/billing/invoices.ts';
import { principalOf, requireMember, type PortalContext, type PortalOperation } from './context.ts';

const LineSchema = Type.Object({
  description: Type.String(), kind: Type.Union([Type.Literal('fee'), Type.Literal('included'), Type.Literal('usage')]),
  quantity: Type.Integer(), unit_price_minor: Type.Number({ description: 'Minor units per unit; may be fractional.' }), amount_minor: Type.Integer(),
}, { title: 'InvoiceLine' });
const PeriodSchema = Type.Object({ start: Timestamp, end: Timestamp, label: Type.String({ description: 'e.g. "November 2026".' }) }, { title: 'BillingPeriod', description: 'A calendar month in UTC; `end` is exclusive.' });
const Common = {
  app: Type.Object({ id: Uuid, name: Type.String() }), product: Type.String(), plan: Type.String(), period: PeriodSchema,
  currency: Type.String(), calls: Type.Integer({ description: 'Every call under the subscription in the period.' }), billable_calls: Type.Integer({ description: 'The calls charged (docs/billing.md#billable-calls).' }),
  lines: Type.Array(LineSchema), subtotal_minor: Type.Integer(), total_minor: Type.Integer(),
};
const PaySchema = Type.Object({ provider: Type.String(), text: Type.String(), url: Type.Optional(Type.String()) }, { title: 'PaymentInstructions' });
export const InvoiceSchema = Type.Object({
  id: Uuid, number: Type.String({ description: 'e.g. INV-2026-11-000123.' }),
  status: Type.Union([Type.Literal('open'), Type.Literal('paid'), Type.Literal('void')]), ...Common,
  issued_at: Timestamp, paid_at: Type.Union([Timestamp, Type.Null()]), voided_at: Type.Union([Timestamp, Type.Null()]), provider: Type.String(),
}, { title: 'Invoice' });
const InvoiceDetailSchema = Type.Object({ ...InvoiceSchema.properties, payment: PaySchema }, { title: 'InvoiceDetail' });
const PreviewSchema = Type.Object({
  period: PeriodSchema,
  data: Type.Array(Type.Object(Common, { title: 'InvoicePreview' }), { description: 'One per application × product × plan with calls or a fee so far.' }),
}, { title: 'InvoicePreviews' });
const STATUSES = ['open', 'paid', 'void'] as const;

export function billingOperations(ctx: PortalContext, provider: PaymentProvider): PortalOperation[] {
  const { store } = ctx;
  const appNames = async (team: string) => new Map((await store.read().portal.listApps(team)).map((a) => [a.id, a.name]));
  const invoiceOf = async (input: Parameters<PortalOperation['handler']>[0]) => {
    const team = input.params.team!;
    await requireMember(ctx, principalOf(input), team);
    const row = await store.read().invoices.getOfTeam(team, input.params.invoice!);
    if (!row) throw new ApiProblem('not-found', 'no such invoice');
    return presentInvoice(row, (await appNames(team)).get(row.app_id));
  };
  const INVOICE = '/portal/api/teams/{team}/invoices/{invoice}';
  return [
    {
      id: 'portal-invoice-preview', method: 'GET', path: '/portal/api/teams/{team}/invoices/preview', tag: 'Billing', role: 'user',
      summary: 'This period’s invoices so far (a preview)',
      description: 'Computed on request from the usage metered so far this month (the hourly roll-up, about a minute behind) and today’s prices. The finalised invoice is written after the month ends.',
      responses: { 200: { description: 'The preview.', schema: PreviewSchema } },
      problems: ['not-found'],
      async handler(input) {
        const team = input.params.team!;
        await requireMember(ctx, principalOf(input), team);
        const { period, invoices } = await previewInvoices(store, team, ctx.settings.now());
        return { body: { period: { ...period, label: periodLabel(period) }, data: invoices.map(presentDraft) } };
      },
    },
    {
      id: 'portal-list-invoices', method: 'GET', path: '/portal/api/teams/{team}/invoices', tag: 'Billing', role: 'user',
      summary: 'The team’s invoices, newest first',
      query: [
        { name: 'status', description: '`open`, `paid` or `void`.', schema: Type.Union(STATUSES.map((s) => Type.Literal(s))) },
        { name: 'limit', description: 'Page size (1–1000, default 100).', schema: Type.Integer({ minimum: 1, maximum: 1000 }) },
        { name: 'cursor', description: 'From the previous page’s `next_cursor`.', schema: Type.String() },
      ],
      responses: { 200: { description: 'One page.', schema: Type.Object({ data: Type.Array(InvoiceSchema), next_cursor: Type.Optional(Type.String()) }) } },
      problems: ['not-found'],
      async handler(input) {
        const team = input.params.team!;
        await requireMember(ctx, principalOf(input), team);
        const status = input.query.status;
        if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) throw new ApiProblem('validation-failed', 'status must be open, paid or void', [{ pointer: '/query/status', detail: 'must be open, paid or void' }]);
        const page = await store.read().invoices.list({ ...pageParams(input.query), team_id: team, ...(status !== undefined ? { status: status as InvoiceStatus } : {}) });
        const names = await appNames(team);
        return { body: { data: page.data.map((r) => presentInvoice(r, names.get(r.app_id))), ...(page.next_cursor ? { next_cursor: page.next_cursor } : {}) } };
      },
    },
    {
      id: 'portal-get-invoice', method: 'GET', path: INVOICE, tag: 'Billing', role: 'user',
      summary: 'An invoice, with how to pay it',
      responses: { 200: { description: 'The invoice.', schema: InvoiceDetailSchema } },
      problems: ['not-found'],
      async handler(input) {
        const v = await invoiceOf(input);
        return { body: { ...v, payment: provider.instructions({ number: v.number, total_minor: v.total_minor, currency: v.currency, status: v.status }) } };
      },
    },
    {
      id: 'portal-download-invoice', method: 'GET', path: `${INVOICE}/download`, tag: 'Billing', role: 'user',
      summary: 'Download an invoice (CSV or a printable HTML page)',
      query: [{ name: 'format', description: '`html` (default: a printable page; print it to PDF from the browser) or `csv`.', schema: Type.Union([Type.Literal('html'), Type.Literal('csv')]) }],
      responses: { 200: { description: 'The invoice as HTML or CSV.', contentType: 'text/html' } },
      problems: ['not-found'],
      async handler(input): Promise<OpResult> {
        const format = input.query.format ?? 'html';
        if (format !== 'html' && format !== 'csv') throw new ApiProblem('validation-failed', 'format must be html or csv', [{ pointer: '/query/format', detail: 'must be html or csv' }]);
        const v = await invoiceOf(input);
        if (format === 'csv') return { body: invoiceCsv(v), contentType: 'text/csv; charset=utf-8', headers: { 'content-disposition': `attachment; filename="${v.number}.csv"` } };
        const pay = provider.instructions({ number: v.number, total_minor: v.total_minor, currency: v.currency, status: v.status });
        return {
          body: invoiceHtml(v, pay, ctx.settings.publicUrl), contentType: 'text/html; charset=utf-8',
          // Inline styles only: no script runs on this page, whatever an application is named.
          headers: { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'", 'content-disposition': `inline; filename="${v.number}.html"` },
        };
      },
    },
  ];
}
