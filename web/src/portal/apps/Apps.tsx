// /apps: the current team's applications, and a form to create one. An application is what
// holds keys, subscriptions and webhook endpoints (a consumer on the gateway).
import { useState, type FormEvent } from 'react';
import { call, messageOf, portal } from '../../api/portal.ts';
import { Link, navigate } from '../../router.tsx';
import { Button } from '../../ui/Button.tsx';
import { Dialog } from '../../ui/Dialog.tsx';
import { TextField } from '../../ui/Field.tsx';
import { DataTable } from '../../ui/Table.tsx';
import { useToast } from '../../ui/Toast.tsx';
import type { PageProps } from '../routes.tsx';
import { usePortalSession } from '../session.tsx';
import { useAsync, when, type App } from './shared.tsx';
import './apps.css';

export function NoTeam() {
  return <div className="container section"><h1>Applications</h1><p>You are not a member of any team yet. Accept an invitation or create a team on your <Link href="/account">account page</Link>.</p></div>;
}

/** The create-application form; `onCreated` gets the new application. */
export function CreateAppForm({ team, onCreated, submitLabel = 'Create application' }: { team: string; onCreated(app: App): void; submitLabel?: string }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() === '') { setError('Give the application a name.'); return; }
    setBusy(true);
    setError(undefined);
    try {
      onCreated(await call(portal.POST('/portal/api/teams/{team}/apps', { params: { path: { team } }, body: { name: name.trim(), description: description.trim() } })));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <TextField label="Name" required value={name} onChange={setName} error={error} hint="Shown to your team only, e.g. “Shop backend”." />
      <TextField label="Description" multiline value={description} onChange={setDescription} />
      <Button type="submit" variant="primary" busy={busy}>{submitLabel}</Button>
    </form>
  );
}

export default function Apps(_: PageProps) {
  const { team } = usePortalSession();
  const toast = useToast();
  const [creating, setCreating] = useState(false);
  const apps = useAsync(async () => (team ? (await call(portal.GET('/portal/api/teams/{team}/apps', { params: { path: { team: team.id } } }))).data : []), [team?.id]);
  if (!team) return <NoTeam />;
  return (
    <div className="container section apps">
      <div className="toolbar">
        <div className="apps-heading">
          <h1>Applications</h1>
          <p className="hint truncate" title={team.name}>Team {team.name}</p>
        </div>
        <Button variant="primary" onClick={() => setCreating(true)}>New application</Button>
      </div>
      <p>Each application has its own keys, subscriptions to API plans and webhook endpoints.</p>
      <DataTable<App>
        caption="Applications"
        rows={apps.data}
        loading={apps.loading}
        error={apps.error}
        empty="No applications yet. Create one to get API keys."
        rowKey={(a) => a.id}
        columns={[
          { key: 'name', header: 'Name', truncate: (a) => a.name, render: (a) => <Link href={`/apps/${encodeURIComponent(a.id)}`}>{a.name}</Link> },
          { key: 'description', header: 'Description', truncate: (a) => a.description, render: (a) => a.description || <span className="hint">—</span> },
          { key: 'created', header: 'Created', render: (a) => when(a.created_at) },
        ]}
      />
      <Dialog open={creating} title="New application" onClose={() => setCreating(false)}>
        <CreateAppForm team={team.id} onCreated={(app) => {
          setCreating(false);
          toast.show(`Application “${app.name}” created`);
          navigate(`/apps/${encodeURIComponent(app.id)}`);
        }} />
      </Dialog>
    </div>
  );
}
