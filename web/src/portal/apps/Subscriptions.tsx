// The Subscriptions tab: the plans this application is subscribed to, with what each status
// means, and cancelling. Subscribing starts from the catalog (/apps/subscribe).
import { useState } from 'react';
import { call, messageOf, portal } from '../../api/portal.ts';
import { Link } from '../../router.tsx';
import { Badge, type Tone } from '../../ui/Badge.tsx';
import { DataTable } from '../../ui/Table.tsx';
import { Button } from '../../ui/Button.tsx';
import { useToast } from '../../ui/Toast.tsx';
import { Confirm, useAsync, when, type App, type Subscription } from './shared.tsx';

const STATUS: Record<string, { tone: Tone; meaning: string }> = {
  pending: { tone: 'warning', meaning: 'Waiting for an administrator to approve this plan. Calls to the API are refused until then.' },
  active: { tone: 'success', meaning: 'Your keys can call the API within the plan’s limits.' },
  suspended: { tone: 'danger', meaning: 'Suspended by an administrator: calls are refused.' },
  cancelled: { tone: 'neutral', meaning: 'Ended. Subscribe again from the catalog.' },
};

export function Subscriptions({ team, app }: { team: string; app: App }) {
  const toast = useToast();
  const path = { team, app: app.id };
  const subs = useAsync(async () => (await call(portal.GET('/portal/api/teams/{team}/apps/{app}/subscriptions', { params: { path } }))).data, [team, app.id]);
  // Product and plan titles for people; the names alone still show if the catalog cannot load.
  const catalog = useAsync(async () => (await call(portal.GET('/portal/api/catalog'))).data, []);
  const [cancelling, setCancelling] = useState<Subscription | undefined>();
  const [busy, setBusy] = useState(false);
  const product = (name: string) => catalog.data?.find((p) => p.name === name);
  const productTitle = (name: string) => product(name)?.title || name;
  const planTitle = (s: Subscription) => product(s.product)?.plans.find((p) => p.name === s.plan)?.title || s.plan;

  const cancel = async () => {
    const s = cancelling!;
    setBusy(true);
    try {
      await call(portal.DELETE('/portal/api/teams/{team}/apps/{app}/subscriptions/{subscription}', { params: { path: { ...path, subscription: s.id } } }));
      toast.show(`Subscription to ${productTitle(s.product)} cancelled`);
      subs.reload();
    } catch (err) {
      toast.show(messageOf(err), 'error');
    } finally {
      setBusy(false);
      setCancelling(undefined);
    }
  };

  const pending = subs.data?.some((s) => s.status === 'pending');
  return (
    <section aria-labelledby="subs-heading" className="tab-section">
      <div className="toolbar">
        <h2 id="subs-heading">Subscriptions</h2>
        <Link href="/catalog" className="btn btn-primary">Browse the API catalog</Link>
      </div>
      {pending ? <p className="notice notice-warning" role="note">A <strong>pending</strong> subscription waits for an administrator’s approval; its API refuses this application’s calls until then. You do not need to do anything: the status changes here once it is approved.</p> : null}
      <DataTable<Subscription>
        caption="Subscriptions"
        rows={subs.data}
        loading={subs.loading}
        error={subs.error}
        empty="No subscriptions yet. Find an API in the catalog and subscribe this application to one of its plans."
        rowKey={(s) => s.id}
        columns={[
          { key: 'product', header: 'API product', truncate: (s) => productTitle(s.product), render: (s) => productTitle(s.product) },
          { key: 'plan', header: 'Plan', truncate: (s) => planTitle(s), render: (s) => planTitle(s) },
          { key: 'status', header: 'Status', render: (s) => <span className="status-cell"><Badge tone={STATUS[s.status]?.tone ?? 'neutral'}>{s.status}</Badge> <span className="hint">{STATUS[s.status]?.meaning}</span></span> },
          { key: 'since', header: 'Since', render: (s) => when(s.updated_at) },
          { key: 'actions', header: 'Actions', render: (s) => (s.status === 'cancelled' ? null : <Button small variant="danger" onClick={() => setCancelling(s)} aria-label={`Cancel ${productTitle(s.product)}`}>Cancel</Button>) },
        ]}
      />
      <Confirm open={cancelling !== undefined} title="Cancel the subscription?" action="Cancel subscription" busy={busy} onConfirm={() => void cancel()} onCancel={() => setCancelling(undefined)}>
        <p>This application’s keys stop working for {cancelling ? productTitle(cancelling.product) : ''} at once. The subscription stays listed as cancelled; you can subscribe again later.</p>
      </Confirm>
    </section>
  );
}
