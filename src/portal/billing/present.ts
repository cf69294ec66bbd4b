// How invoices are shown: JSON for the APIs, CSV and a printable HTML page for downloads. Every
// text that came from people (application names) is escaped in HTML and quoted in CSV.
import type { InvoiceRow } from '../../store/schema.ts';
import type { DraftInvoice } from './invoicing.ts';
import { linesOf } from './invoicing.ts';
import type { InvoiceLine } from './pricing.ts';
import type { PaymentInstructions } from './providers/provider.ts';
import { periodLabel } from './period.ts';

export interface InvoiceView {
  readonly id: string;
  readonly number: string;
  readonly status: InvoiceRow['status'];
  readonly app: { readonly id: string; readonly name: string };
  readonly product: string;
  readonly plan: string;
  readonly period: { readonly start: string; readonly end: string; readonly label: string };
  readonly currency: string;
  readonly calls: number;
  readonly billable_calls: number;
  readonly lines: readonly InvoiceLine[];
  readonly subtotal_minor: number;
  readonly total_minor: number;
  readonly issued_at: string;
  readonly paid_at: string | null;
  readonly voided_at: string | null;
  readonly provider: string;
}

export const DELETED_APP = '(deleted application)';

export function presentInvoice(row: InvoiceRow, appName: string | undefined): InvoiceView {
  const period = { start: row.period_start, end: row.period_end };
  return {
    id: row.id, number: row.number, status: row.status, app: { id: row.app_id, name: appName ?? DELETED_APP }, product: row.product, plan: row.plan,
    period: { ...period, label: periodLabel(period) }, currency: row.currency, calls: row.calls, billable_calls: row.billable_calls,
    lines: linesOf(row), subtotal_minor: row.subtotal_minor, total_minor: row.total_minor, issued_at: row.created_at,
    paid_at: row.paid_at, voided_at: row.voided_at, provider: row.provider,
  };
}

export function presentDraft(d: DraftInvoice) {
  const period = { start: d.period_start, end: d.period_end };
  return {
    app: { id: d.app_id, name: d.app_name }, product: d.product, plan: d.plan, period: { ...period, label: periodLabel(period) },
    currency: d.currency, calls: d.calls, billable_calls: d.billable_calls, lines: d.lines, subtotal_minor: d.subtotal_minor, total_minor: d.total_minor,
  };
}

/** Minor units as a decimal amount: 12345 USD → "123.45" (currencies with 2 decimals; JPY-like ones show 0). */
export function formatMinor(minor: number, currency: string): string {
  const digits = ZERO_DECIMAL.has(currency) ? 0 : 2;
  return (minor / 10 ** digits).toFixed(digits);
}
const ZERO_DECIMAL = new Set(['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'HUF', 'TWD', 'UGX', 'XAF', 'XOF']);

const csvField = (v: string | number) => {
  const s = String(v);
  // Quoted when needed; a leading = + - @ is defused so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** The invoice as CSV (RFC 4180): a header block, then one row per line, then the total. */
export function invoiceCsv(v: InvoiceView): string {
  const rows: (string | number)[][] = [
    ['invoice', v.number], ['status', v.status], ['application', v.app.name], ['product', v.product], ['plan', v.plan],
    ['period_start', v.period.start], ['period_end', v.period.end], ['currency', v.currency], [],
    ['description', 'kind', 'quantity', 'unit_price_minor', 'amount_minor'],
    ...v.lines.map((l) => [l.description, l.kind, l.quantity, l.unit_price_minor, l.amount_minor]),
    ['Subtotal', '', '', '', v.subtotal_minor], ['Total', '', '', '', v.total_minor],
  ];
  return `${rows.map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained printable page (no scripts, inline styles only; served with a strict CSP). */
export function invoiceHtml(v: InvoiceView, pay: PaymentInstructions, issuer: string): string {
  const money = (m: number) => `${esc(v.currency)} ${formatMinor(m, v.currency)}`;
  const lines = v.lines.map((l) => `<tr><td>${esc(l.description)}</td><td class="n">${l.quantity.toLocaleString('en-US')}</td><td class="n">${l.unit_price_minor}</td><td class="n">${money(l.amount_minor)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Invoice ${esc(v.number)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;color:#111;max-width:48rem;margin:2rem auto;padding:0 1rem}h1{font-size:1.5rem}table{width:100%;border-collapse:collapse;margin:1rem 0}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ccc;overflow-wrap:anywhere}.n{text-align:right;white-space:nowrap}tfoot td{font-weight:bold}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}</style>
</head><body>
<h1>Invoice ${esc(v.number)}</h1>
<p>${esc(issuer)}</p>
<dl><dt>Status</dt><dd>${esc(v.status)}</dd><dt>Issued</dt><dd>${esc(v.issued_at.slice(0, 10))}</dd><dt>Period</dt><dd>${esc(v.period.label)} (${esc(v.period.start.slice(0, 10))} to ${esc(v.period.end.slice(0, 10))}, UTC, end exclusive)</dd>
<dt>Application</dt><dd>${esc(v.app.name)}</dd><dt>Product / plan</dt><dd>${esc(v.product)} / ${esc(v.plan)}</dd><dt>Calls</dt><dd>${v.calls.toLocaleString('en-US')} (${v.billable_calls.toLocaleString('en-US')} billable)</dd></dl>
<table><caption class="sr">Invoice lines</caption><thead><tr><th scope="col">Description</th><th scope="col" class="n">Quantity</th><th scope="col" class="n">Unit price (minor units)</th><th scope="col" class="n">Amount</th></tr></thead>
<tbody>${lines}</tbody><tfoot><tr><td colspan="3">Subtotal</td><td class="n">${money(v.subtotal_minor)}</td></tr><tr><td colspan="3">Total</td><td class="n">${money(v.total_minor)}</td></tr></tfoot></table>
<h2>How to pay</h2><p>${esc(pay.text)}</p>
</body></html>
`;
}
