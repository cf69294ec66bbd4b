// Validator errors → the `errors` members of a validation-failed answer: where (location, the
// parameter name, a JSON pointer) and what, never the offending value (it may be huge or secret).
import type { ErrorObject } from 'ajv';

export type Where = 'path' | 'query' | 'header' | 'body' | 'status';

export interface Violation {
  readonly in: Where;
  /** The parameter (or response header) name; absent for the body and the status. */
  readonly name?: string;
  /** JSON pointer (RFC 6901) into the body, or into the parameter's value ("" = the value itself). */
  readonly pointer: string;
  readonly message: string;
}

/** Client-chosen names (unknown properties) can be long: pointers are capped. */
const MAX_POINTER = 256;

export function escapePointer(part: string): string {
  return part.replaceAll('~', '~0').replaceAll('/', '~1');
}

function cap(pointer: string): string {
  return pointer.length > MAX_POINTER ? `${pointer.slice(0, MAX_POINTER)}…` : pointer;
}

/** Where an error is: the instance path, or for a missing/unexpected property the property itself. */
function pointerOf(e: ErrorObject): string {
  const params = e.params as { missingProperty?: string; additionalProperty?: string; unevaluatedProperty?: string };
  const child = params.missingProperty ?? params.additionalProperty ?? params.unevaluatedProperty;
  return child === undefined ? e.instancePath : `${e.instancePath}/${escapePointer(child)}`;
}

function messageOf(e: ErrorObject): string {
  if (e.keyword === 'required') return 'is required';
  if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') return 'is not allowed';
  return e.message ?? 'is invalid';
}

/** Appends body violations (stops at `max` in total). */
export function bodyViolations(errors: readonly ErrorObject[] | null | undefined, out: Violation[], max: number, where: Where = 'body'): void {
  for (const e of errors ?? []) {
    if (out.length >= max) return;
    if (e.keyword === 'if') continue; // the failing then/else branch is reported itself
    out.push({ in: where, pointer: cap(pointerOf(e)), message: messageOf(e) });
  }
}

/** Appends parameter violations: the first pointer segment is the parameter's key. */
export function parameterViolations(errors: readonly ErrorObject[] | null | undefined, location: Where, names: ReadonlyMap<string, string>, out: Violation[], max: number): void {
  for (const e of errors ?? []) {
    if (out.length >= max) return;
    const pointer = pointerOf(e);
    const slash = pointer.indexOf('/', 1);
    const key = unescapePointer(slash === -1 ? pointer.slice(1) : pointer.slice(1, slash));
    const name = names.get(key) ?? key;
    out.push({ in: location, name, pointer: cap(slash === -1 ? '' : pointer.slice(slash)), message: messageOf(e) });
  }
}

function unescapePointer(part: string): string {
  return part.replaceAll('~1', '/').replaceAll('~0', '~');
}
