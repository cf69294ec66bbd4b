// The subscription form's consumer, product and plan as choices from the configured ones (not
// free text): the plan list follows the chosen product (only the plans it sells), and choosing
// another product clears a plan it does not sell. A value no longer configured stays listed, so
// editing an old subscription shows what it has.
import { SelectField } from '../ui/Field.tsx';
import { listEntities } from './entities.ts';
import type { WidgetProps } from './schema-form/SchemaForm.tsx';
import { useAsync } from './useAsync.ts';

export interface SubscriptionChoices {
  readonly consumers: readonly string[];
  readonly products: ReadonlyMap<string, readonly string[]>;
  readonly plans: readonly string[];
}

const names = async (c: 'consumers' | 'plans') => (await listEntities(c, { limit: 1000 })).data.map((e) => String(e.name ?? e.id)).sort();

export function useSubscriptionChoices(enabled: boolean): { data: SubscriptionChoices | undefined; error: string | undefined } {
  const r = useAsync(async () => {
    if (!enabled) return undefined;
    const [consumers, plans, products] = await Promise.all([names('consumers'), names('plans'), listEntities('products', { limit: 1000 })]);
    return { consumers, plans, products: new Map(products.data.map((p) => [String(p.name ?? p.id), Array.isArray(p.plans) ? (p.plans as string[]) : []])) };
  }, [enabled]);
  return { data: r.data, error: r.error };
}

export function ChoiceField({ value, onChange, label, ctx, pointer, schema, choices, loading, loadError }: WidgetProps & { choices: readonly string[]; loading: boolean; loadError?: string | undefined }) {
  const current = typeof value === 'string' ? value : '';
  const list = current && !choices.includes(current) ? [current, ...choices] : choices;
  const placeholder = loading ? 'Loading…' : list.length === 0 ? 'None configured' : `Choose a ${label.toLowerCase()}`;
  return (
    <SelectField label={label} required hint={loadError ? `The list could not be loaded: ${loadError}` : schema.description as string | undefined} error={ctx.errors.get(pointer)}
      value={current} options={[{ value: '', label: placeholder }, ...list.map((n) => ({ value: n, label: n }))]} onChange={(v) => onChange(v === '' ? undefined : v)} />
  );
}
