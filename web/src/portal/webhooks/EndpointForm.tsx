// Create or edit a webhook endpoint: the https URL, a description and which event types it
// receives (the published types, from the portal API; none ticked = every type).
import { useState, type FormEvent } from 'react';
import { call, messageOf, portal } from '../../api/portal.ts';
import type { components } from '../../api/portal.gen/index.ts';
import { Button } from '../../ui/Button.tsx';
import { CheckboxField, FieldGroup, TextField } from '../../ui/Field.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import { useAsync } from '../apps/shared.tsx';

export type Endpoint = components['schemas']['PortalWebhookEndpoint'];
export interface EndpointValues { url: string; description: string; event_types?: string[]; disabled: boolean }

export function EndpointForm({ initial, submitLabel, onSubmit, onCancel }: {
  initial?: Endpoint; submitLabel: string; onSubmit(v: EndpointValues): Promise<void>; onCancel(): void;
}) {
  const types = useAsync(async () => (await call(portal.GET('/portal/api/webhooks/event-types'))).data, []);
  const [url, setUrl] = useState(initial?.url ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [chosen, setChosen] = useState<readonly string[]>(initial?.event_types ?? []);
  const [error, setError] = useState<{ url?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);

  // Filters an operator or an older form set that are not published types stay, and are shown.
  const names = [...new Set([...(types.data?.map((t) => t.name) ?? []), ...chosen])].sort();
  const describe = (name: string) => types.data?.find((t) => t.name === name)?.description;
  const toggle = (name: string, on: boolean) => setChosen((c) => (on ? [...c, name] : c.filter((n) => n !== name)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!/^https:\/\/\S+$/i.test(url.trim())) { setError({ url: 'Enter an https:// address.' }); return; }
    setBusy(true);
    setError({});
    try {
      await onSubmit({ url: url.trim(), description: description.trim(), disabled: initial?.disabled ?? false, ...(chosen.length > 0 ? { event_types: [...chosen] } : {}) });
    } catch (err) {
      setError({ form: messageOf(err) });
      setBusy(false);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <TextField label="URL" type="url" required value={url} onChange={setUrl} error={error.url} placeholder="https://example.com/webhooks" hint="Deliveries are POSTed here, signed with the endpoint's secret. Public https addresses only." />
      <TextField label="Description" value={description} onChange={setDescription} />
      <FieldGroup label="Event types" hint="Tick none to receive every event type.">
        {types.loading && !types.data ? <Spinner label="Loading event types" /> : null}
        {types.error ? <p className="error" role="alert">The event types could not be loaded: {types.error}</p> : null}
        {types.data && names.length === 0 ? <p className="hint">No event types are published yet; the endpoint will receive every event.</p> : null}
        <div className="event-types">
          {names.map((n) => <CheckboxField key={n} label={n} hint={describe(n)} checked={chosen.includes(n)} onChange={(on) => toggle(n, on)} />)}
        </div>
      </FieldGroup>
      {error.form ? <p className="error" role="alert">{error.form}</p> : null}
      <div className="btn-row">
        <Button type="submit" variant="primary" busy={busy}>{submitLabel}</Button>
        <Button onClick={onCancel}>Cancel</Button>
      </div>
    </form>
  );
}
