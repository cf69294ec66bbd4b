// The Keys tab: API keys and OAuth2 clients of one application. Secrets are shown once (the
// store keeps hashes); rotation issues a new key while the old one keeps working for an overlap
// the developer picks, so clients can switch without downtime.
import { useState } from 'react';
import { call, messageOf, portal } from '../../api/portal.ts';
import { Link } from '../../router.tsx';
import { Badge, type Tone } from '../../ui/Badge.tsx';
import { Button } from '../../ui/Button.tsx';
import { Dialog } from '../../ui/Dialog.tsx';
import { SelectField, TextField } from '../../ui/Field.tsx';
import { DataTable } from '../../ui/Table.tsx';
import { useToast } from '../../ui/Toast.tsx';
import { usePortalSession } from '../session.tsx';
import { Confirm, ShownOnce, useAsync, when, type App, type CreatedCredential, type Credential } from './shared.tsx';

const OVERLAPS = [
  { value: '0', label: 'None: the old key stops now' },
  { value: '3600', label: '1 hour' },
  { value: '86400', label: '1 day' },
  { value: '604800', label: '7 days' },
  { value: '2592000', label: '30 days' },
] as const;

/** A datetime-local value → an ISO instant, or undefined when empty or not a date. */
const isoOf = (local: string): string | undefined => {
  if (local === '') return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
};

function status(k: Credential, now: number): { label: string; tone: Tone } {
  if (k.revoked_at) return { label: 'revoked', tone: 'danger' };
  if (k.expires_at && Date.parse(k.expires_at) <= now) return { label: 'expired', tone: 'neutral' };
  if (k.expires_at) return { label: 'expires', tone: 'warning' };
  return { label: 'active', tone: 'success' };
}

interface Shown { title: string; intro?: string; values: [string, string][] }

export function Keys({ team, app }: { team: string; app: App }) {
  const { account } = usePortalSession();
  const toast = useToast();
  const path = { team, app: app.id };
  const keys = useAsync(async () => (await call(portal.GET('/portal/api/teams/{team}/apps/{app}/keys', { params: { path } }))).data, [team, app.id]);
  const [creating, setCreating] = useState<'key-auth' | 'oauth2' | undefined>();
  const [clientName, setClientName] = useState('');
  const [expiry, setExpiry] = useState('');
  const [shown, setShown] = useState<Shown | undefined>();
  const [rotating, setRotating] = useState<Credential | undefined>();
  const [overlap, setOverlap] = useState('86400');
  const [revoking, setRevoking] = useState<Credential | undefined>();
  const [expiring, setExpiring] = useState<Credential | undefined>();
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string | undefined>();
  const verified = account?.verified === true;

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setFormError(undefined);
    try {
      await work();
      keys.reload();
    } catch (err) {
      setFormError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const secretsOf = (c: CreatedCredential): [string, string][] => (c.type === 'oauth2'
    ? [['Client ID', c.client_id ?? c.display], ['Client secret', c.client_secret ?? '']]
    : [['API key', c.key ?? '']]);

  const create = () => run(async () => {
    const expires = isoOf(expiry);
    const body = creating === 'oauth2'
      ? { type: 'oauth2' as const, ...(clientName.trim() ? { client_name: clientName.trim() } : {}), ...(expires ? { expires_at: expires } : {}) }
      : { type: 'key-auth' as const, ...(expires ? { expires_at: expires } : {}) };
    const c = await call(portal.POST('/portal/api/teams/{team}/apps/{app}/keys', { params: { path }, body }));
    setCreating(undefined);
    setClientName('');
    setExpiry('');
    setShown({ title: c.type === 'oauth2' ? 'Your OAuth2 client' : 'Your new API key', values: secretsOf(c), ...(c.type === 'oauth2' ? { intro: 'Use these with the client-credentials grant to get access tokens.' } : { intro: 'Send it in the apikey header of every call.' }) });
  });
  const rotate = () => run(async () => {
    const old = rotating!;
    const c = await call(portal.POST('/portal/api/teams/{team}/apps/{app}/keys/{key}/rotate', { params: { path: { ...path, key: old.id } }, body: { overlap_seconds: Number(overlap) } }));
    setRotating(undefined);
    setShown({
      title: 'Your rotated key',
      intro: c.old_expires_at ? `The old key ${old.display} keeps working until ${when(c.old_expires_at)}. Switch your clients to the new one before then.` : `The old key ${old.display} has stopped working.`,
      values: secretsOf(c),
    });
  });
  const revoke = () => run(async () => {
    const k = revoking!;
    await call(portal.DELETE('/portal/api/teams/{team}/apps/{app}/keys/{key}', { params: { path: { ...path, key: k.id } } }));
    setRevoking(undefined);
    toast.show(`${k.display} revoked`);
  });
  const setExpiryOf = (clear: boolean) => run(async () => {
    const k = expiring!;
    const expires = clear ? null : isoOf(expiry);
    if (expires === undefined) throw new Error('Pick a date and time, or clear the expiry.');
    await call(portal.PATCH('/portal/api/teams/{team}/apps/{app}/keys/{key}', { params: { path: { ...path, key: k.id } }, body: { expires_at: expires } }));
    setExpiring(undefined);
    setExpiry('');
    toast.show(clear ? `${k.display} no longer expires` : `${k.display} expires ${when(expires)}`);
  });

  const now = Date.now();
  return (
    <section aria-labelledby="keys-heading" className="tab-section">
      <div className="toolbar">
        <h2 id="keys-heading">Keys</h2>
        <div className="btn-row">
          <Button variant="primary" disabled={!verified} onClick={() => { setFormError(undefined); setCreating('key-auth'); }}>Create API key</Button>
          <Button disabled={!verified} onClick={() => { setFormError(undefined); setCreating('oauth2'); }}>Create OAuth2 client</Button>
        </div>
      </div>
      {!verified ? (
        <p className="notice notice-warning" role="note">
          Verify your email address to create keys: we sent you a link when you signed up. You can ask for a new one on your <Link href="/account">account page</Link>.
        </p>
      ) : null}
      <DataTable<Credential>
        caption="Keys"
        rows={keys.data}
        loading={keys.loading}
        error={keys.error}
        empty="No keys yet. Create one to call the APIs this application subscribes to."
        rowKey={(k) => k.id}
        columns={[
          { key: 'key', header: 'Key', truncate: (k) => k.display, render: (k) => <code>{k.display}</code> },
          { key: 'type', header: 'Type', render: (k) => (k.type === 'oauth2' ? `OAuth2 client${k.client_name ? ` (${k.client_name})` : ''}` : 'API key') },
          { key: 'status', header: 'Status', render: (k) => { const s = status(k, now); return <Badge tone={s.tone}>{s.label}</Badge>; } },
          { key: 'created', header: 'Created', render: (k) => when(k.created_at) },
          { key: 'expires', header: 'Expires', render: (k) => (k.revoked_at ? `revoked ${when(k.revoked_at)}` : k.expires_at ? when(k.expires_at) : 'never') },
          {
            key: 'actions', header: 'Actions', render: (k) => (k.revoked_at ? null : (
              <div className="btn-row nowrap">
                <Button small disabled={!verified} onClick={() => { setFormError(undefined); setRotating(k); }} aria-label={`Rotate ${k.display}`}>Rotate</Button>
                <Button small onClick={() => { setFormError(undefined); setExpiry(''); setExpiring(k); }} aria-label={`Expiry of ${k.display}`}>Expiry</Button>
                <Button small variant="danger" onClick={() => { setFormError(undefined); setRevoking(k); }} aria-label={`Revoke ${k.display}`}>Revoke</Button>
              </div>
            )),
          },
        ]}
      />
      <p className="hint">A rotated key keeps working until the expiry shown here; after that only the new key does.</p>

      <Dialog open={creating !== undefined} title={creating === 'oauth2' ? 'Create an OAuth2 client' : 'Create an API key'} onClose={() => setCreating(undefined)}>
        <form onSubmit={(e) => { e.preventDefault(); void create(); }} noValidate>
          {creating === 'oauth2' ? <TextField label="Client name" value={clientName} onChange={setClientName} hint="Optional: where the client runs, e.g. “billing job”." /> : null}
          <TextField label="Expires" type="datetime-local" value={expiry} onChange={setExpiry} hint="Optional. Leave empty for a key that does not expire." />
          {formError ? <p className="error" role="alert">{formError}</p> : null}
          <div className="btn-row">
            <Button type="submit" variant="primary" busy={busy}>Create</Button>
            <Button onClick={() => setCreating(undefined)}>Cancel</Button>
          </div>
        </form>
      </Dialog>

      <Dialog open={rotating !== undefined} title={`Rotate ${rotating?.display ?? ''}`} onClose={() => setRotating(undefined)}>
        <p>You get a new key now. The old one keeps working for the overlap you choose, so you can switch your clients without downtime.</p>
        <SelectField label="Overlap" value={overlap} options={OVERLAPS} onChange={setOverlap} />
        {formError ? <p className="error" role="alert">{formError}</p> : null}
        <div className="btn-row">
          <Button variant="primary" busy={busy} onClick={() => void rotate()}>Rotate</Button>
          <Button onClick={() => setRotating(undefined)}>Cancel</Button>
        </div>
      </Dialog>

      <Dialog open={expiring !== undefined} title={`Expiry of ${expiring?.display ?? ''}`} onClose={() => setExpiring(undefined)}>
        <p>Now: {expiring?.expires_at ? `expires ${when(expiring.expires_at)}` : 'does not expire'}.</p>
        <form onSubmit={(e) => { e.preventDefault(); void setExpiryOf(false); }} noValidate>
          <TextField label="New expiry" type="datetime-local" value={expiry} onChange={setExpiry} />
          {formError ? <p className="error" role="alert">{formError}</p> : null}
          <div className="btn-row">
            <Button type="submit" variant="primary" busy={busy}>Set expiry</Button>
            {expiring?.expires_at ? <Button busy={busy} onClick={() => void setExpiryOf(true)}>Clear expiry</Button> : null}
            <Button onClick={() => setExpiring(undefined)}>Cancel</Button>
          </div>
        </form>
      </Dialog>

      <Confirm open={revoking !== undefined} title={`Revoke ${revoking?.display ?? ''}?`} action="Revoke" busy={busy} onConfirm={() => void revoke()} onCancel={() => setRevoking(undefined)}>
        <p>Calls with this key are refused at once, for good. It stays listed as revoked.</p>
        {formError ? <p className="error" role="alert">{formError}</p> : null}
      </Confirm>

      <ShownOnce title={shown?.title ?? ''} intro={shown?.intro ? <p>{shown.intro}</p> : undefined} values={shown?.values} onDone={() => setShown(undefined)} />
    </section>
  );
}
