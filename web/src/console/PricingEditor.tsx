// The plan's price model, edited in money rather than raw minor units: fields appear for the
// chosen model only (flat fee, per-call price and included calls, graduated tiers), amounts are
// typed in the currency's major unit and stored in minor units as the API wants.
import { useState } from 'react';
import { Button } from '../ui/Button.tsx';
import { FieldGroup, SelectField, TextField } from '../ui/Field.tsx';
import type { WidgetProps } from './schema-form/SchemaForm.tsx';
import { pointerJoin } from './schema-form/schema.ts';

interface Tier { up_to: number | null; per_call_minor: number }
interface Price { model: 'free' | 'flat' | 'per_call' | 'tiered'; currency: string; monthly_minor: number; per_call_minor: number; included_calls: number; tiers: Tier[] }

const MODELS = [
  { value: 'free', label: 'Free' },
  { value: 'flat', label: 'Flat monthly fee' },
  { value: 'per_call', label: 'Per call (optional monthly fee, included calls)' },
  { value: 'tiered', label: 'Graduated tiers' },
];

/** How many decimals the currency's minor unit has (2 for USD, 0 for JPY); 2 when unknown. */
export function fractionDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

function withDefaults(v: unknown): Price {
  const p = (v ?? {}) as Partial<Price>;
  return { model: p.model ?? 'free', currency: p.currency ?? 'USD', monthly_minor: p.monthly_minor ?? 0, per_call_minor: p.per_call_minor ?? 0, included_calls: p.included_calls ?? 0, tiers: p.tiers ?? [] };
}

/** A money input in major units; the value is in minor units. */
function Money({ label, minor, digits, currency, onChange, error, hint }: { label: string; minor: number; digits: number; currency: string; onChange(minor: number): void; error?: string | undefined; hint?: string }) {
  const [text, setText] = useState(() => (minor / 10 ** digits).toString());
  const parsed = Number(text);
  const local = text.trim() === '' || Number.isNaN(parsed) || parsed < 0 ? 'must be an amount of at least 0' : undefined;
  return (
    <TextField label={`${label} (${currency})`} inputMode="decimal" value={text} error={error ?? local} hint={hint}
      onChange={(t) => {
        setText(t);
        const n = Number(t);
        if (t.trim() !== '' && !Number.isNaN(n) && n >= 0) onChange(Math.round(n * 10 ** digits * 1e6) / 1e6);
      }} />
  );
}

export function PricingEditor({ value, onChange, pointer, label, ctx }: WidgetProps) {
  const price = withDefaults(value);
  const digits = fractionDigits(price.currency);
  const set = (patch: Partial<Price>) => onChange({ ...price, ...patch });
  const err = (field: string) => ctx.errors.get(pointerJoin(pointer, field));
  const example = 100_000;
  const estimate = price.model === 'free' ? 0 : price.model === 'flat' ? price.monthly_minor : price.model === 'per_call' ? price.monthly_minor + Math.max(0, example - price.included_calls) * price.per_call_minor : undefined;
  const fmt = (minor: number) => new Intl.NumberFormat('en', { style: 'currency', currency: /^[A-Z]{3}$/.test(price.currency) ? price.currency : 'USD' }).format(minor / 10 ** digits);
  return (
    <FieldGroup label={label} error={ctx.errors.get(pointer)} hint="What a subscriber pays each month.">
      <SelectField label="Price model" value={price.model} options={MODELS} error={err('model')} onChange={(m) => set({ model: m as Price['model'] })} />
      {price.model !== 'free' ? (
        <>
          <TextField label="Currency" hint="ISO 4217 code, e.g. USD, EUR." value={price.currency} error={err('currency')} onChange={(c) => set({ currency: c.toUpperCase() })} />
          <Money label="Monthly fee" minor={price.monthly_minor} digits={digits} currency={price.currency} error={err('monthly_minor')} onChange={(m) => set({ monthly_minor: Math.round(m) })} />
        </>
      ) : null}
      {price.model === 'per_call' ? (
        <>
          <Money label="Price per call" minor={price.per_call_minor} digits={digits} currency={price.currency} error={err('per_call_minor')} onChange={(m) => set({ per_call_minor: m })} />
          <TextField label="Included calls per month" inputMode="numeric" value={String(price.included_calls)} error={err('included_calls')} onChange={(t) => set({ included_calls: /^\d+$/.test(t) ? Number(t) : 0 })} />
        </>
      ) : null}
      {price.model === 'tiered' ? (
        <FieldGroup label="Tiers" error={err('tiers')} hint="Each tier prices the calls up to its bound; leave the last bound empty for “and above”.">
          {price.tiers.map((tier, i) => (
            <div className="array-item" key={i}>
              <div>
                <TextField label={`Tier ${i + 1}: up to (calls)`} inputMode="numeric" value={tier.up_to === null ? '' : String(tier.up_to)} error={err(`tiers/${i}/up_to`)} onChange={(t) => set({ tiers: price.tiers.map((x, j) => (j === i ? { ...x, up_to: /^\d+$/.test(t) ? Number(t) : null } : x)) })} />
                <Money label={`Tier ${i + 1}: price per call`} minor={tier.per_call_minor} digits={digits} currency={price.currency} error={err(`tiers/${i}/per_call_minor`)} onChange={(m) => set({ tiers: price.tiers.map((x, j) => (j === i ? { ...x, per_call_minor: m } : x)) })} />
              </div>
              <Button small variant="danger" aria-label={`Remove tier ${i + 1}`} onClick={() => set({ tiers: price.tiers.filter((_, j) => j !== i) })}>Remove</Button>
            </div>
          ))}
          <Button small disabled={price.tiers.length >= 20} onClick={() => set({ tiers: [...price.tiers, { up_to: null, per_call_minor: 0 }] })}>Add tier</Button>
        </FieldGroup>
      ) : null}
      {estimate !== undefined ? <p className="hint" aria-live="polite">Example: {example.toLocaleString('en')} calls in a month cost {fmt(estimate)}.</p> : null}
    </FieldGroup>
  );
}
