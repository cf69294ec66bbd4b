// Secret fields of plugin configs (a webhook signing secret, an OAuth2 client secret, a WS-Security
// password): marked once in the plugin's schema, found in any config value by one walker. The
// store seals what the walker finds and the admin API shows it as REDACTED, so a new plugin only
// marks its fields. Pure: no keys, no store.
import Type, { type TSchema, type TStringOptions } from 'typebox';

/** The schema option that marks a string field as a secret. */
export const SECRET_MARK = 'x-portcullis-secret';

/**
 * What reads show instead of a secret; sent back in a write it means "keep the secret stored at
 * this place". Not a valid value for any secret field in practice (no signing scheme accepts it).
 */
export const REDACTED = '(sealed)';

/**
 * `true`: always a secret. `'unless-pem'`: a secret unless the value is a PEM document (a public
 * key in the same field as a shared secret, as jwt's `keys`: public keys stay readable).
 */
export type SecretKind = true | 'unless-pem';

/** A string field holding a credential. */
export function SecretString(options: TStringOptions = {}, kind: SecretKind = true) {
  return Type.String({ ...options, [SECRET_MARK]: kind });
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

const escapeToken = (t: string) => t.replace(/~/g, '~0').replace(/\//g, '~1');
const unescapeToken = (t: string) => t.replace(/~1/g, '/').replace(/~0/g, '~');

function marks(schema: Json, value: string): boolean {
  const kind = schema[SECRET_MARK] as SecretKind | undefined;
  if (kind === true) return true;
  if (kind === 'unless-pem') return !value.trimStart().startsWith('-----BEGIN ');
  return false;
}

/**
 * JSON pointers (relative to `value`) of every string that `schema` marks as a secret. Walks the
 * value and the schema together, so arrays, records and unions (each branch the value could be)
 * are covered. Unknown shapes yield nothing rather than throwing: the schema check reports them.
 */
export function secretPaths(schema: TSchema, value: unknown, base = ''): string[] {
  const out: string[] = [];
  walk(schema as unknown as Json, value, base, out);
  return [...new Set(out)];
}

function walk(schema: Json, value: unknown, at: string, out: string[]): void {
  if (typeof value === 'string' && marks(schema, value)) out.push(at);
  for (const branchKey of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = schema[branchKey];
    if (Array.isArray(branches)) for (const b of branches) if (isObject(b)) walk(b, value, at, out);
  }
  if (Array.isArray(value) && isObject(schema.items)) {
    const items = schema.items;
    value.forEach((v, i) => walk(items, v, `${at}/${i}`, out));
  }
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const patterns = isObject(schema.patternProperties) ? Object.entries(schema.patternProperties) : [];
    const additional = isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
    for (const [k, v] of Object.entries(value)) {
      const here = `${at}/${escapeToken(k)}`;
      const declared = properties[k];
      if (isObject(declared)) { walk(declared, v, here, out); continue; }
      let matched = false;
      for (const [pattern, s] of patterns) {
        if (isObject(s) && new RegExp(pattern, 'u').test(k)) { walk(s, v, here, out); matched = true; }
      }
      if (!matched && additional) walk(additional, v, here, out);
    }
  }
}

/** The value at a JSON pointer, or undefined. */
export function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let cur: unknown = root;
  for (const token of pointer.slice(1).split('/').map(unescapeToken)) {
    if (Array.isArray(cur)) cur = cur[Number(token)];
    else if (isObject(cur)) cur = Object.hasOwn(cur, token) ? cur[token] : undefined;
    else return undefined;
  }
  return cur;
}

/** A copy of `root` with the value at each pointer replaced by `replace(old, pointer)`. */
export function replaceAt(root: unknown, pointers: readonly string[], replace: (old: string, pointer: string) => string): unknown {
  if (pointers.length === 0) return root;
  const copy = structuredClone(root);
  for (const pointer of pointers) {
    const tokens = pointer.slice(1).split('/').map(unescapeToken);
    const last = tokens.pop()!;
    const parent = valueAt(copy, tokens.length === 0 ? '' : `/${tokens.map(escapeToken).join('/')}`);
    if (Array.isArray(parent)) parent[Number(last)] = replace(String(parent[Number(last)]), pointer);
    else if (isObject(parent)) parent[last] = replace(String(parent[last]), pointer);
  }
  return copy;
}

/** `config` with every secret shown as REDACTED. */
export function redactSecrets(schema: TSchema, config: unknown): unknown {
  return replaceAt(config, secretPaths(schema, config), () => REDACTED);
}
