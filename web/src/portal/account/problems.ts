// Problem documents → what a form shows: each `errors[]` entry on the field its JSON pointer names
// (`/password` → the password field), everything else in a summary above the form. Fields the
// form does not have go to the summary too, so no message is ever lost.
import { ApiError } from '../../api/portal.ts';

export interface FormProblems {
  /** field name → message */
  readonly fields: Readonly<Record<string, string>>;
  /** Shown above the form (role=alert); undefined when every message sits on a field. */
  readonly summary: string | undefined;
}

export const NO_PROBLEMS: FormProblems = { fields: {}, summary: undefined };

/** The first segment of a JSON pointer (`/new_password` → `new_password`, `` → ``). */
export function pointerField(pointer: string): string {
  return pointer.split('/')[1]?.replace(/~1/g, '/').replace(/~0/g, '~') ?? '';
}

export function formProblems(err: unknown, known: readonly string[]): FormProblems {
  if (!(err instanceof ApiError)) return { fields: {}, summary: err instanceof Error ? err.message : String(err) };
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  for (const e of err.problem.errors ?? []) {
    const field = pointerField(e.pointer);
    if (known.includes(field) && fields[field] === undefined) fields[field] = e.detail;
    else rest.push(field ? `${field}: ${e.detail}` : e.detail);
  }
  // A problem without per-field errors (invalid-credentials, token-invalid…) speaks for the form.
  const summary = rest.length > 0 ? rest.join(' ') : Object.keys(fields).length === 0 ? err.message : undefined;
  return { fields, summary };
}

/** The portal's password rule, shown beside every new-password field and checked before sending. */
export const PASSWORD_MIN = 12;
export const PASSWORD_RULE = `At least ${PASSWORD_MIN} characters. A passphrase of a few words is easy to remember.`;

export function passwordProblem(password: string): string | undefined {
  return password.length < PASSWORD_MIN ? `Use at least ${PASSWORD_MIN} characters (this one has ${password.length}).` : undefined;
}

/** Where to go after login: only a path on this site (an open redirect would be a phishing aid). */
export function safeNext(next: string | null): string {
  if (next === null || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}
