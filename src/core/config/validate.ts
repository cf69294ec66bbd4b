// Validation with defaults against any TypeBox schema: the one path used for the config file,
// plugin configs and (later) admin API bodies.
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Settings } from 'typebox/system';
import Value from 'typebox/value';
import { issuesFromErrors, pointerToPath, type ConfigIssue } from './errors.ts';
import { registerFormats } from './formats.ts';

registerFormats();
// TypeBox stops collecting errors at 8 by default; a config file deserves every problem at once
// (still bounded: a hostile document cannot make us buffer without end).
Settings.Set({ maxErrors: 200 });

const validators = new WeakMap<TSchema, ReturnType<typeof Compile>>();

function validatorFor(schema: TSchema): ReturnType<typeof Compile> {
  let v = validators.get(schema);
  if (!v) {
    v = Compile(schema);
    validators.set(schema, v);
  }
  return v;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; issues: ConfigIssue[] };

/**
 * Fills defaults into a copy of `input`, then checks it. Issue paths are prefixed with
 * `pointerPrefix` so that a plugin config error names its place in the whole file.
 */
export function validate<T>(schema: TSchema, input: unknown, pointerPrefix = ''): Validated<T> {
  const value = Value.Default(schema, Value.Clone(input));
  const validator = validatorFor(schema);
  if (validator.Check(value)) return { ok: true, value: value as T };
  const issues = issuesFromErrors(schema, validator.Errors(value)).map((issue) => {
    const pointer = pointerPrefix + issue.pointer;
    return { ...issue, pointer, path: pointerToPath(pointer) };
  });
  return { ok: false, issues };
}

