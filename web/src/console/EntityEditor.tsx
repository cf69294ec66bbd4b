// Create or edit one entity in a dialog, with the form generated from its input schema. Edits
// are PUTs with If-Match (the ETag read when the dialog opened), so a concurrent change answers
// 412 instead of being overwritten. The API's validation errors land on their fields.
import { useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, messageOf } from '../api/client.ts';
import { Button } from '../ui/Button.tsx';
import { useToast } from '../ui/Toast.tsx';
import { createEntity, replaceEntity, SCHEMAS, type Entity, type KindInfo } from './entities.ts';
import { PluginConfigField, usePluginSchemas } from './PluginConfigField.tsx';
import { PricingEditor } from './PricingEditor.tsx';
import { ChoiceField, useSubscriptionChoices } from './SubscriptionFields.tsx';
import { errorsByPointer, SchemaField, type FormContext, type WidgetProps } from './schema-form/SchemaForm.tsx';
import { defaultsOf, editable, type Schema } from './schema-form/schema.ts';

export function EntityEditor({ kind, entity, etag, onSaved, onCancel }: { kind: KindInfo; entity?: Entity; etag?: string | undefined; onSaved(e: Entity): void; onCancel(): void }) {
  const [value, setValue] = useState<unknown>(() => (entity ? editable(entity, kind.input, SCHEMAS) : defaultsOf(kind.input, SCHEMAS)));
  const [problem, setProblem] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const summary = useRef<HTMLDivElement>(null);
  const toast = useToast();
  const plugins = usePluginSchemas(kind.collection === 'plugins');
  const choices = useSubscriptionChoices(kind.collection === 'subscriptions');

  const widgets = useMemo(() => {
    const w: Record<string, (p: WidgetProps) => ReactNode> = {};
    if (kind.collection === 'plans') w['/price'] = (p) => <PricingEditor {...p} />;
    if (kind.collection === 'plugins') {
      const name = (value as { name?: unknown } | undefined)?.name;
      // Choosing another plugin starts its config from that plugin's defaults.
      w['/name'] = (p) => <PluginConfigField.Name {...p} plugins={plugins} onChange={(chosen) => setValue((v: unknown) => {
        const schema = plugins?.find((x) => x.name === chosen)?.config_schema as Schema | undefined;
        return { ...(v as object), name: chosen, config: schema ? defaultsOf(schema, SCHEMAS) : {} };
      })} />;
      w['/config'] = (p) => <PluginConfigField {...p} plugins={plugins} pluginName={typeof name === 'string' ? name : undefined} />;
    }
    if (kind.collection === 'subscriptions') {
      const c = choices.data;
      const product = (value as { product?: unknown } | undefined)?.product;
      const sold = typeof product === 'string' ? c?.products.get(product) : undefined;
      const common = { loading: !c && !choices.error, loadError: choices.error };
      w['/consumer'] = (p) => <ChoiceField {...p} {...common} choices={c?.consumers ?? []} />;
      // Another product: keep the plan only if that product sells it.
      w['/product'] = (p) => <ChoiceField {...p} {...common} choices={[...(c?.products.keys() ?? [])].sort()} onChange={(chosen) => setValue((v: unknown) => {
        const plan = (v as { plan?: unknown }).plan;
        const keep = typeof chosen === 'string' && typeof plan === 'string' && (c?.products.get(chosen) ?? []).includes(plan);
        return { ...(v as object), product: chosen, plan: keep ? plan : undefined };
      })} />;
      w['/plan'] = (p) => <ChoiceField {...p} {...common} choices={sold ?? c?.plans ?? []} />;
    }
    return w;
  }, [kind.collection, value, plugins, choices.data, choices.error]);

  const ctx: FormContext = { root: SCHEMAS, errors: errorsByPointer(problem?.problem.errors), widgets, disabled: busy };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const saved = entity ? await replaceEntity(kind.collection, entity.id, value, etag) : await createEntity(kind.collection, value);
      toast.show(`${entity ? 'Saved' : 'Created'} ${kind.singular} ${saved.name ?? saved.id}`);
      onSaved(saved);
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : new ApiError(0, { detail: messageOf(err) });
      if (apiErr.status === 412) apiErr.problem.detail = `Someone changed this ${kind.singular} since you opened it. Close and open it again to see the current version.`;
      setProblem(apiErr);
      requestAnimationFrame(() => summary.current?.focus());
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} noValidate aria-label={`${entity ? 'Edit' : 'New'} ${kind.singular}`}>
      {problem ? (
        <div className="form-errors" role="alert" tabIndex={-1} ref={summary}>
          <strong>{problem.problem.title ?? 'Not saved'}:</strong> {problem.message}
          {problem.problem.errors?.length ? <ul>{problem.problem.errors.map((x, i) => <li key={i}><code>{x.pointer || '(body)'}</code> {x.detail}</li>)}</ul> : null}
        </div>
      ) : null}
      <SchemaField schema={kind.input} value={value} onChange={setValue} pointer="" label={kind.singular} required ctx={ctx} />
      <div className="btn-row">
        <Button type="submit" variant="primary" busy={busy}>{entity ? 'Save' : `Create ${kind.singular}`}</Button>
        <Button onClick={onCancel} disabled={busy}>Cancel</Button>
      </div>
    </form>
  );
}
