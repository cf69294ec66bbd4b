// Event type payload schemas: checked when an event type is written (a schema that does not
// compile is refused then, not at publish time) and compiled once per schema version.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { EventTypeRecord } from '../store/webhooks/records.ts';

const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false, validateFormats: true });
addFormats.default(ajv);

const compiled = new Map<string, ValidateFunction>();
const MAX_CACHED = 1000;

export interface PayloadViolation { readonly pointer: string; readonly detail: string }

/** Why a schema cannot be used; undefined when it compiles. */
export function schemaProblem(schema: unknown): string | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return 'a JSON Schema is an object';
  try {
    ajv.compile(schema as object);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The newest schema version of an event type ("1" < "2" < "10"). */
export function latestSchemaVersion(type: EventTypeRecord): string | undefined {
  return Object.keys(type.schemas).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b)).at(-1);
}

/** Violations of the payload against the type's schema `version` (default: the latest). */
export function validatePayload(type: EventTypeRecord, payload: unknown, version = latestSchemaVersion(type)): PayloadViolation[] {
  if (version === undefined) return [];
  const schema = type.schemas[version];
  if (schema === undefined) return [{ pointer: '/schema_version', detail: `event type "${type.name}" has no schema version "${version}"` }];
  const key = `${type.id}|${type.version}|${version}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema as object);
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(key, validate);
  }
  if (validate(payload)) return [];
  return (validate.errors ?? []).slice(0, 20).map((e: ErrorObject) => ({ pointer: `/payload${e.instancePath}`, detail: e.message ?? 'is invalid' }));
}
