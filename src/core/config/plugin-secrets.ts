// Where plugin secrets sit in a config document or a stored plugin entity, and how one is sealed
// at rest: AES-256-GCM under the node's master key (core/identity/sealed.ts), bound to its place
// (entity id + JSON pointer), with the key's fingerprint in front so that a node holding another
// key says so instead of failing on a tag mismatch. A stored value that is not a sealed string is
// plaintext (rows written before sealing existed); it is sealed on its next write.
import type { PluginCatalog } from '../pipeline/compile.ts';
import { SealError, seal, unseal, type MasterKey } from '../identity/sealed.ts';
import { REDACTED, replaceAt, secretPaths, valueAt } from './secret-fields.ts';

const SEALED_PREFIX = 'sealed:';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A secret that does not open: names the place, never the value. */
export class SecretOpenError extends Error {
  readonly pointer: string;
  constructor(pointer: string, reason: string) {
    super(reason);
    this.pointer = pointer;
  }
}

export function isSealedValue(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith(SEALED_PREFIX);
}

/** `sealed:<fingerprint>:<v1.…>` */
export function sealValue(master: MasterKey, plaintext: string, context: string): string {
  return `${SEALED_PREFIX}${master.fingerprint}:${seal(master.key, plaintext, context)}`;
}

/** The plaintext of a stored value (a value that is not sealed is plaintext already). */
export function openValue(master: MasterKey, stored: string, context: string): string {
  if (!isSealedValue(stored)) return stored;
  const rest = stored.slice(SEALED_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon < 0) throw new SealError('a damaged sealed value');
  const fingerprint = rest.slice(0, colon);
  if (fingerprint !== master.fingerprint) {
    throw new SealError(`it was sealed with another master key (fingerprint ${fingerprint}; this node's is ${master.fingerprint}): give this node the master key that sealed it (PORTCULLIS_SECRET_KEY, or secret.key in its state directory)`);
  }
  return unseal(master.key, rest.slice(colon + 1), context);
}

/** Pointers of the secrets in one plugin instance (`{ name, config, … }`), under `base`. */
export function instanceSecretPaths(catalog: PluginCatalog, instance: unknown, base = ''): string[] {
  if (!isObject(instance) || typeof instance.name !== 'string') return [];
  const plugin = catalog.get(instance.name);
  if (!plugin || instance.config === undefined) return [];
  return secretPaths(plugin.configSchema, instance.config, `${base}/config`);
}

/** Pointers of every plugin secret in a config document (global, service and route plugins). */
export function documentSecretPaths(catalog: PluginCatalog, doc: unknown): string[] {
  if (!isObject(doc)) return [];
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const out: string[] = [];
  const plugins = (v: unknown, base: string) => list(v).forEach((inst, i) => out.push(...instanceSecretPaths(catalog, inst, `${base}/${i}`)));
  plugins(doc.plugins, '/plugins');
  for (const section of ['services', 'routes'] as const) list(doc[section]).forEach((owner, i) => { if (isObject(owner)) plugins(owner.plugins, `/${section}/${i}/plugins`); });
  return out;
}

/** Every secret shown as REDACTED (no key needed: sealed or plaintext, nothing comes out). */
export function redactAt<T>(value: T, pointers: readonly string[]): T {
  return replaceAt(value, pointers, () => REDACTED) as T;
}

/** Every plaintext secret sealed, bound to `context + pointer`; already sealed values are kept. */
export function sealAt<T>(master: MasterKey, value: T, pointers: readonly string[], context: string): T {
  return replaceAt(value, pointers, (v, p) => (isSealedValue(v) ? v : sealValue(master, v, `${context}${p}`))) as T;
}

/** Every sealed secret opened; the first that does not open throws SecretOpenError naming its pointer. */
export function openAt<T>(master: MasterKey, value: T, pointers: readonly string[], context: string): T {
  return replaceAt(value, pointers, (v, p) => {
    try {
      return openValue(master, v, `${context}${p}`);
    } catch (err) {
      if (err instanceof SealError) throw new SecretOpenError(p, err.message);
      throw err;
    }
  }) as T;
}

/**
 * A written value with REDACTED at secret places: each marker takes the secret `current` holds at
 * the same pointer (opened). Returns the pointers of markers with nothing to stand for.
 */
export function resolveMarkers<T>(value: T, pointers: readonly string[], current: unknown): { value: T; unresolved: string[] } {
  const unresolved: string[] = [];
  const markers = pointers.filter((p) => valueAt(value, p) === REDACTED);
  const resolved = replaceAt(value, markers, (_v, p) => {
    const kept = valueAt(current, p);
    if (typeof kept === 'string' && kept !== REDACTED) return kept;
    unresolved.push(p);
    return REDACTED;
  }) as T;
  return { value: resolved, unresolved };
}

/** `/config/secrets/0` → `config.secrets[0]` (for messages). */
export function describeSecretPointer(pointer: string): string {
  return pointer.slice(1).split('/').map((t, i) => (/^\d+$/.test(t) ? `[${t}]` : `${i === 0 ? '' : '.'}${t.replace(/~1/g, '/').replace(/~0/g, '~')}`)).join('');
}
