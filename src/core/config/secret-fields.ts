// Secret fields of configs (a webhook signing secret, an OAuth2 client secret, a WS-Security
// password, the password in gateway.redis.url): marked once in the schema, found in any config
// value by one walker. The store seals what the walker finds and the admin API shows it as
// REDACTED, so a new field only has to be marked. Pure: no keys, no store.
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
 * `'url-password'`: a URL whose password is the secret (the userinfo password and any `password`
 * query parameter, which Redis clients read too); the rest of the URL stays readable. A value that
 * does not parse as a URL is a secret whole (where its password is cannot be told).
 */
export type SecretKind = true | 'unless-pem' | 'url-password';

/** A string field holding a credential. */
export function SecretString(options: TStringOptions = {}, kind: SecretKind = true) {
  return Type.String({ ...options, [SECRET_MARK]: kind });
}

/** Where a secret is: the string at `pointer` (JSON pointer), read as its kind says. */
export interface SecretPlace {
  readonly pointer: string;
  readonly kind: SecretKind;
}

/** One secret inside the string at a place: its role there ("" for the whole string) and its text. */
interface Span {
  readonly role: string;
  readonly start: number;
  readonly end: number;
}

const URL_START = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * The passwords in a URL, as the raw (still percent-encoded) text between its delimiters, so that
 * replacing one and putting it back gives the very same string. The delimiters are those of the
 * WHATWG parser that Redis clients use: the authority ends at the first "/", "?" or "#", the
 * userinfo at its last "@", the username at the first ":" of the userinfo.
 */
function urlPasswordSpans(url: string): Span[] | undefined {
  const scheme = URL_START.exec(url);
  if (!scheme || !URL.canParse(url)) return undefined;
  const spans: Span[] = [];
  const authStart = scheme[0].length;
  const rest = url.slice(authStart).search(/[/?#]/);
  const authEnd = rest < 0 ? url.length : authStart + rest;
  const at = url.lastIndexOf('@', authEnd - 1);
  if (at >= authStart) {
    const colon = url.indexOf(':', authStart);
    if (colon >= 0 && colon + 1 < at) spans.push({ role: 'userinfo', start: colon + 1, end: at });
  }
  const hash = url.indexOf('#', authEnd);
  const queryEnd = hash < 0 ? url.length : hash;
  const question = url.indexOf('?', authEnd);
  if (question >= 0 && question < queryEnd) {
    let start = question + 1;
    let n = 0;
    for (const pair of url.slice(question + 1, queryEnd).split('&')) {
      const eq = pair.indexOf('=');
      // The name as the client reads it (percent and "+" decoding included).
      const name = [...new URLSearchParams(eq < 0 ? pair : pair.slice(0, eq)).keys()][0];
      if (name === 'password' && eq >= 0 && eq + 1 < pair.length) spans.push({ role: `query:${n++}`, start: start + eq + 1, end: start + pair.length });
      start += pair.length + 1;
    }
  }
  return spans;
}

function spansOf(value: string, kind: SecretKind): Span[] {
  if (kind === 'url-password') {
    const spans = urlPasswordSpans(value);
    if (spans !== undefined) return spans;
  }
  return [{ role: '', start: 0, end: value.length }];
}

/** The secrets in `value`, a string at a place of `kind`, each with its role there. */
export function secretsIn(value: unknown, kind: SecretKind): { role: string; text: string }[] {
  if (typeof value !== 'string') return [];
  return spansOf(value, kind).map((s) => ({ role: s.role, text: value.slice(s.start, s.end) }));
}

/** `value` with each secret in it replaced by `replace(secret, role)`. */
export function replaceSecretsIn(value: string, kind: SecretKind, replace: (secret: string, role: string) => string): string {
  let out = '';
  let from = 0;
  for (const s of spansOf(value, kind)) {
    out += value.slice(from, s.start) + replace(value.slice(s.start, s.end), s.role);
    from = s.end;
  }
  return out + value.slice(from);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

const escapeToken = (t: string) => t.replace(/~/g, '~0').replace(/\//g, '~1');
const unescapeToken = (t: string) => t.replace(/~1/g, '/').replace(/~0/g, '~');

function markOf(schema: Json, value: string): SecretKind | undefined {
  const kind = schema[SECRET_MARK] as SecretKind | undefined;
  return kind !== undefined && marks(kind, value) ? kind : undefined;
}

function marks(kind: SecretKind, value: string): boolean {
  if (kind === true) return true;
  if (kind === 'unless-pem') return !value.trimStart().startsWith('-----BEGIN ');
  if (kind === 'url-password') return spansOf(value, kind).length > 0;
  return false;
}

/**
 * The places (JSON pointers relative to `value`, under `base`) of every string that `schema`
 * marks as a secret. Walks the value and the schema together, so arrays, records and unions (each
 * branch the value could be) are covered. Unknown shapes yield nothing rather than throwing: the
 * schema check reports them.
 */
export function secretPlaces(schema: TSchema, value: unknown, base = ''): SecretPlace[] {
  const out = new Map<string, SecretPlace>();
  walk(schema as unknown as Json, value, base, out);
  return [...out.values()];
}

function walk(schema: Json, value: unknown, at: string, out: Map<string, SecretPlace>): void {
  const kind = typeof value === 'string' ? markOf(schema, value) : undefined;
  if (kind !== undefined && !out.has(at)) out.set(at, { pointer: at, kind });
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

/**
 * A copy of `root` with each secret at `places` replaced by `replace(secret, place, role)`: the
 * whole string, or for a URL each password in it.
 */
export function replaceSecrets(root: unknown, places: readonly SecretPlace[], replace: (secret: string, place: SecretPlace, role: string) => string): unknown {
  if (places.length === 0) return root;
  const copy = structuredClone(root);
  for (const place of places) {
    const tokens = place.pointer.slice(1).split('/').map(unescapeToken);
    const last = tokens.pop()!;
    const parent = valueAt(copy, tokens.length === 0 ? '' : `/${tokens.map(escapeToken).join('/')}`);
    const swap = (old: unknown) => replaceSecretsIn(String(old), place.kind, (secret, role) => replace(secret, place, role));
    if (Array.isArray(parent)) parent[Number(last)] = swap(parent[Number(last)]);
    else if (isObject(parent)) parent[last] = swap(parent[last]);
  }
  return copy;
}

/** `config` with every secret shown as REDACTED. */
export function redactSecrets(schema: TSchema, config: unknown): unknown {
  return replaceSecrets(config, secretPlaces(schema, config), () => REDACTED);
}
