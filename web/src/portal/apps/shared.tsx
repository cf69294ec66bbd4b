// Building blocks the application pages share: typed shapes from the portal API, dates shown in
// the reader's locale, a "shown once" secret dialog with a copy button, and a confirm dialog.
import { useState, type ReactNode } from 'react';
import type { components } from '../../api/portal.gen/index.ts';
import { Button } from '../../ui/Button.tsx';
import { Dialog } from '../../ui/Dialog.tsx';

type Schemas = components['schemas'];
export type App = Schemas['PortalApplication'];
export type Subscription = Schemas['PortalSubscription'];
export type Credential = Schemas['Credential'];
export type CreatedCredential = Schemas['CreatedCredential'];
export type CatalogProduct = Schemas['CatalogProduct'];
export type CatalogPlan = Schemas['CatalogPlan'];

export { useAsync } from '../../console/useAsync.ts';

export const appsPath = (team: string) => `/portal/api/teams/${encodeURIComponent(team)}/apps`;

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
/** A timestamp for people ("—" for none). */
export const when = (iso: string | null | undefined): string => (iso ? DATE.format(new Date(iso)) : '—');

/** A secret the server shows this once: a clear warning, the value, and a copy button. */
export function ShownOnce({ title, intro, values, onDone }: {
  title: string;
  intro?: ReactNode;
  values: readonly (readonly [label: string, value: string])[] | undefined;
  onDone(): void;
}) {
  const [copied, setCopied] = useState<string | undefined>();
  const copy = async (label: string, value: string) => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(label);
    } catch {
      // No clipboard (an insecure origin, a denied permission): the value stays selectable.
      setCopied(undefined);
    }
  };
  return (
    <Dialog open={values !== undefined} title={title} onClose={onDone}>
      {intro}
      <p className="shown-once-warning" role="note"><strong>Copy it now.</strong> This is the only time it is shown: only a hash is stored, so nobody can show it to you again. If you lose it, rotate or create a new one.</p>
      {values?.map(([label, value]) => (
        <div className="field" key={label}>
          <span className="stat-label">{label}</span>
          <output className="secret-box" aria-label={label}>{value}</output>
          <div className="btn-row">
            <Button small onClick={() => void copy(label, value)} aria-label={`Copy ${label}`}>Copy</Button>
            <span aria-live="polite" className="hint">{copied === label ? 'Copied to the clipboard' : ''}</span>
          </div>
        </div>
      ))}
      <Button variant="primary" onClick={onDone}>I have copied it</Button>
    </Dialog>
  );
}

/** "Are you sure?" for anything that cannot be undone. */
export function Confirm({ open, title, children, action, busy, onConfirm, onCancel }: {
  open: boolean; title: string; children: ReactNode; action: string; busy?: boolean; onConfirm(): void; onCancel(): void;
}) {
  return (
    <Dialog open={open} title={title} onClose={onCancel}>
      {children}
      <div className="btn-row">
        <Button variant="danger" busy={busy} onClick={onConfirm}>{action}</Button>
        <Button onClick={onCancel}>Cancel</Button>
      </div>
    </Dialog>
  );
}

/** An error in place of content, with a retry. */
export function LoadError({ message, retry }: { message: string; retry(): void }) {
  return (
    <div className="card apps-error" role="alert">
      <p>{message}</p>
      <Button small onClick={retry}>Try again</Button>
    </div>
  );
}
