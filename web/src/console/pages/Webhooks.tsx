// Webhooks: event types, applications (who receives) and their endpoints. Forms come from the
// request schemas of the admin API's webhook operations; an endpoint's signing secret is shown
// once, when it is created.
import { useState, type FormEvent, type ReactNode } from 'react';
import { paths as docPaths } from '../../../../docs/admin-openapi.json';
import { admin, ApiError, call, messageOf } from '../../api/client.ts';
import type { components } from '../../api/admin.gen/index.ts';
import { Badge } from '../../ui/Badge.tsx';
import { Button } from '../../ui/Button.tsx';
import { Dialog } from '../../ui/Dialog.tsx';
import { SelectField } from '../../ui/Field.tsx';
import { DataTable, type Column } from '../../ui/Table.tsx';
import { Tabs } from '../../ui/Tabs.tsx';
import { useToast } from '../../ui/Toast.tsx';
import { SCHEMAS } from '../entities.ts';
import { errorsByPointer, SchemaField } from '../schema-form/SchemaForm.tsx';
import { defaultsOf, type Schema } from '../schema-form/schema.ts';
import { useSession } from '../session.tsx';
import { useAsync } from '../useAsync.ts';
import { Deliveries, Messages } from './WebhookLog.tsx';

type EventType = components['schemas']['WebhookEventType'];
type Application = components['schemas']['WebhookApplication'];
type Endpoint = components['schemas']['WebhookEndpoint'];

/** The JSON request body schema of an operation in the admin API document. */
function bodySchema(path: string, method: string): Schema {
  const op = (docPaths as unknown as Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>)[path]?.[method];
  return op?.requestBody?.content['application/json']?.schema ?? {};
}

const EVENT_TYPE_INPUT = bodySchema('/admin/webhooks/event-types', 'post');
const APPLICATION_INPUT = bodySchema('/admin/webhooks/applications', 'post');
const ENDPOINT_INPUT = bodySchema('/admin/webhooks/applications/{id}/endpoints', 'post');

/** A create form in a dialog body: the schema's fields, the API's errors on them. */
function CreateForm({ schema, label, submit, onDone, before }: { schema: Schema; label: string; submit(value: unknown): Promise<void>; onDone(): void; before?: ReactNode }) {
  const [value, setValue] = useState<unknown>(() => defaultsOf(schema, SCHEMAS));
  const [problem, setProblem] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      await submit(value);
      onDone();
    } catch (err) {
      setProblem(err instanceof ApiError ? err : new ApiError(0, { detail: messageOf(err) }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={onSubmit} noValidate aria-label={label}>
      {problem ? <div className="form-errors" role="alert"><strong>{problem.problem.title ?? 'Not saved'}:</strong> {problem.message}</div> : null}
      {before}
      <SchemaField schema={schema} value={value} onChange={setValue} pointer="" label={label} required ctx={{ root: SCHEMAS, errors: errorsByPointer(problem?.problem.errors), disabled: busy }} />
      <div className="btn-row">
        <Button type="submit" variant="primary" busy={busy}>{label}</Button>
        <Button onClick={onDone} disabled={busy}>Cancel</Button>
      </div>
    </form>
  );
}

function EventTypes() {
  const session = useSession();
  const toast = useToast();
  const list = useAsync(() => call(admin.GET('/admin/webhooks/event-types', { params: { query: { limit: 1000, include_archived: true } } })), []);
  const [creating, setCreating] = useState(false);
  const remove = async (t: EventType) => {
    try {
      await call(admin.DELETE('/admin/webhooks/event-types/{name}', { params: { path: { name: t.name } } }));
      toast.show(`Deleted event type ${t.name}`);
    } catch (err) {
      toast.show(messageOf(err), 'error');
    }
    list.reload();
  };
  const columns: Column<EventType>[] = [
    { key: 'name', header: 'Name', truncate: (t) => t.name, render: (t) => <code>{t.name}</code> },
    { key: 'description', header: 'Description', truncate: (t) => t.description, render: (t) => t.description },
    { key: 'kind', header: 'Kind', render: (t) => (t.platform ? <Badge tone="info">platform</Badge> : t.archived ? <Badge>archived</Badge> : <Badge tone="success">active</Badge>) },
    ...(session.canEdit ? [{ key: 'actions', header: 'Actions', render: (t: EventType) => (t.platform ? null : <Button small variant="danger" onClick={() => void remove(t)} aria-label={`Delete event type ${t.name}`}>Delete</Button>) }] : []),
  ];
  return (
    <>
      {session.canEdit ? <div className="toolbar"><span /><Button variant="primary" onClick={() => setCreating(true)}>New event type</Button></div> : null}
      <DataTable caption="Event types" columns={columns} rows={list.data?.data} loading={list.loading} error={list.error} empty="No event types yet." rowKey={(t) => t.id} />
      <Dialog open={creating} title="New event type" onClose={() => setCreating(false)}>
        <CreateForm schema={EVENT_TYPE_INPUT} label="Create event type" onDone={() => { setCreating(false); list.reload(); }}
          submit={async (v) => { await call(admin.POST('/admin/webhooks/event-types', { body: v as never })); toast.show('Event type created'); }} />
      </Dialog>
    </>
  );
}

function Applications() {
  const session = useSession();
  const toast = useToast();
  const list = useAsync(() => call(admin.GET('/admin/webhooks/applications', { params: { query: { limit: 1000 } } })), []);
  const [creating, setCreating] = useState(false);
  const remove = async (a: Application) => {
    try {
      await call(admin.DELETE('/admin/webhooks/applications/{id}', { params: { path: { id: a.id } } }));
      toast.show(`Deleted application ${a.name}`);
    } catch (err) {
      toast.show(messageOf(err), 'error');
    }
    list.reload();
  };
  const columns: Column<Application>[] = [
    { key: 'name', header: 'Name', truncate: (a) => a.name, render: (a) => a.name },
    { key: 'consumer', header: 'Consumer', render: (a) => a.consumer ?? '—' },
    { key: 'description', header: 'Description', truncate: (a) => a.description, render: (a) => a.description },
    ...(session.canEdit ? [{ key: 'actions', header: 'Actions', render: (a: Application) => <Button small variant="danger" onClick={() => void remove(a)} aria-label={`Delete application ${a.name}`}>Delete</Button> }] : []),
  ];
  return (
    <>
      {session.canEdit ? <div className="toolbar"><span /><Button variant="primary" onClick={() => setCreating(true)}>New application</Button></div> : null}
      <DataTable caption="Applications" columns={columns} rows={list.data?.data} loading={list.loading} error={list.error} empty="No applications yet." rowKey={(a) => a.id} />
      <Dialog open={creating} title="New application" onClose={() => setCreating(false)}>
        <CreateForm schema={APPLICATION_INPUT} label="Create application" onDone={() => { setCreating(false); list.reload(); }}
          submit={async (v) => { await call(admin.POST('/admin/webhooks/applications', { body: v as never })); toast.show('Application created'); }} />
      </Dialog>
    </>
  );
}

function Endpoints() {
  const session = useSession();
  const toast = useToast();
  const list = useAsync(() => call(admin.GET('/admin/webhooks/endpoints', { params: { query: { limit: 1000 } } })), []);
  const apps = useAsync(() => call(admin.GET('/admin/webhooks/applications', { params: { query: { limit: 1000 } } })), []);
  const [creating, setCreating] = useState(false);
  const [application, setApplication] = useState('');
  const [secret, setSecret] = useState<string>();
  const appName = (id: string) => apps.data?.data.find((a) => a.id === id)?.name ?? id;
  const remove = async (e: Endpoint) => {
    try {
      await call(admin.DELETE('/admin/webhooks/endpoints/{id}', { params: { path: { id: e.id } } }));
      toast.show('Endpoint deleted');
    } catch (err) {
      toast.show(messageOf(err), 'error');
    }
    list.reload();
  };
  const columns: Column<Endpoint>[] = [
    { key: 'url', header: 'URL', truncate: (e) => e.url, render: (e) => <code>{e.url}</code> },
    { key: 'app', header: 'Application', render: (e) => appName(e.application_id) },
    { key: 'types', header: 'Event types', truncate: (e) => (e.event_types ?? ['all']).join(', '), render: (e) => (e.event_types ?? ['all']).join(', ') },
    { key: 'state', header: 'State', render: (e) => (e.disabled ? <Badge tone="danger">{e.disabled_reason ? `disabled: ${e.disabled_reason}` : 'disabled'}</Badge> : e.failing_since ? <Badge tone="warning">failing</Badge> : <Badge tone="success">enabled</Badge>) },
    ...(session.canEdit ? [{ key: 'actions', header: 'Actions', render: (e: Endpoint) => <Button small variant="danger" onClick={() => void remove(e)} aria-label={`Delete endpoint ${e.url}`}>Delete</Button> }] : []),
  ];
  const appOptions = [{ value: '', label: 'Choose an application' }, ...(apps.data?.data ?? []).map((a) => ({ value: a.id, label: a.name }))];
  return (
    <>
      {session.canEdit ? <div className="toolbar"><span /><Button variant="primary" onClick={() => setCreating(true)}>New endpoint</Button></div> : null}
      <DataTable caption="Endpoints" columns={columns} rows={list.data?.data} loading={list.loading} error={list.error} empty="No endpoints yet." rowKey={(e) => e.id} />
      <Dialog open={creating} title="New endpoint" onClose={() => setCreating(false)}>
        <CreateForm schema={ENDPOINT_INPUT} label="Create endpoint" onDone={() => { setCreating(false); list.reload(); }}
          before={<SelectField label="Application" required value={application} options={appOptions} onChange={setApplication} />}
          submit={async (v) => {
            if (!application) throw new ApiError(400, { title: 'Not saved', detail: 'choose the application the endpoint belongs to' });
            const created = await call(admin.POST('/admin/webhooks/applications/{id}/endpoints', { params: { path: { id: application } }, body: v as never }));
            setSecret(created.secret);
          }} />
      </Dialog>
      <Dialog open={secret !== undefined} title="Endpoint signing secret" onClose={() => setSecret(undefined)}>
        <p><strong>Copy it now: it is shown only this once.</strong> The receiver verifies signatures with it.</p>
        <output className="secret-box section" aria-label="Signing secret">{secret}</output>
        <Button variant="primary" onClick={() => setSecret(undefined)}>I have copied it</Button>
      </Dialog>
    </>
  );
}

export default function WebhooksPage() {
  const [tab, setTab] = useState('event-types');
  return <Tabs label="Webhooks" selected={tab} onSelect={setTab} tabs={[
    { id: 'event-types', title: 'Event types', content: () => <EventTypes /> },
    { id: 'applications', title: 'Applications', content: () => <Applications /> },
    { id: 'endpoints', title: 'Endpoints', content: () => <Endpoints /> },
    { id: 'messages', title: 'Messages', content: () => <Messages /> },
    { id: 'deliveries', title: 'Deliveries', content: () => <Deliveries /> },
  ]} />;
}
