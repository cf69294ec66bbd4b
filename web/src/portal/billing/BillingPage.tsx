// Billing: this month's invoices so far (a live preview) and the finalised invoices, each linking
// to its page.
import { call, portal } from '../../api/portal.ts';
import { useAsync } from '../../console/useAsync.ts';
import { Link } from '../../router.tsx';
import { Badge, type Tone } from '../../ui/Badge.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import { DataTable } from '../../ui/Table.tsx';
import { usePortalSession } from '../session.tsx';
import { InvoiceLines } from './InvoiceLines.tsx';
import { formatMoney } from './money.ts';
import './billing.css';

export const STATUS_TONE: Record<string, Tone> = { open: 'warning', paid: 'success', void: 'neutral' };

export default function BillingPage() {
  const { team } = usePortalSession();
  const teamId = team?.id ?? '';
  const preview = useAsync(async () => (teamId ? call(portal.GET('/portal/api/teams/{team}/invoices/preview', { params: { path: { team: teamId } } })) : undefined), [teamId]);
  const invoices = useAsync(async () => (teamId ? (await call(portal.GET('/portal/api/teams/{team}/invoices', { params: { path: { team: teamId } } }))).data : []), [teamId]);
  if (!team) return <div className="container section"><h1>Billing</h1><p>You are not in a team yet.</p></div>;
  return (
    <div className="container section">
      <h1>Billing</h1>
      <section aria-labelledby="current" aria-busy={preview.loading}>
        <h2 id="current">This period{preview.data ? `: ${preview.data.period.label}` : ''}</h2>
        <p>A preview of what {team.name} owes so far, from the billable calls metered until now (UTC month). The invoice is issued after the month ends.</p>
        {preview.error ? <p role="alert" className="error">{preview.error}</p>
          : preview.loading && !preview.data ? <Spinner label="Loading the preview" />
            : (preview.data?.data ?? []).length === 0 ? <p>Nothing to bill this period: no paid plan has been used yet.</p>
              : (
                <ul className="invoice-previews">
                  {preview.data!.data.map((p) => (
                    <li key={`${p.app.id}/${p.product}/${p.plan}`} className="card">
                      <div className="invoice-head">
                        <h3>{p.app.name} · {p.product} / {p.plan}</h3>
                        <span className="invoice-total" data-testid="preview-total">{formatMoney(p.total_minor, p.currency)}</span>
                      </div>
                      <p>{p.billable_calls.toLocaleString('en-US')} billable of {p.calls.toLocaleString('en-US')} calls so far.</p>
                      <InvoiceLines caption={`Preview lines for ${p.app.name}, ${p.product} ${p.plan}`} lines={p.lines} currency={p.currency} subtotal={p.subtotal_minor} total={p.total_minor} />
                    </li>
                  ))}
                </ul>
              )}
      </section>
      <section aria-labelledby="invoices" className="section">
        <h2 id="invoices">Invoices</h2>
        <DataTable caption="Invoices" rows={invoices.data} loading={invoices.loading} error={invoices.error} rowKey={(i) => i.id} empty="No invoices yet: the first one is issued after your first paid month."
          columns={[
            { key: 'number', header: 'Number', render: (i) => <Link href={`/billing/invoices/${encodeURIComponent(i.id)}`}>{i.number}</Link> },
            { key: 'period', header: 'Period', render: (i) => i.period.label },
            { key: 'app', header: 'Application', render: (i) => i.app.name, truncate: (i) => i.app.name },
            { key: 'plan', header: 'Plan', render: (i) => `${i.product} / ${i.plan}` },
            { key: 'total', header: 'Total', render: (i) => formatMoney(i.total_minor, i.currency) },
            { key: 'status', header: 'Status', render: (i) => <Badge tone={STATUS_TONE[i.status] ?? 'neutral'}>{i.status}</Badge> },
          ]} />
      </section>
    </div>
  );
}
