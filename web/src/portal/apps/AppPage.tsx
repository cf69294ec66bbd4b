// /apps/:app — one application: its name and description (edit, delete) and tabs for its keys,
// subscriptions and webhook endpoints. The tab is in the address (?tab=) so it can be linked.
import { lazy, Suspense, useState, type FormEvent } from 'react';
import { call, messageOf, portal } from '../../api/portal.ts';
import { Link, navigate } from '../../router.tsx';
import { Button } from '../../ui/Button.tsx';
import { Dialog } from '../../ui/Dialog.tsx';
import { TextField } from '../../ui/Field.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import { Tabs } from '../../ui/Tabs.tsx';
import { useToast } from '../../ui/Toast.tsx';
import type { PageProps } from '../routes.tsx';
import { usePortalSession } from '../session.tsx';
import { NoTeam } from './Apps.tsx';
import { Keys } from './Keys.tsx';
import { Confirm, LoadError, useAsync, when, type App } from './shared.tsx';
import { Subscriptions } from './Subscriptions.tsx';
import './apps.css';

const Webhooks = lazy(() => import('../webhooks/Webhooks.tsx'));
const TABS = ['keys', 'subscriptions', 'webhooks'] as const;

function EditApp({ team, app, onSaved, onCancel }: { team: string; app: App; onSaved(a: App): void; onCancel(): void }) {
  const [name, setName] = useState(app.name);
  const [description, setDescription] = useState(app.description);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() === '') { setError('The name cannot be empty.'); return; }
    setBusy(true);
    try {
      onSaved(await call(portal.PATCH('/portal/api/teams/{team}/apps/{app}', { params: { path: { team, app: app.id } }, body: { name: name.trim(), description: description.trim() } })));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <TextField label="Name" required value={name} onChange={setName} error={error} />
      <TextField label="Description" multiline value={description} onChange={setDescription} />
      <div className="btn-row">
        <Button type="submit" variant="primary" busy={busy}>Save</Button>
        <Button onClick={onCancel}>Cancel</Button>
      </div>
    </form>
  );
}

export default function AppPage({ params, search }: PageProps) {
  const { team } = usePortalSession();
  const toast = useToast();
  const id = params.app!;
  const app = useAsync(async () => (team ? call(portal.GET('/portal/api/teams/{team}/apps/{app}', { params: { path: { team: team.id, app: id } } })) : undefined), [team?.id, id]);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [busy, setBusy] = useState(false);
  const asked = search.get('tab');
  const tab = TABS.find((t) => t === asked) ?? 'keys';
  const selectTab = (t: string) => navigate(`/apps/${encodeURIComponent(id)}?tab=${t}`, { replace: true });

  if (!team) return <NoTeam />;
  if (app.error) return <div className="container section"><h1>Application</h1><LoadError message={app.error} retry={app.reload} /><p><Link href="/apps">All applications</Link></p></div>;
  if (!app.data) return <div className="page-loading"><Spinner label="Loading the application" /></div>;
  const a = app.data;

  const remove = async () => {
    setBusy(true);
    try {
      await call(portal.DELETE('/portal/api/teams/{team}/apps/{app}', { params: { path: { team: team.id, app: a.id } } }));
      toast.show(`Application “${a.name}” deleted`);
      navigate('/apps');
    } catch (err) {
      toast.show(messageOf(err), 'error');
      setBusy(false);
      setDeleting(false);
    }
  };

  return (
    <div className="container section apps">
      <p className="breadcrumb"><Link href="/apps">Applications</Link> <span aria-hidden="true">/</span></p>
      <div className="toolbar">
        <div className="apps-heading">
          <h1 className="wrap">{a.name}</h1>
          {a.description ? <p className="wrap">{a.description}</p> : null}
          <p className="hint">Created {when(a.created_at)} · gateway consumer <code className="wrap">{a.consumer}</code></p>
        </div>
        <div className="btn-row">
          <Button onClick={() => setEditing(true)}>Edit</Button>
          <Button variant="danger" onClick={() => setDeleting(true)}>Delete</Button>
        </div>
      </div>
      <Tabs
        label="Application"
        selected={tab}
        onSelect={selectTab}
        tabs={[
          { id: 'keys', title: 'Keys', content: () => <Keys team={team.id} app={a} /> },
          { id: 'subscriptions', title: 'Subscriptions', content: () => <Subscriptions team={team.id} app={a} /> },
          { id: 'webhooks', title: 'Webhooks', content: () => <Suspense fallback={<Spinner label="Loading webhooks" />}><Webhooks team={team.id} app={a} /></Suspense> },
        ]}
      />
      <Dialog open={editing} title="Edit application" onClose={() => setEditing(false)}>
        <EditApp team={team.id} app={a} onCancel={() => setEditing(false)} onSaved={() => { setEditing(false); toast.show('Application saved'); app.reload(); }} />
      </Dialog>
      <Confirm open={deleting} title={`Delete ${a.name}?`} action="Delete application" busy={busy} onConfirm={() => void remove()} onCancel={() => setDeleting(false)}>
        <p>Its keys stop working at once, its subscriptions end and its webhook endpoints are deleted. This cannot be undone.</p>
      </Confirm>
    </div>
  );
}
