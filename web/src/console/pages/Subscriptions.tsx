// The subscription approval queue (pending subscriptions → approve or reject) and all
// subscriptions. Approving sets status "active" (the gateway lets the consumer in at once);
// rejecting sets "cancelled". Both are conditional on the version shown (If-Match).
import { useState } from 'react';
import { messageOf } from '../../api/client.ts';
import { Badge } from '../../ui/Badge.tsx';
import { Button } from '../../ui/Button.tsx';
import { DataTable, type Column } from '../../ui/Table.tsx';
import { Tabs } from '../../ui/Tabs.tsx';
import { useToast } from '../../ui/Toast.tsx';
import { KINDS, listEntities, patchEntity, type Entity } from '../entities.ts';
import { useSession } from '../session.tsx';
import { useAsync } from '../useAsync.ts';
import { EntityPage } from './EntityPage.tsx';

function Queue() {
  const session = useSession();
  const toast = useToast();
  const pending = useAsync(() => listEntities('subscriptions', { status: 'pending', limit: 1000 }), []);
  const [working, setWorking] = useState<string>();
  const decide = async (s: Entity, status: 'active' | 'cancelled') => {
    setWorking(s.id);
    try {
      await patchEntity('subscriptions', s.id, { status }, `"v${s.version}"`);
      toast.show(`${status === 'active' ? 'Approved' : 'Rejected'}: ${String(s.consumer)} on ${String(s.product)} (${String(s.plan)})`);
      pending.reload();
    } catch (err) {
      toast.show(messageOf(err), 'error');
      pending.reload();
    } finally {
      setWorking(undefined);
    }
  };
  const columns: Column<Entity>[] = [
    { key: 'consumer', header: 'Consumer', truncate: (s) => String(s.consumer), render: (s) => String(s.consumer) },
    { key: 'product', header: 'Product', truncate: (s) => String(s.product), render: (s) => String(s.product) },
    { key: 'plan', header: 'Plan', render: (s) => String(s.plan) },
    { key: 'created', header: 'Requested', render: (s) => new Date(s.created_at).toLocaleString() },
    { key: 'status', header: 'Status', render: () => <Badge tone="warning">pending</Badge> },
    ...(session.canEdit ? [{
      key: 'decide', header: 'Decision',
      render: (s: Entity) => (
        <div className="btn-row">
          <Button small variant="primary" busy={working === s.id} onClick={() => void decide(s, 'active')} aria-label={`Approve ${String(s.consumer)} on ${String(s.product)}`}>Approve</Button>
          <Button small variant="danger" disabled={working === s.id} onClick={() => void decide(s, 'cancelled')} aria-label={`Reject ${String(s.consumer)} on ${String(s.product)}`}>Reject</Button>
        </div>
      ),
    }] : []),
  ];
  return <DataTable caption="Pending subscriptions" columns={columns} rows={pending.data?.data} loading={pending.loading} error={pending.error} empty="No subscription is waiting for approval." rowKey={(s) => s.id} />;
}

export default function SubscriptionsPage() {
  const [tab, setTab] = useState('queue');
  return <Tabs label="Subscriptions" selected={tab} onSelect={setTab} tabs={[
    { id: 'queue', title: 'Approval queue', content: () => <Queue /> },
    { id: 'all', title: 'All subscriptions', content: () => <EntityPage kind={KINDS.subscriptions} /> },
  ]} />;
}
