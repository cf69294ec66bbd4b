// A form generated from a JSON Schema (the admin API's own input schemas, and the plugins' config
// schemas). Strings, numbers, booleans, enums, arrays and nested objects get real controls with
// labels, descriptions as hints and required marks; whatever the renderer cannot break down is
// edited as JSON. Errors arrive keyed by JSON pointer (the API's problem+json `errors[].pointer`)
// and are shown on the field they belong to.
import { useEffect, useState, type ReactNode } from 'react';
import { Button } from '../../ui/Button.tsx';
import { CheckboxField, FieldGroup, SelectField, TextField } from '../../ui/Field.tsx';
import { classify, defaultsOf, humanize, pointerJoin, resolve, type Schema, type SchemaRoot } from './schema.ts';

export type FieldErrors = ReadonlyMap<string, string>;

export interface WidgetProps {
  value: unknown;
  onChange(v: unknown): void;
  pointer: string;
  label: string;
  schema: Schema;
  ctx: FormContext;
}

export interface FormContext {
  readonly root: SchemaRoot;
  readonly errors: FieldErrors;
  /** Custom editors by JSON pointer (e.g. the plan's pricing editor at "/price"). */
  readonly widgets?: Readonly<Record<string, (props: WidgetProps) => ReactNode>>;
  readonly disabled?: boolean;
}

interface FieldProps {
  schema: Schema;
  value: unknown;
  onChange(v: unknown): void;
  pointer: string;
  label: string;
  required?: boolean;
  ctx: FormContext;
}

export function SchemaField(props: FieldProps): ReactNode {
  const { schema, value, onChange, pointer, label, required, ctx } = props;
  const widget = ctx.widgets?.[pointer];
  if (widget) return widget({ value, onChange, pointer, label, schema, ctx });
  const s = resolve(schema, ctx.root);
  const k = classify(s, ctx.root);
  const error = ctx.errors.get(pointer);
  const hint = s.description;
  switch (k.kind) {
    case 'const':
      return <TextField label={label} hint={hint} value={String(k.value)} onChange={() => undefined} />;
    case 'enum': {
      const options = [...(k.nullable || !required ? [{ value: '', label: '(none)' }] : []), ...k.options.map((o) => ({ value: o, label: o }))];
      return <SelectField label={label} hint={hint} error={error} required={required} value={typeof value === 'string' ? value : ''} options={options} onChange={(v) => onChange(v === '' ? (k.nullable ? null : undefined) : v)} />;
    }
    case 'string':
      // A URL or a name is one line however long it may be.
      return <TextField label={label} hint={hint} error={error} required={required} multiline={k.multiline && !/(^|[/_])(url|uri|host|name)$/.test(pointer)} value={typeof value === 'string' ? value : ''} onChange={(v) => onChange(v === '' && (k.nullable || !required) ? (k.nullable ? null : undefined) : v)} />;
    case 'number':
      return <NumberField label={label} hint={hint} error={error} required={required} integer={k.integer} value={typeof value === 'number' ? value : undefined} onChange={(v) => onChange(v === undefined && k.nullable ? null : v)} />;
    case 'boolean':
      return <CheckboxField label={label} hint={hint} error={error} checked={value === true} onChange={onChange} />;
    case 'object':
      return <ObjectField {...props} schema={k.schema} />;
    case 'array':
      return <ArrayField {...props} items={k.items} />;
    default:
      return <JsonField label={label} hint={hint} error={error} required={required} value={value} onChange={onChange} />;
  }
}

function NumberField({ label, hint, error, required, integer, value, onChange }: { label: string; hint?: string | undefined; error?: string | undefined; required?: boolean | undefined; integer: boolean; value: number | undefined; onChange(v: number | undefined): void }) {
  // The text is kept as typed ("1." on the way to "1.5"); the value only changes when it parses.
  const [text, setText] = useState(value === undefined ? '' : String(value));
  useEffect(() => {
    if (value === undefined ? text !== '' : Number(text) !== value) setText(value === undefined ? '' : String(value));
  }, [value]);
  const parsed = text.trim() === '' ? undefined : Number(text);
  const localError = parsed !== undefined && (Number.isNaN(parsed) || (integer && !Number.isInteger(parsed))) ? `must be ${integer ? 'a whole number' : 'a number'}` : undefined;
  return (
    <TextField label={label} hint={hint} error={error ?? localError} required={required} inputMode={integer ? 'numeric' : 'decimal'} value={text}
      onChange={(v) => {
        setText(v);
        const n = v.trim() === '' ? undefined : Number(v);
        if (n === undefined || (!Number.isNaN(n) && (!integer || Number.isInteger(n)))) onChange(n);
      }} />
  );
}

function ObjectField({ schema, value, onChange, pointer, label, required, ctx }: FieldProps) {
  const obj = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  const requiredSet = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([name, prop]) => (
    <SchemaField key={name} schema={prop} label={humanize(name)} pointer={pointerJoin(pointer, name)} required={requiredSet.has(name)} ctx={ctx}
      value={obj?.[name]}
      onChange={(v) => {
        const next = { ...obj };
        if (v === undefined) delete next[name];
        else next[name] = v;
        onChange(next);
      }} />
  ));
  if (pointer === '') return <>{fields}</>;
  const error = ctx.errors.get(pointer);
  // An optional object (a plan's quota) is switched on and off as a whole.
  if (!required) {
    return (
      <FieldGroup label={label} hint={resolve(schema, ctx.root).description} error={error}>
        <CheckboxField label={`Set ${label.toLowerCase()}`} checked={obj !== undefined} onChange={(on) => onChange(on ? defaultsOf(schema, ctx.root) : undefined)} />
        {obj !== undefined ? fields : null}
      </FieldGroup>
    );
  }
  return <FieldGroup label={label} hint={schema.description} error={error} required={required}>{fields}</FieldGroup>;
}

function ArrayField({ items, value, onChange, pointer, label, required, ctx, schema }: FieldProps & { items: Schema }) {
  const list = Array.isArray(value) ? value : [];
  const error = ctx.errors.get(pointer);
  const max = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
  const singular = label.replace(/s$/, '').toLowerCase();
  return (
    <FieldGroup label={label} hint={resolve(schema, ctx.root).description} error={error} required={required}>
      {list.length === 0 ? <p className="hint">None.</p> : null}
      {list.map((item, i) => (
        <div className="array-item" key={i}>
          <SchemaField schema={items} value={item} label={`${humanize(singular)} ${i + 1}`} pointer={pointerJoin(pointer, i)} required ctx={ctx}
            onChange={(v) => onChange(list.map((x, j) => (j === i ? v : x)))} />
          <Button small variant="danger" disabled={ctx.disabled} aria-label={`Remove ${singular} ${i + 1}`} onClick={() => onChange(list.filter((_, j) => j !== i))}>Remove</Button>
        </div>
      ))}
      <Button small disabled={ctx.disabled || list.length >= max} onClick={() => onChange([...list, defaultsOf(items, ctx.root)])}>Add {singular}</Button>
    </FieldGroup>
  );
}

function JsonField({ label, hint, error, required, value, onChange }: { label: string; hint?: string | undefined; error?: string | undefined; required?: boolean | undefined; value: unknown; onChange(v: unknown): void }) {
  const [text, setText] = useState(() => (value === undefined ? '' : JSON.stringify(value, null, 2)));
  const [parseError, setParseError] = useState<string>();
  return (
    <TextField multiline label={`${label} (JSON)`} hint={hint} error={error ?? parseError} required={required} value={text}
      onChange={(v) => {
        setText(v);
        if (v.trim() === '') {
          setParseError(undefined);
          onChange(undefined);
          return;
        }
        try {
          onChange(JSON.parse(v));
          setParseError(undefined);
        } catch {
          setParseError('not valid JSON yet');
        }
      }} />
  );
}

/** Pointer → message from a problem's `errors[]`; the whole-body pointer "" stays for the summary. */
export function errorsByPointer(errors: readonly { pointer: string; detail: string }[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const e of errors ?? []) map.set(e.pointer, map.has(e.pointer) ? `${map.get(e.pointer)!}; ${e.detail}` : e.detail);
  return map;
}
