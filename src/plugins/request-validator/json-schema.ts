// OpenAPI Schema Objects → JSON Schema draft 2020-12, the dialect every validator here compiles.
// OpenAPI 3.1 schemas already are 2020-12 (only references and read/write-only need care); 3.0
// schemas differ where this module converts them (docs/validation.md lists what is not converted).

export type Direction = 'request' | 'response';

export interface ConvertOptions {
  /** OpenAPI 3.0 (its own schema dialect) rather than 3.1. */
  readonly v30: boolean;
  /** readOnly properties are not required in requests, writeOnly ones not in responses. */
  readonly direction: Direction;
  /** Rewrites a `$ref` of the document; returns undefined for one this validator cannot follow. */
  readonly ref: (ref: string) => string | undefined;
  /** Collects references that cannot be followed (reported when the config is compiled). */
  readonly problems: string[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'] as const;
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;
const SCHEMA_VALUES = ['additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems', 'additionalItems'] as const;

export function convertSchema(schema: unknown, opts: ConvertOptions): unknown {
  if (!isObject(schema)) return schema; // true/false (3.1), or garbage the validator will refuse
  if (typeof schema.$ref === 'string') {
    const target = opts.ref(schema.$ref);
    if (target === undefined) {
      opts.problems.push(`$ref "${schema.$ref}" cannot be followed (only references to #/components/schemas/... inside the document are supported)`);
      return {};
    }
    // In 3.0 the siblings of a $ref are ignored; in 3.1 they apply together with it.
    if (opts.v30) return { $ref: target };
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref') out.$ref = opts.ref(value as string);
    else if ((SCHEMA_MAPS as readonly string[]).includes(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertSchema(v, opts)]));
    } else if ((SCHEMA_LISTS as readonly string[]).includes(key) && Array.isArray(value)) {
      out[key] = value.map((v) => convertSchema(v, opts));
    } else if ((SCHEMA_VALUES as readonly string[]).includes(key)) {
      out[key] = convertSchema(value, opts);
    } else if (key === 'items') {
      // 2020-12 `items` is one schema; an array form (draft 4 style tuples) becomes prefixItems.
      if (Array.isArray(value)) out.prefixItems = value.map((v) => convertSchema(v, opts));
      else out.items = convertSchema(value, opts);
    } else if (key === 'example' && opts.v30) {
      // an annotation only; 2020-12 has `examples`
    } else {
      out[key] = value;
    }
  }
  if (opts.v30) convert30(out);
  dropDirectionalRequired(out, opts.direction);
  return out;
}

/** The 3.0 keywords whose meaning differs from 2020-12, rewritten in place. */
function convert30(s: Json): void {
  // exclusiveMinimum/Maximum are booleans modifying minimum/maximum in 3.0, numbers in 2020-12.
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof s[flag] !== 'boolean') continue;
    if (s[flag] === true && typeof s[bound] === 'number') {
      s[flag] = s[bound];
      delete s[bound];
    } else delete s[flag];
  }
  if ('nullable' in s) {
    const nullable = s.nullable === true;
    delete s.nullable;
    if (!nullable) return;
    if (typeof s.type === 'string') s.type = [s.type, 'null'];
    if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum = [...s.enum, null];
    if (s.type === undefined) {
      // No type to widen (e.g. allOf: [$ref] with nullable): null or the rest.
      const rest = { ...s };
      for (const k of Object.keys(s)) delete s[k];
      s.anyOf = [{ type: 'null' }, rest];
    }
  }
}

/** readOnly properties may be required in a schema but are only sent in responses (and writeOnly ones only in requests). */
function dropDirectionalRequired(s: Json, direction: Direction): void {
  if (!Array.isArray(s.required) || !isObject(s.properties)) return;
  const skip = direction === 'request' ? 'readOnly' : 'writeOnly';
  const props = s.properties;
  const kept = (s.required as unknown[]).filter((name) => !(typeof name === 'string' && isObject(props[name]) && props[name][skip] === true));
  if (kept.length !== s.required.length) s.required = kept;
}

/** What shape a (converted) schema gives a parameter: how its text is split. */
export function shapeOf(schema: unknown, resolve: (ref: string) => unknown, depth = 0): 'array' | 'object' | 'scalar' {
  if (!isObject(schema) || depth > 10) return 'scalar';
  if (typeof schema.$ref === 'string') return shapeOf(resolve(schema.$ref), resolve, depth + 1);
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('array') || (schema.type === undefined && schema.items !== undefined)) return 'array';
  if (types.includes('object') || (schema.type === undefined && schema.properties !== undefined)) return 'object';
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list)) for (const sub of list) { const shape = shapeOf(sub, resolve, depth + 1); if (shape !== 'scalar') return shape; }
  }
  return 'scalar';
}
