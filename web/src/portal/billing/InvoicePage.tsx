// One invoice: lines, totals, status, how to pay (per the payment provider) and downloads.
import { call, portal } from '../../api/portal.ts';
import { useAsync } from '../../console/useAsync.ts';
import { Link } from '../../router.tsx';
import { Badge } from '../../ui/Badge.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import type { PageProps } from '../routes.tsx';
import { usePortalSession } from '../session.tsx';
import { STATUS_TONE } from './BillingPage.tsx';
import { InvoiceLines } from './InvoiceLines.tsx';
import { formatMoney } from './money.ts';
import './billing.css';

const day = (iso: string | null) => (iso ? new Date(iso).toLocaleDateString('en-GB', { timeZone: 'UTC', dateStyle: 'medium' }) : '–');

export default function InvoicePage({ params }: PageProps) {
  const { team } = usePortalSession();
  const teamId = team?.id ?? '';
  const id = params.id ?? '';
  const invoice = useAsync(async () => (teamId ? call(portal.GET('/portal/api/teams/{team}/invoices/{invoice}', { params: { path: { team: teamId, invoice: id } } })) : undefined), [teamId, id]);
  const back = <p><Link href="/billing">Back to billing</Link></p>;
  if (invoice.error) return <div className="container section"><h1>Invoice</h1><p role="alert" className="error">{invoice.error}</p>{back}</div>;
  if (!invoice.data) return <div className="container section"><h1>Invoice</h1><Spinner label="Loading the invoice" /></div>;
  const v = invoice.data;
  const download = `/portal/api/teams/${encodeURIComponent(teamId)}/invoices/${encodeURIComponent(v.id)}/download`;
  return (
    <div className="container section">
      {back}
      <div className="invoice-head">
        <h1>Invoice {v.number}</h1>
        <Badge tone={STATUS_TONE[v.status] ?? 'neutral'}>{v.status}</Badge>
      </div>
      <dl className="invoice-meta">
        <dt>Period</dt><dd>{v.period.label} (UTC)</dd>
        <dt>Issued</dt><dd>{day(v.issued_at)}</dd>
        {v.paid_at ? <><dt>Paid</dt><dd>{day(v.paid_at)}</dd></> : null}
        {v.voided_at ? <><dt>Voided</dt><dd>{day(v.voided_at)}</dd></> : null}
        <dt>Application</dt><dd>{v.app.name}</dd>
        <dt>Product / plan</dt><dd>{v.product} / {v.plan}</dd>
        <dt>Calls</dt><dd>{v.calls.toLocaleString('en-US')} ({v.billable_calls.toLocaleString('en-US')} billable)</dd>
        <dt>Total</dt><dd className="invoice-total">{formatMoney(v.total_minor, v.currency)}</dd>
      </dl>
      <InvoiceLines caption={`Lines of invoice ${v.number}`} lines={v.lines} currency={v.currency} subtotal={v.subtotal_minor} total={v.total_minor} />
      <section aria-labelledby="pay" className="section">
        <h2 id="pay">How to pay</h2>
        <p className="pay-box">{v.payment.text}</p>
        {v.payment.url ? <p><a href={v.payment.url} rel="noopener noreferrer">Pay online</a></p> : null}
      </section>
      <p className="btn-row">
        <a className="btn" href={download} target="_blank" rel="noopener">Printable invoice</a>
        <a className="btn" href={`${download}?format=csv`} download>Download CSV</a>
      </p>
    </div>
  );
}
