// One endpoint's deliveries (newest first, cursor pages) and, for a chosen delivery, its
// attempts: outcome, response code and timing. Resend sends one message again; replay re-sends
// what the endpoint missed since a time.
import { useState, type FormEvent } from 'react';
import { call, messageOf, portal } from '../../api/portal.ts';
import type { components } from '../../api/portal.gen/index.ts';
import { Badge, type Tone } from '../../ui/Badge.tsx';
import { Button } from '../../ui/Button.tsx';
import { SelectField, TextField } from '../../ui/Field.tsx';
import { Pagination } from '../../ui/Pagination.tsx';
import { DataTable } from '../../ui/Table.tsx';
import { useToast } from '../../ui/Toast.tsx';
import { useAsync, when } from '../apps/shared.tsx';

type Delivery = components['schemas']['PortalWebhookDelivery'];
type Attempt = components['schemas']['PortalWebhookAttempt'];
const PAGE = 20;
const TONE: Record<string, Tone> = { succeeded: 'success', failed: 'danger', pending: 'info', cancelled: 'neutral' };

export function Deliveries({ team, app, endpoint }: { team: string; app: string; endpoint: string }) {
  const toast = useToast();
  const path = { team, app, endpoint };
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const page = useAsync(async () => call(portal.GET('/portal/api/teams/{team}/apps/{app}/webhooks/endpoints/{endpoint}/deliveries', { params: { path, query: { limit: PAGE, ...(cursor ? { cursor } : {}) } } })), [team, app, endpoint, cursor]);
  const [open, setOpen] = useState<Delivery | undefined>();
  const attempts = useAsync(async () => (open ? (await call(portal.GET('/portal/api/teams/{team}/apps/{app}/webhooks/endpoints/{endpoint}/attempts', { params: { path, query: { delivery: open.id, limit: 50 } } }))).data : undefined), [open?.id]);
  const [since, setSince] = useState('');
  const [mode, setMode] = useState<'failed' | 'all'>('failed');
  const [busy, setBusy] = useState(false);
  const [replayError, setReplayError] = useState<string | undefined>();

  const resend = async (d: Delivery) => {
    try {
      await call(portal.POST('/portal/api/teams/{team}/apps/{app}/webhooks/endpoints/{endpoint}/resend', { params: { path }, body: { message: d.message_id } }));
      toast.show('Sent again: a new delivery is on its way');
      setCursors([undefined]);
      page.reload();
    } catch (err) {
      toast.show(messageOf(err), 'error');
    }
  };
  const replay = async (e: FormEvent) => {
    e.preventDefault();
    const d = new Date(since);
    if (since === '' || Number.isNaN(d.getTime())) { setReplayError('Pick the time to replay from.'); return; }
    setBusy(true);
    setReplayError(undefined);
    try {
      const r = await call(portal.POST('/portal/api/teams/{team}/apps/{app}/webhooks/endpoints/{endpoint}/replay', { params: { path }, body: { since: d.toISOString(), mode } }));
      toast.show(`${r.replayed} message${r.replayed === 1 ? '' : 's'} replayed${r.truncated ? ' (the first batch: replay again for the rest)' : ''}`);
      setCursors([undefined]);
      page.reload();
    } catch (err) {
      setReplayError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="deliveries">
      <div className="toolbar">
        <h4>Deliveries</h4>
        <Button small onClick={page.reload}>Refresh</Button>
      </div>
      <DataTable<Delivery>
        caption="Deliveries"
        rows={page.data?.data}
        loading={page.loading}
        error={page.error}
        empty="No deliveries yet. Send a test event to see one here."
        rowKey={(d) => d.id}
        columns={[
          { key: 'created', header: 'Created', render: (d) => when(d.created_at) },
          { key: 'status', header: 'Status', render: (d) => <><Badge tone={TONE[d.status] ?? 'neutral'}>{d.status}</Badge>{d.status === 'pending' && d.next_attempt_at ? <span className="hint next-try"> next try {when(d.next_attempt_at)}</span> : null}</> },
          { key: 'trigger', header: 'Trigger', render: (d) => d.trigger },
          { key: 'attempts', header: 'Attempts', render: (d) => String(d.attempts) },
          { key: 'response', header: 'Last response', truncate: (d) => d.last_error ?? '', render: (d) => (d.last_status !== null ? `HTTP ${d.last_status}` : d.last_error ?? '—') },
          { key: 'message', header: 'Message', truncate: (d) => d.message_id, render: (d) => <code>{d.message_id}</code> },
          {
            key: 'actions', header: 'Actions', render: (d) => (
              <div className="btn-row nowrap">
                <Button small onClick={() => setOpen(open?.id === d.id ? undefined : d)} aria-expanded={open?.id === d.id} aria-label={`Attempts of ${d.message_id}`}>Attempts</Button>
                <Button small onClick={() => void resend(d)} aria-label={`Resend ${d.message_id}`}>Resend</Button>
              </div>
            ),
          },
        ]}
      />
      <Pagination page={cursors.length} hasNext={page.data?.next_cursor !== undefined} onPrevious={() => setCursors((c) => c.slice(0, -1))} onNext={() => setCursors((c) => [...c, page.data!.next_cursor])} />
      {open ? (
        <section aria-label={`Attempts of ${open.message_id}`}>
          <h5 className="wrap">Attempts of <code>{open.message_id}</code></h5>
          <DataTable<Attempt>
            caption={`Attempts of ${open.message_id}`}
            rows={attempts.data}
            loading={attempts.loading}
            error={attempts.error}
            empty="No attempt yet: the delivery is queued."
            rowKey={(a) => a.id}
            columns={[
              { key: 'n', header: '#', render: (a) => String(a.attempt) },
              { key: 'at', header: 'At', render: (a) => when(a.at) },
              { key: 'outcome', header: 'Outcome', render: (a) => <Badge tone={TONE[a.outcome] ?? 'neutral'}>{a.outcome}</Badge> },
              { key: 'code', header: 'Response', render: (a) => (a.status_code !== null ? `HTTP ${a.status_code}` : a.error_code ?? '—') },
              { key: 'latency', header: 'Time', render: (a) => `${a.latency_ms} ms` },
              { key: 'excerpt', header: 'Answer', truncate: (a) => a.response_excerpt, render: (a) => a.response_excerpt || '—' },
            ]}
          />
        </section>
      ) : null}
      <form className="card replay" onSubmit={(e) => void replay(e)} noValidate aria-labelledby={`replay-${endpoint}`}>
        <h5 id={`replay-${endpoint}`}>Replay</h5>
        <p className="hint">Send again what this endpoint missed (or everything) since a time, e.g. after an outage on your side.</p>
        <TextField label="Since" type="datetime-local" value={since} onChange={setSince} error={replayError} />
        <SelectField label="Messages" value={mode} onChange={(v) => setMode(v === 'all' ? 'all' : 'failed')} options={[{ value: 'failed', label: 'Only those not received' }, { value: 'all', label: 'All of them' }]} />
        <Button type="submit" busy={busy}>Replay</Button>
      </form>
    </div>
  );
}
