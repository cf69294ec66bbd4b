// Form fields: every control has a visible label, its hint and error are tied to it with
// aria-describedby, and an error marks it aria-invalid.
import { useId, type ReactNode } from 'react';

interface Common {
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  required?: boolean | undefined;
}

function describedBy(id: string, hint?: string, error?: string): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function Help({ id, hint, error }: { id: string; hint?: string | undefined; error?: string | undefined }) {
  return (
    <>
      {hint ? <span id={`${id}-hint`} className="hint">{hint}</span> : null}
      {error ? <span id={`${id}-error`} className="error">{error}</span> : null}
    </>
  );
}

const Label = ({ htmlFor, label, required }: { htmlFor: string; label: string; required?: boolean | undefined }) => (
  <label htmlFor={htmlFor}>{label}{required ? <span className="required-mark" aria-hidden="true">*</span> : null}</label>
);

export function TextField({ label, hint, error, required, value, onChange, type = 'text', multiline, name, autoComplete, placeholder, inputMode }: Common & {
  value: string; onChange(v: string): void; type?: string; multiline?: boolean; name?: string; autoComplete?: string; placeholder?: string; inputMode?: 'numeric' | 'decimal' | 'text';
}) {
  const id = useId();
  const props = {
    id, name, value, required, placeholder, className: 'input',
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy(id, hint, error),
  };
  return (
    <div className="field">
      <Label htmlFor={id} label={label} required={required} />
      {multiline
        ? <textarea {...props} onChange={(e) => onChange(e.target.value)} />
        : <input {...props} type={type} autoComplete={autoComplete} inputMode={inputMode} onChange={(e) => onChange(e.target.value)} />}
      <Help id={id} hint={hint} error={error} />
    </div>
  );
}

export function SelectField({ label, hint, error, required, value, onChange, options }: Common & {
  value: string; onChange(v: string): void; options: readonly { value: string; label: string }[];
}) {
  const id = useId();
  return (
    <div className="field">
      <Label htmlFor={id} label={label} required={required} />
      <select id={id} className="input" value={value} required={required} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
      </select>
      <Help id={id} hint={hint} error={error} />
    </div>
  );
}

export function CheckboxField({ label, hint, error, checked, onChange }: Common & { checked: boolean; onChange(v: boolean): void }) {
  const id = useId();
  return (
    <div className="field">
      <div className="checkbox">
        <input id={id} type="checkbox" checked={checked} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} onChange={(e) => onChange(e.target.checked)} />
        <label htmlFor={id}>{label}</label>
      </div>
      <Help id={id} hint={hint} error={error} />
    </div>
  );
}

/** A titled group of fields (nested objects, arrays). */
export function FieldGroup({ label, hint, error, required, children }: Common & { children: ReactNode }) {
  const id = useId();
  return (
    <fieldset className="group" aria-describedby={describedBy(id, hint, error)}>
      <legend>{label}{required ? <span className="required-mark" aria-hidden="true">*</span> : null}</legend>
      <Help id={id} hint={hint} error={error} />
      {children}
    </fieldset>
  );
}
