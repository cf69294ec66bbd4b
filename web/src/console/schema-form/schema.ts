// JSON Schema helpers for the generated forms: resolving $ref, classifying a schema into the kind
// of control that edits it, defaults for a new entity, and labels.

export type Schema = Record<string, unknown> & {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  additionalProperties?: boolean | Schema;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  format?: string;
  pattern?: string;
};

export type SchemaRoot = Readonly<Record<string, Schema>>;

/** Follows `#/components/schemas/X` (and `#/$defs/X`) references, a bounded number of times. */
export function resolve(schema: Schema | undefined, root: SchemaRoot): Schema {
  let s: Schema = schema ?? {};
  for (let i = 0; i < 16 && typeof s.$ref === 'string'; i++) {
    const name = /^#\/(?:components\/schemas|\$defs|definitions)\/(.+)$/.exec(s.$ref)?.[1];
    s = (name !== undefined ? root[decodeURIComponent(name)] : undefined) ?? {};
  }
  return s;
}

export type Kind =
  | { kind: 'enum'; options: string[]; nullable: boolean }
  | { kind: 'const'; value: unknown }
  | { kind: 'string'; nullable: boolean; multiline: boolean }
  | { kind: 'number'; integer: boolean; nullable: boolean }
  | { kind: 'boolean' }
  | { kind: 'object'; schema: Schema }
  | { kind: 'array'; items: Schema }
  | { kind: 'json' };

const isNull = (s: Schema) => s.type === 'null' || s.const === null;

/** What control edits a schema; anything the form cannot render field by field is edited as JSON. */
export function classify(input: Schema, root: SchemaRoot): Kind {
  const s = resolve(input, root);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) {
    const branches = alternatives.map((b) => resolve(b, root));
    const nullable = branches.some(isNull);
    const rest = branches.filter((b) => !isNull(b));
    if (rest.length > 0 && rest.every((b) => typeof b.const === 'string')) return { kind: 'enum', options: rest.map((b) => b.const as string), nullable };
    if (rest.length === 1) {
      const inner = classify(rest[0]!, root);
      if ((inner.kind === 'string' || inner.kind === 'number') && nullable) return { ...inner, nullable: true };
      if (!nullable) return inner;
    }
    return { kind: 'json' };
  }
  if (Array.isArray(s.enum) && s.enum.every((v) => typeof v === 'string')) return { kind: 'enum', options: s.enum as string[], nullable: false };
  if ('const' in s) return { kind: 'const', value: s.const };
  const types = Array.isArray(s.type) ? s.type : s.type !== undefined ? [s.type] : [];
  const nullable = types.includes('null');
  const type = types.find((t) => t !== 'null');
  switch (type) {
    // Long free text gets a text area; patterned and formatted strings stay on one line.
    case 'string': return { kind: 'string', nullable, multiline: (s.maxLength ?? 0) > 300 && s.pattern === undefined && s.format === undefined };
    case 'integer': return { kind: 'number', integer: true, nullable };
    case 'number': return { kind: 'number', integer: false, nullable };
    case 'boolean': return { kind: 'boolean' };
    case 'array': return s.items ? { kind: 'array', items: s.items } : { kind: 'json' };
    case 'object':
      return s.properties && Object.keys(s.properties).length > 0 ? { kind: 'object', schema: s } : { kind: 'json' };
    default:
      return s.properties ? { kind: 'object', schema: s } : { kind: 'json' };
  }
}

/** A starting value: defaults where the schema has them, empty required fields, optional ones left out. */
export function defaultsOf(input: Schema, root: SchemaRoot): unknown {
  const s = resolve(input, root);
  if (s.default !== undefined) {
    // An object default ({} for "price") still needs its properties' defaults filled in.
    if (s.default !== null && typeof s.default === 'object' && !Array.isArray(s.default) && s.properties) return { ...(defaultsOf({ ...s, default: undefined }, root) as object), ...s.default };
    return structuredClone(s.default);
  }
  const k = classify(s, root);
  switch (k.kind) {
    case 'const': return k.value;
    case 'enum': return k.nullable ? null : k.options[0];
    case 'string': return '';
    case 'number': return undefined;
    case 'boolean': return false;
    case 'array': return [];
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set(k.schema.required ?? []);
      for (const [name, prop] of Object.entries(k.schema.properties ?? {})) {
        const r = resolve(prop, root);
        if (r.default !== undefined || required.has(name)) out[name] = defaultsOf(prop, root);
      }
      return out;
    }
    default: return undefined;
  }
}

/** "rate_limits" → "Rate limits". */
const ACRONYMS: Readonly<Record<string, string>> = { url: 'URL', http: 'HTTP', https: 'HTTPS', ip: 'IP', jwt: 'JWT', tls: 'TLS', id: 'ID', ttl: 'TTL' };

export function humanize(name: string): string {
  const words = name.replace(/_ms$/, '_(ms)').split('_').filter(Boolean).map((w) => ACRONYMS[w] ?? w).join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** JSON pointer segment escaping (RFC 6901). */
export const pointerJoin = (base: string, segment: string | number) => `${base}/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`;

/** The editable part of a stored entity (drops server-assigned fields the input schema does not take). */
export function editable(entity: Record<string, unknown>, input: Schema, root: SchemaRoot): Record<string, unknown> {
  const props = resolve(input, root).properties ?? {};
  return Object.fromEntries(Object.entries(entity).filter(([k]) => k in props));
}
