// One consumer and its credentials: create an API key (shown once, in a dialog, never again),
// rotate a key (the new one shown once; the old one keeps working for the overlap), revoke.
import { useState } from 'react';
import { admin, call, messageOf } from '../../api/client.ts';
import type { components } from '../../api/admin.gen/index.ts';
import { Link } from '../../router.tsx';
import { Badge } from '../../ui/Badge.tsx';
import { Button } from '../../ui/Button.tsx';
import { Dialog } from '../../ui/Dialog.tsx';
import { SelectField } from '../../ui/Field.tsx';
import { DataTable, type Column } from '../../ui/Table.tsx';
import { useToast } from '../../ui/Toast.tsx';
import { cellText, getEntity } from '../entities.ts';
import { useSession } from '../session.tsx';
import { useAsync } from '../useAsync.ts';

type Credential = components['schemas']['Credential'];

const OVERLAPS = [
  { value: '0', label: 'End the old key now' },
  { value: '3600', label: 'Keep the old key for 1 hour' },
  { value: '86400', label: 'Keep the old key for 1 day' },
  { value: '604800', label: 'Keep the old key for 7 days' },
];

export default function ConsumerPage({ name }: { name: string }) {
  const session = useSession();
  const toast = useToast();
  const consumer = useAsync(() => getEntity('consumers', name), [name]);
  const creds = useAsync(() => call(admin.GET('/admin/credentials', { params: { query: { consumer: name, limit: 1000 } } })), [name]);
  const [secret, setSecret] = useState<{ title: string; lines: [string, string][] }>();
  const [rotating, setRotating] = useState<Credential>();
  const [overlap, setOverlap] = useState('86400');
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    try {
      await work();
    } catch (err) {
      toast.show(messageOf(err), 'error');
    } finally {
      setBusy(false);
      creds.reload();
    }
  };
  const createKey = () => run(async () => {
    const created = await call(admin.POST('/admin/credentials', { body: { consumer: name, type: 'key-auth', tags: [] } }));
    setSecret({ title: 'New API key', lines: [['API key', created.key ?? '']] });
  });
  const rotate = () => run(async () => {
    if (!rotating) return;
    const r = await call(admin.POST('/admin/credentials/{id}/rotate', { params: { path: { id: rotating.id } }, body: { overlap_seconds: Number(overlap) } }));
    setRotating(undefined);
    const lines: [string, string][] = r.key ? [['API key', r.key]] : [['Client id', r.client_id ?? ''], ['Client secret', r.client_secret ?? '']];
    setSecret({ title: 'Rotated: the new credential', lines });
  });
  const revoke = (c: Credential) => run(async () => {
    await call(admin.PATCH('/admin/credentials/{id}', { params: { path: { id: c.id } }, body: { revoked: true } }));
    toast.show(`Revoked ${c.display}`);
  });

  const status = (c: Credential) => (c.revoked_at ? <Badge tone="danger">revoked</Badge> : c.expires_at && Date.parse(c.expires_at) <= Date.now() ? <Badge>expired</Badge> : c.expires_at ? <Badge tone="warning">{`expires ${new Date(c.expires_at).toLocaleString()}`}</Badge> : <Badge tone="success">active</Badge>);
  const columns: Column<Credential>[] = [
    { key: 'type', header: 'Type', render: (c) => c.type },
    { key: 'display', header: 'Key / user / client', truncate: (c) => c.display, render: (c) => <code>{c.display}</code> },
    { key: 'status', header: 'Status', render: status },
    { key: 'created', header: 'Created', render: (c) => new Date(c.created_at).toLocaleString() },
    ...(session.canEdit ? [{
      key: 'actions', header: 'Actions',
      render: (c: Credential) => (c.revoked_at ? null : (
        <div className="btn-row">
          {c.type !== 'basic-auth' ? <Button small onClick={() => setRotating(c)} aria-label={`Rotate ${c.display}`}>Rotate</Button> : null}
          <Button small variant="danger" disabled={busy} onClick={() => void revoke(c)} aria-label={`Revoke ${c.display}`}>Revoke</Button>
        </div>
      )),
    }] : []),
  ];

  return (
    <>
      <p><Link href="/console/consumers">← All consumers</Link></p>
      <section className="card section" aria-labelledby="consumer-heading">
        <h2 id="consumer-heading" className="wrap">{name}</h2>
        {consumer.error ? <p role="alert">{consumer.error}</p> : consumer.data ? (
          <dl className="grid">
            <div><dt className="stat-label">Groups</dt><dd>{cellText(consumer.data.entity.groups) || '—'}</dd></div>
            <div><dt className="stat-label">Custom id</dt><dd className="wrap">{cellText(consumer.data.entity.custom_id) || '—'}</dd></div>
            <div><dt className="stat-label">Tags</dt><dd>{cellText(consumer.data.entity.tags) || '—'}</dd></div>
          </dl>
        ) : null}
      </section>
      <div className="toolbar">
        <h2>Credentials</h2>
        {session.canEdit ? <Button variant="primary" busy={busy} onClick={() => void createKey()}>Create API key</Button> : null}
      </div>
      <DataTable caption="Credentials" columns={columns} rows={creds.data?.data} loading={creds.loading} error={creds.error} empty="No credentials yet." rowKey={(c) => c.id} />
      <Dialog open={secret !== undefined} title={secret?.title ?? ''} onClose={() => setSecret(undefined)}>
        <p><strong>Copy it now: it is shown only this once.</strong> Portcullis stores only a hash.</p>
        {secret?.lines.map(([label, value]) => (
          <div className="field" key={label}>
            <span className="stat-label">{label}</span>
            <output className="secret-box" aria-label={label}>{value}</output>
          </div>
        ))}
        <Button variant="primary" onClick={() => setSecret(undefined)}>I have copied it</Button>
      </Dialog>
      <Dialog open={rotating !== undefined} title={`Rotate ${rotating?.display ?? ''}`} onClose={() => setRotating(undefined)}>
        <p>A new credential is issued for {name}. The old one keeps working for the overlap you choose, so clients can switch without downtime.</p>
        <SelectField label="Overlap" value={overlap} options={OVERLAPS} onChange={setOverlap} />
        <div className="btn-row">
          <Button variant="primary" busy={busy} onClick={() => void rotate()}>Rotate</Button>
          <Button onClick={() => setRotating(undefined)}>Cancel</Button>
        </div>
      </Dialog>
    </>
  );
}
