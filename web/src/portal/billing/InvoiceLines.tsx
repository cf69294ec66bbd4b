// An invoice's lines and totals as a table (used by the preview and the invoice page).
import type { components } from '../../api/portal.gen/index.ts';
import { DataTable } from '../../ui/Table.tsx';
import { formatMoney, formatUnit } from './money.ts';

type Line = components['schemas']['InvoiceLine'];

export function InvoiceLines({ caption, lines, currency, subtotal, total }: { caption: string; lines: readonly Line[]; currency: string; subtotal: number; total: number }) {
  const rows = [...lines.map((l, i) => ({ key: String(i), ...l })), { key: 'subtotal', description: 'Subtotal', kind: 'fee' as const, quantity: Number.NaN, unit_price_minor: Number.NaN, amount_minor: subtotal }, { key: 'total', description: 'Total', kind: 'fee' as const, quantity: Number.NaN, unit_price_minor: Number.NaN, amount_minor: total }];
  return (
    <DataTable caption={caption} rows={rows} rowKey={(r) => r.key} empty="Nothing charged." columns={[
      { key: 'd', header: 'Description', render: (r) => (r.key === 'total' ? <strong>{r.description}</strong> : r.description) },
      { key: 'q', header: 'Quantity', render: (r) => (Number.isNaN(r.quantity) ? '' : r.quantity.toLocaleString('en-US')) },
      { key: 'u', header: 'Unit price (minor units)', render: (r) => (Number.isNaN(r.unit_price_minor) ? '' : formatUnit(r.unit_price_minor)) },
      { key: 'a', header: 'Amount', render: (r) => (r.key === 'total' ? <strong>{formatMoney(r.amount_minor, currency)}</strong> : formatMoney(r.amount_minor, currency)) },
    ]} />
  );
}
