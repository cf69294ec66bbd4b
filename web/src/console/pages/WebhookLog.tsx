// The webhooks page's log: messages (newest first, by event type) with their payload and
// deliveries, and all deliveries (by status: `failed` are the dead letters). Editors resend a
// message to one endpoint or to every endpoint it went to; a resend is a new delivery with its
// own retry schedule.
import { useState, type FormEvent } from 'react';
import { admin, call, messageOf } from '../../api/client.ts';
import type { components } from '../../api/admin.gen/index.ts';
import { Badge, type Tone } from '../../ui/Badge.tsx';
import { Button } from '../../ui/Button.tsx';
import { Dialog } from '../../ui/Dialog.tsx';
import { SelectField, TextField } from '../../ui/Field.tsx';
import { Pagination } from '../../ui/Pagination.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import { DataTable, type Column } from '../../ui/Table.tsx';
import { useToast } from '../../ui/Toast.tsx';
import { useSession } from '../session.tsx';
import { useAsync } from '../useAsync.ts';
import { PAGE_SIZE, useCursorPages } from './EntityPage.tsx';
import './webhook-log.css';

type Message = components['schemas']['WebhookMessage'];
type Delivery = components['schemas']['WebhookDelivery'];

const STATUS_TONE: Readonly<Record<Delivery['status'], Tone>> = { pending: 'info', succeeded: 'success', failed: 'danger', cancelled: 'neutral' };
const when = (iso: string | null) => (iso ? <time dateTime={iso}>{new Date(iso).toLocaleString()}</time> : '—');
const shortId = (id: string) => id.slice(-8);

/** Sends a message again (to one endpoint, or all it went to); toasts the outcome. */
function useResend(onDone: () => void) {
  const toast = useToast();
  const [busy, setBusy] = useState<string>();
  const resend = async (messageId: string, endpoint?: string) => {
    setBusy(`${messageId}|${endpoint ?? ''}`);
    try {
      const r = await call(admin.POST('/admin/webhooks/messages/{id}/resend', { params: { path: { id: messageId } }, body: endpoint ? { endpoint } : {} }));
      toast.show(`Resent: ${r.data.length} new ${r.data.length === 1 ? 'delivery' : 'deliveries'}`);
      onDone();
    } catch (err) {
      toast.show(messageOf(err), 'error');
    } finally {
      setBusy(undefined);
    }
  };
  return { resend, busy };
}

function deliveryColumns(canEdit: boolean, resend: ReturnType<typeof useResend>, withMessage: boolean): Column<Delivery>[] {
  return [
    { key: 'created', header: 'Created', render: (d) => when(d.created_at) },
    { key: 'status', header: 'Status', render: (d) => <Badge tone={STATUS_TONE[d.status]}>{d.status}</Badge> },
    { key: 'endpoint', header: 'Endpoint', truncate: (d) => d.endpoint_id, render: (d) => <code title={d.endpoint_id}>…{shortId(d.endpoint_id)}</code> },
    ...(withMessage ? [{ key: 'message', header: 'Message', truncate: (d: Delivery) => d.message_id, render: (d: Delivery) => <code title={d.message_id}>…{shortId(d.message_id)}</code> }] : []),
    { key: 'trigger', header: 'Trigger', render: (d) => d.trigger },
    { key: 'attempts', header: 'Attempts', render: (d) => d.attempts },
    { key: 'last', header: 'Last answer', truncate: (d) => d.last_error ?? String(d.last_status ?? ''), render: (d) => d.last_error ?? (d.last_status !== null ? `HTTP ${d.last_status}` : '—') },
    { key: 'next', header: 'Next attempt', render: (d) => when(d.next_attempt_at) },
    ...(canEdit ? [{
      key: 'actions', header: 'Actions',
      render: (d: Delivery) => (
        <Button small busy={resend.busy === `${d.message_id}|${d.endpoint_id}`} onClick={() => void resend.resend(d.message_id, d.endpoint_id)} aria-label={`Resend message …${shortId(d.message_id)} to endpoint …${shortId(d.endpoint_id)}`}>Resend</Button>
      ),
    }] : []),
  ];
}

function MessageDetail({ id }: { id: string }) {
  const session = useSession();
  const detail = useAsync(() => call(admin.GET('/admin/webhooks/messages/{id}', { params: { path: { id } } })), [id]);
  const resend = useResend(detail.reload);
  if (detail.error) return <p role="alert">{detail.error}</p>;
  if (!detail.data) return <Spinner label="Loading the message" />;
  const m = detail.data;
  return (
    <>
      <dl className="grid">
        <div><dt className="stat-label">Event type</dt><dd className="wrap">{m.event_type}</dd></div>
        <div><dt className="stat-label">Published</dt><dd>{when(m.created_at)}</dd></div>
        <div><dt className="stat-label">Event id</dt><dd className="mono wrap">{m.event_id ?? '—'}</dd></div>
        <div><dt className="stat-label">Channels</dt><dd className="wrap">{m.channels?.join(', ') ?? '—'}</dd></div>
      </dl>
      <h3>Payload</h3>
      <pre className="webhook-payload" tabIndex={0} aria-label="Payload">{JSON.stringify(m.payload, null, 2)}</pre>
      <div className="toolbar">
        <h3>Deliveries</h3>
        {session.canEdit && m.deliveries.length > 0 ? <Button busy={resend.busy === `${m.id}|`} onClick={() => void resend.resend(m.id)}>Resend to every endpoint</Button> : null}
      </div>
      <DataTable caption="Deliveries of this message" columns={deliveryColumns(session.canEdit, resend, false)} rows={m.deliveries} empty="No endpoint was subscribed to this message." rowKey={(d) => d.id} />
    </>
  );
}

export function Messages() {
  const pages = useCursorPages();
  const [draft, setDraft] = useState('');
  const [eventType, setEventType] = useState('');
  const [open, setOpen] = useState<Message>();
  const list = useAsync(() => call(admin.GET('/admin/webhooks/messages', {
    params: { query: { limit: PAGE_SIZE, ...(pages.cursor ? { cursor: pages.cursor } : {}), ...(eventType ? { event_type: eventType } : {}) } },
  })), [pages.cursor, eventType]);
  const apply = (e: FormEvent) => { e.preventDefault(); pages.reset(); setEventType(draft.trim()); };
  const columns: Column<Message>[] = [
    { key: 'at', header: 'Published', render: (m) => when(m.created_at) },
    { key: 'type', header: 'Event type', truncate: (m) => m.event_type, render: (m) => m.event_type },
    { key: 'event', header: 'Event id', truncate: (m) => m.event_id ?? '', render: (m) => m.event_id ?? '—' },
    { key: 'channels', header: 'Channels', truncate: (m) => m.channels?.join(', ') ?? '', render: (m) => m.channels?.join(', ') ?? '—' },
    { key: 'view', header: 'Details', render: (m) => <Button small onClick={() => setOpen(m)} aria-label={`View message ${m.event_type} …${shortId(m.id)}`}>View</Button> },
  ];
  return (
    <>
      <form className="toolbar" onSubmit={apply} aria-label="Filter messages">
        <TextField label="Event type" hint="e.g. invoice.paid" value={draft} onChange={setDraft} />
        <Button type="submit">Filter</Button>
      </form>
      <DataTable caption="Messages" columns={columns} rows={list.data?.data} loading={list.loading} error={list.error} empty="No messages match." rowKey={(m) => m.id} />
      <Pagination page={pages.page} hasNext={list.data?.next_cursor !== undefined} onPrevious={pages.previous} onNext={() => list.data?.next_cursor && pages.next(list.data.next_cursor)} />
      <Dialog open={open !== undefined} title={`Message ${open?.event_type ?? ''}`} onClose={() => setOpen(undefined)}>
        {open ? <MessageDetail id={open.id} /> : null}
      </Dialog>
    </>
  );
}

export function Deliveries() {
  const session = useSession();
  const pages = useCursorPages();
  const [status, setStatus] = useState('');
  const list = useAsync(() => call(admin.GET('/admin/webhooks/deliveries', {
    params: { query: { limit: PAGE_SIZE, ...(pages.cursor ? { cursor: pages.cursor } : {}), ...(status ? { status } : {}) } },
  })), [pages.cursor, status]);
  const resend = useResend(list.reload);
  return (
    <>
      <div className="toolbar">
        <SelectField label="Status" hint="failed = dead letters (the last attempt failed)" value={status} onChange={(v) => { pages.reset(); setStatus(v); }}
          options={[{ value: '', label: 'All' }, ...(['pending', 'succeeded', 'failed', 'cancelled'] as const).map((s) => ({ value: s, label: s }))]} />
      </div>
      <DataTable caption="Deliveries" columns={deliveryColumns(session.canEdit, resend, true)} rows={list.data?.data} loading={list.loading} error={list.error} empty="No deliveries match." rowKey={(d) => d.id} />
      <Pagination page={pages.page} hasNext={list.data?.next_cursor !== undefined} onPrevious={pages.previous} onNext={() => list.data?.next_cursor && pages.next(list.data.next_cursor)} />
    </>
  );
}
