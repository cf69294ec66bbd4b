// The Webhooks tab: the application's endpoints (create with the secret shown once, edit,
// enable/disable, rotate the secret, send a test event, delete) and each one's deliveries.
import { useState } from 'react';
import { call, messageOf, portal } from '../../api/portal.ts';
import { Badge } from '../../ui/Badge.tsx';
import { Button } from '../../ui/Button.tsx';
import { Dialog } from '../../ui/Dialog.tsx';
import { SelectField } from '../../ui/Field.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import { useToast } from '../../ui/Toast.tsx';
import { Confirm, LoadError, ShownOnce, useAsync, when, type App } from '../apps/shared.tsx';
import { Deliveries } from './Deliveries.tsx';
import { EndpointForm, type Endpoint, type EndpointValues } from './EndpointForm.tsx';
import '../apps/apps.css';

const OVERLAPS = [
  { value: '0', label: 'None: the old secret stops now' },
  { value: '3600', label: '1 hour' },
  { value: '86400', label: '1 day' },
  { value: '604800', label: '7 days' },
] as const;

export default function Webhooks({ team, app }: { team: string; app: App }) {
  const toast = useToast();
  const base = { team, app: app.id };
  const list = useAsync(async () => (await call(portal.GET('/portal/api/teams/{team}/apps/{app}/webhooks/endpoints', { params: { path: base } }))).data, [team, app.id]);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Endpoint | undefined>();
  const [deleting, setDeleting] = useState<Endpoint | undefined>();
  const [rotating, setRotating] = useState<Endpoint | undefined>();
  const [overlap, setOverlap] = useState('86400');
  const [secret, setSecret] = useState<{ title: string; intro: string; value: string } | undefined>();
  const [open, setOpen] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    try {
      await work();
      list.reload();
    } catch (err) {
      toast.show(messageOf(err), 'error');
    } finally {
      setBusy(false);
    }
  };
  const path = (e: Endpoint) => ({ ...base, endpoint: e.id });
  const body = (e: Endpoint, patch: Partial<EndpointValues>) => ({ url: e.url, description: e.description, disabled: e.disabled, ...(e.event_types ? { event_types: e.event_types } : {}), ...(e.channels ? { channels: e.channels } : {}), ...patch });

  const create = async (v: EndpointValues) => {
    const r = await call(portal.POST('/portal/api/teams/{team}/apps/{app}/webhooks/endpoints', { params: { path: base }, body: v }));
    setCreating(false);
    list.reload();
    setSecret({ title: 'Endpoint created: its signing secret', intro: `Verify the webhook-signature header of every delivery to ${r.url} with this secret.`, value: r.secret });
  };
  const save = async (v: EndpointValues) => {
    const e = editing!;
    // Without event types the endpoint receives everything: the field is sent as absent on purpose.
    const { event_types: _drop, ...rest } = body(e, {});
    await call(portal.PUT('/portal/api/teams/{team}/apps/{app}/webhooks/endpoints/{endpoint}', { params: { path: path(e) }, body: { ...rest, ...v } }));
    setEditing(undefined);
    toast.show('Endpoint saved');
    list.reload();
  };
  const setDisabled = (e: Endpoint, disabled: boolean) => act(async () => {
    await call(portal.PUT('/portal/api/teams/{team}/apps/{app}/webhooks/endpoints/{endpoint}', { params: { path: path(e) }, body: body(e, { disabled }) }));
    toast.show(disabled ? 'Endpoint disabled: deliveries wait until you enable it' : 'Endpoint enabled');
  });
  const rotate = () => act(async () => {
    const e = rotating!;
    const r = await call(portal.POST('/portal/api/teams/{team}/apps/{app}/webhooks/endpoints/{endpoint}/secret/rotate', { params: { path: path(e) }, body: { overlap_seconds: Number(overlap) } }));
    setRotating(undefined);
    setSecret({ title: 'The new signing secret', intro: overlap === '0' ? 'The old secret no longer signs deliveries.' : 'Deliveries carry signatures with both secrets during the overlap, so you can switch without rejecting any.', value: r.secret });
  });
  const test = (e: Endpoint) => act(async () => {
    await call(portal.POST('/portal/api/teams/{team}/apps/{app}/webhooks/endpoints/{endpoint}/test', { params: { path: path(e) }, body: {} }));
    toast.show('Test event sent: see it under Deliveries');
    setOpen(e.id);
  });
  const remove = () => act(async () => {
    const e = deleting!;
    await call(portal.DELETE('/portal/api/teams/{team}/apps/{app}/webhooks/endpoints/{endpoint}', { params: { path: path(e) } }));
    setDeleting(undefined);
    toast.show('Endpoint deleted');
  });

  return (
    <section aria-labelledby="hooks-heading" className="tab-section">
      <div className="toolbar">
        <h2 id="hooks-heading">Webhooks</h2>
        <Button variant="primary" onClick={() => setCreating(true)}>Add endpoint</Button>
      </div>
      <p>We POST events for this application to your endpoints, signed so you can check they came from us.</p>
      {list.error ? <LoadError message={list.error} retry={list.reload} /> : null}
      {list.loading && !list.data ? <Spinner label="Loading webhook endpoints" /> : null}
      {list.data?.length === 0 ? <p className="card">No endpoints yet. Add one to receive events.</p> : null}
      <ul className="endpoint-list">
        {list.data?.map((e) => (
          <li key={e.id} className="card">
            <div className="endpoint-head">
              <h3 className="endpoint-url">{e.url}</h3>
              <span>{e.disabled ? <Badge tone="neutral">disabled</Badge> : e.failing_since ? <Badge tone="danger">failing</Badge> : <Badge tone="success">enabled</Badge>}</span>
            </div>
            {e.description ? <p className="wrap">{e.description}</p> : null}
            <p className="hint wrap">
              Events: {e.event_types ? e.event_types.join(', ') : 'all'}
              {e.disabled_reason ? ` · disabled: ${e.disabled_reason}` : ''}
              {e.failing_since ? ` · failing since ${when(e.failing_since)}` : ''}
              {e.last_success_at ? ` · last success ${when(e.last_success_at)}` : ''}
              {e.secrets > 1 ? ' · two secrets sign during a rotation' : ''}
            </p>
            <div className="btn-row">
              <Button small onClick={() => setEditing(e)} aria-label={`Edit ${e.url}`}>Edit</Button>
              <Button small busy={busy} onClick={() => void setDisabled(e, !e.disabled)} aria-label={`${e.disabled ? 'Enable' : 'Disable'} ${e.url}`}>{e.disabled ? 'Enable' : 'Disable'}</Button>
              <Button small onClick={() => setRotating(e)} aria-label={`Rotate secret of ${e.url}`}>Rotate secret</Button>
              <Button small busy={busy} onClick={() => void test(e)} aria-label={`Send test event to ${e.url}`}>Send test event</Button>
              <Button small onClick={() => setOpen(open === e.id ? undefined : e.id)} aria-expanded={open === e.id} aria-label={`Deliveries of ${e.url}`}>Deliveries</Button>
              <Button small variant="danger" onClick={() => setDeleting(e)} aria-label={`Delete ${e.url}`}>Delete</Button>
            </div>
            {open === e.id ? <Deliveries team={team} app={app.id} endpoint={e.id} /> : null}
          </li>
        ))}
      </ul>

      <Dialog open={creating} title="Add a webhook endpoint" onClose={() => setCreating(false)}>
        <EndpointForm submitLabel="Add endpoint" onSubmit={create} onCancel={() => setCreating(false)} />
      </Dialog>
      <Dialog open={editing !== undefined} title="Edit the endpoint" onClose={() => setEditing(undefined)}>
        {editing ? <EndpointForm initial={editing} submitLabel="Save" onSubmit={save} onCancel={() => setEditing(undefined)} /> : null}
      </Dialog>
      <Dialog open={rotating !== undefined} title="Rotate the signing secret" onClose={() => setRotating(undefined)}>
        <p className="wrap">A new secret for {rotating?.url}. The old one keeps signing for the overlap you choose.</p>
        <SelectField label="Overlap" value={overlap} onChange={setOverlap} options={OVERLAPS} />
        <div className="btn-row">
          <Button variant="primary" busy={busy} onClick={() => void rotate()}>Rotate</Button>
          <Button onClick={() => setRotating(undefined)}>Cancel</Button>
        </div>
      </Dialog>
      <Confirm open={deleting !== undefined} title="Delete the endpoint?" action="Delete endpoint" busy={busy} onConfirm={() => void remove()} onCancel={() => setDeleting(undefined)}>
        <p className="wrap">{deleting?.url} stops receiving events at once, and its delivery history goes with it.</p>
      </Confirm>
      <ShownOnce title={secret?.title ?? ''} intro={secret ? <p className="wrap">{secret.intro}</p> : undefined} values={secret ? [['Signing secret', secret.value]] : undefined} onDone={() => setSecret(undefined)} />
    </section>
  );
}
