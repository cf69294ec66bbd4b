// Where the secrets of a config sit (plugin instances' marked fields, the password in
// gateway.redis.url) in a config document, a stored plugin entity or the stored gateway settings,
// and how one is sealed at rest: AES-256-GCM under the node's master key (core/identity/sealed.ts),
// bound to its place (entity id + JSON pointer), with the key's fingerprint in front so that a
// node holding another key says so instead of failing on a tag mismatch. A stored value that is
// not a sealed string is plaintext (rows written before sealing existed, or before the field was
// a secret); a node seals those at start (ConfigService.sealSecretsInClear) and on any write.
import type { PluginCatalog } from '../pipeline/compile.ts';
import { SealError, seal, unseal, type MasterKey } from '../identity/sealed.ts';
import { GatewaySettingsSchema } from './schema.ts';
import { REDACTED, replaceSecrets, secretPlaces, secretsIn, valueAt, type SecretPlace } from './secret-fields.ts';

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

/** Places of the secrets in one plugin instance (`{ name, config, … }`), under `base`. */
export function instanceSecretPlaces(catalog: PluginCatalog, instance: unknown, base = ''): SecretPlace[] {
  if (!isObject(instance) || typeof instance.name !== 'string') return [];
  const plugin = catalog.get(instance.name);
  if (!plugin || instance.config === undefined) return [];
  return secretPlaces(plugin.configSchema, instance.config, `${base}/config`);
}

/** Places of the secrets in the gateway settings (`gateway` of a document, the stored settings), under `base`. */
export function settingsSecretPlaces(settings: unknown, base = ''): SecretPlace[] {
  return isObject(settings) ? secretPlaces(GatewaySettingsSchema, settings, base) : [];
}

/** Places of every secret in a config document: gateway settings, global, service and route plugins. */
export function documentSecretPlaces(catalog: PluginCatalog, doc: unknown): SecretPlace[] {
  if (!isObject(doc)) return [];
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const out: SecretPlace[] = [...settingsSecretPlaces(doc.gateway, '/gateway')];
  const plugins = (v: unknown, base: string) => list(v).forEach((inst, i) => out.push(...instanceSecretPlaces(catalog, inst, `${base}/${i}`)));
  plugins(doc.plugins, '/plugins');
  for (const section of ['services', 'routes'] as const) list(doc[section]).forEach((owner, i) => { if (isObject(owner)) plugins(owner.plugins, `/${section}/${i}/plugins`); });
  return out;
}

/** True when some secret at `places` in `value` is stored sealed. */
export function holdsSealed(value: unknown, places: readonly SecretPlace[]): boolean {
  return places.some((p) => secretsIn(valueAt(value, p.pointer), p.kind).some((s) => isSealedValue(s.text)));
}

/** Every secret shown as REDACTED (no key needed: sealed or plaintext, nothing comes out). */
export function redactAt<T>(value: T, places: readonly SecretPlace[]): T {
  return replaceSecrets(value, places, () => REDACTED) as T;
}

/** Every plaintext secret sealed, bound to `context + pointer`; already sealed values are kept. */
export function sealAt<T>(master: MasterKey, value: T, places: readonly SecretPlace[], context: string): T {
  return replaceSecrets(value, places, (v, p) => (isSealedValue(v) ? v : sealValue(master, v, `${context}${p.pointer}`))) as T;
}

/** Every sealed secret opened; the first that does not open throws SecretOpenError naming its pointer. */
export function openAt<T>(master: MasterKey, value: T, places: readonly SecretPlace[], context: string): T {
  return replaceSecrets(value, places, (v, p) => {
    try {
      return openValue(master, v, `${context}${p.pointer}`);
    } catch (err) {
      if (err instanceof SealError) throw new SecretOpenError(p.pointer, err.message);
      throw err;
    }
  }) as T;
}

/**
 * A written value with REDACTED at secret places: each marker takes the secret `current` holds at
 * the same place (opened; in a URL, the password in the same part of it). Returns the pointers of
 * markers with nothing to stand for.
 */
export function resolveMarkers<T>(value: T, places: readonly SecretPlace[], current: unknown): { value: T; unresolved: string[] } {
  const unresolved = new Set<string>();
  const markers = places.filter((p) => secretsIn(valueAt(value, p.pointer), p.kind).some((s) => s.text === REDACTED));
  const resolved = replaceSecrets(value, markers, (secret, place, role) => {
    if (secret !== REDACTED) return secret;
    const kept = secretsIn(valueAt(current, place.pointer), place.kind).find((s) => s.role === role)?.text;
    if (kept !== undefined && kept !== REDACTED) return kept;
    unresolved.add(place.pointer);
    return REDACTED;
  }) as T;
  return { value: resolved, unresolved: [...unresolved] };
}

/** `/config/secrets/0` → `config.secrets[0]` (for messages). */
export function describeSecretPointer(pointer: string): string {
  return pointer.slice(1).split('/').map((t, i) => (/^\d+$/.test(t) ? `[${t}]` : `${i === 0 ? '' : '.'}${t.replace(/~1/g, '/').replace(/~0/g, '~')}`)).join('');
}
