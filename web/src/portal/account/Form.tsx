// The frame of every account form: a heading, a problem summary that takes focus when it appears
// (screen readers hear it, keyboard users land on it), and the fields.
import { useEffect, useRef, type FormEvent, type ReactNode } from 'react';
import './account.css';

export function ProblemSummary({ message }: { message: string | undefined }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => { if (message) ref.current?.focus(); }, [message]);
  return message ? <div className="form-errors" role="alert" tabIndex={-1} ref={ref}>{message}</div> : null;
}

export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="auth-card">
      <div className="card">
        <h1>{title}</h1>
        {children}
      </div>
    </div>
  );
}

/** A form that never reloads the page; the browser's own validation stays on (noValidate off). */
export function Form({ onSubmit, label, children }: { onSubmit(): void; label: string; children: ReactNode }) {
  return (
    <form aria-label={label} onSubmit={(e: FormEvent) => { e.preventDefault(); onSubmit(); }}>
      {children}
    </form>
  );
}
