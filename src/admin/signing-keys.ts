// The built-in OAuth2 server's signing keys: made, rotated on schedule and pruned here, by
// whichever node holds the store (several nodes may try at once: the work is re-checked under the
// config write lock, so one key is made). Private keys are sealed under the master key before they
// are written; gateways get them opened, in memory, through the snapshot.
import type { JsonWebKey } from 'node:crypto';
import type { OAuth2ServerSettings } from '../core/config/schema.ts';
import { seal, SealError, unseal, type MasterKey } from '../core/identity/sealed.ts';
import { generateSigningKey, SIGNING_ALGORITHMS, type RevokedTokenRecord, type SigningAlgorithm, type SigningKeyMaterial } from '../core/identity/token-issuer.ts';
import type { Store, StoreSession } from '../store/ports.ts';
import type { SigningKeyRow } from '../store/schema.ts';

/** A new scheduled key is published this long before it signs, so every node knows it first. */
export const PUBLISH_AHEAD_MS = 10 * 60_000;
/** The next key is made when the current one has less than this left. */
export const ROTATE_AHEAD_MS = 20 * 60_000;
/** Longest token lifetime (the settings' maximum) plus margin: how long a retired key stays published. */
const RETIRED_KEY_PUBLISHED_MS = 86_400_000 + 10 * 60_000;
const DAY_MS = 86_400_000;

export interface KeyPlan {
  /** A key to make, and from when it signs. */
  readonly create?: { readonly signFrom: number; readonly reason: string };
}

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (text: string) => Date.parse(text);

/** The key that signs at `now`: the newest whose sign_from has passed. */
export function currentKey<K extends Pick<SigningKeyRow, 'sign_from'>>(keys: readonly K[], now: number): K | undefined {
  let best: K | undefined;
  for (const k of keys) if (ms(k.sign_from) <= now && (!best || ms(k.sign_from) > ms(best.sign_from))) best = k;
  return best;
}

/** What maintenance must do with these keys (pure: the tests drive it with a clock). */
export function planKeys(keys: readonly SigningKeyRow[], settings: OAuth2ServerSettings, now: number): KeyPlan {
  const live = keys.filter((k) => ms(k.publish_until) > now);
  // A key on its way counts even when none signs yet: another node may have made the first key
  // a moment "after" our clock reading (taken before we waited for the write lock).
  if (live.some((k) => ms(k.sign_from) > now)) return {};
  const current = currentKey(live, now);
  if (!current) return { create: { signFrom: now, reason: 'no signing key' } };
  if (current.alg !== settings.algorithm) return { create: { signFrom: now + PUBLISH_AHEAD_MS, reason: `algorithm changed to ${settings.algorithm}` } };
  if (ms(current.sign_until) - now < ROTATE_AHEAD_MS) return { create: { signFrom: now + PUBLISH_AHEAD_MS, reason: 'scheduled rotation' } };
  return {};
}

export interface KeyMaterial {
  readonly keys: SigningKeyMaterial[];
  readonly revoked: RevokedTokenRecord[];
  /** Why this node cannot sign (its master key does not open the current key). */
  readonly problem?: string;
}

export class SigningKeys {
  readonly #store: Store;
  readonly #master: MasterKey;

  constructor(store: Store, master: MasterKey) {
    this.#store = store;
    this.#master = master;
  }

  get fingerprint(): string { return this.#master.fingerprint; }

  /**
   * Makes a key when none can sign, rotates on schedule, forgets keys and revocations past their
   * time. Writes (and bumps the revision) only when there is something to do; returns what it did.
   */
  async maintain(settings: OAuth2ServerSettings, now = Date.now()): Promise<string[]> {
    const read = this.#store.read();
    const keys = await read.listSigningKeys();
    const revoked = await read.listRevokedTokens();
    const due = settings.enabled ? planKeys(keys, settings, now).create : undefined;
    const stale = keys.some((k) => ms(k.publish_until) <= now) || revoked.some((r) => ms(r.expires_at) <= now);
    if (!due && !stale) return [];
    return this.#store.write(async (tx) => {
      const done: string[] = [];
      const pruned = await tx.deleteSigningKeysUnpublishedAt(iso(now));
      if (pruned > 0) done.push(`removed ${pruned} retired signing key(s)`);
      const forgotten = await tx.deleteRevokedTokensExpiredAt(iso(now));
      if (forgotten > 0) done.push(`forgot ${forgotten} expired revocation(s)`);
      // Again under the write lock: another node may have made the key meanwhile.
      const plan = settings.enabled ? planKeys(await tx.listSigningKeys(), settings, now).create : undefined;
      if (plan) {
        const row = await this.#newKey(tx, settings, plan.signFrom);
        await tx.appendAudit({ actor: 'system', action: 'create', entity: 'signing-key', entity_id: row.kid, entity_key: row.kid, before: null, after: JSON.stringify(present(row)), request_id: null });
        done.push(`new signing key ${row.kid} (${plan.reason})`);
      }
      return done;
    }, { bump: true });
  }

  /**
   * Rotation by hand: a new key signs from now on. With `retirePrevious`, every older key is
   * unpublished at once, so their tokens stop working (a key that may have leaked).
   */
  async rotate(settings: OAuth2ServerSettings, opts: { retirePrevious: boolean; actor: string; requestId?: string }, now = Date.now()): Promise<SigningKeyRow> {
    return this.#store.write(async (tx) => {
      const before = await tx.listSigningKeys();
      for (const k of before) {
        if (opts.retirePrevious) await tx.updateSigningKey(k.kid, { sign_until: iso(now), publish_until: iso(now) });
        else if (ms(k.sign_until) > now) await tx.updateSigningKey(k.kid, { sign_until: iso(now), publish_until: iso(Math.min(ms(k.publish_until), now + RETIRED_KEY_PUBLISHED_MS)) });
      }
      if (opts.retirePrevious) await tx.deleteSigningKeysUnpublishedAt(iso(now));
      const row = await this.#newKey(tx, settings, now);
      await tx.appendAudit({
        actor: opts.actor, action: opts.retirePrevious ? 'rotate-and-retire' : 'rotate', entity: 'signing-key', entity_id: row.kid, entity_key: row.kid,
        before: JSON.stringify(before.map(present)), after: JSON.stringify(present(row)), request_id: opts.requestId ?? null,
      });
      return row;
    }, { bump: true });
  }

  async #newKey(tx: StoreSession, settings: OAuth2ServerSettings, signFrom: number): Promise<SigningKeyRow> {
    const alg: SigningAlgorithm = settings.algorithm;
    const { kid, publicJwk, privateJwk } = await generateSigningKey(alg);
    const signUntil = signFrom + settings.key_rotation_days * DAY_MS;
    const row: SigningKeyRow = {
      kid, alg, public_jwk: JSON.stringify(publicJwk),
      private_sealed: seal(this.#master.key, JSON.stringify(privateJwk), `signing-key:${kid}`),
      sealed_with: this.#master.fingerprint,
      created_at: iso(Date.now()), sign_from: iso(signFrom), sign_until: iso(signUntil), publish_until: iso(signUntil + RETIRED_KEY_PUBLISHED_MS),
    };
    await tx.insertSigningKey(row);
    return row;
  }

  /**
   * What a gateway needs, from stored rows (the store's or the last-known-good file's): every
   * published key's public half, the private half of the keys that sign now or later (opened
   * here, kept in memory only), and the live revocations.
   */
  open(rows: readonly SigningKeyRow[], revoked: readonly RevokedTokenRecord[], now = Date.now()): KeyMaterial {
    const live = rows.filter((k) => ms(k.publish_until) > now && isAlgorithm(k.alg));
    const current = currentKey(live, now);
    let problem: string | undefined;
    const keys = live.map((k): SigningKeyMaterial => {
      const base = { kid: k.kid, alg: k.alg as SigningAlgorithm, public_jwk: JSON.parse(k.public_jwk) as JsonWebKey, sign_from: k.sign_from, sign_until: k.sign_until, publish_until: k.publish_until };
      if (current && ms(k.sign_from) < ms(current.sign_from)) return base; // retired: verifies only
      if (k.sealed_with !== this.#master.fingerprint) {
        problem = `signing key ${k.kid} was sealed with master key ${k.sealed_with}, but this node has ${this.#master.fingerprint}: give every node the same PORTCULLIS_SECRET_KEY`;
        return base;
      }
      try {
        return { ...base, private_jwk: JSON.parse(unseal(this.#master.key, k.private_sealed, `signing-key:${k.kid}`)) as JsonWebKey };
      } catch (err) {
        problem = `signing key ${k.kid} cannot be opened: ${err instanceof SealError ? err.message : 'damaged'}`;
        return base;
      }
    });
    return { keys, revoked: revoked.filter((r) => ms(r.expires_at) > now).map((r) => ({ jti: r.jti, expires_at: r.expires_at })), ...(problem ? { problem } : {}) };
  }
}

/** RFC 7009: records a revoked access token; every node stops accepting it with its next snapshot. */
export async function recordRevocation(store: Store, token: { jti: string; client_id: string; expires_at: string }): Promise<void> {
  await store.write(async (tx) => {
    const fresh = await tx.insertRevokedToken({ ...token, revoked_at: new Date().toISOString() });
    if (fresh) await tx.appendAudit({ actor: `oauth2-client:${token.client_id}`, action: 'revoke', entity: 'access-token', entity_id: token.jti, entity_key: token.client_id, before: null, after: JSON.stringify({ jti: token.jti, expires_at: token.expires_at }), request_id: null });
  }, { bump: true });
}

const isAlgorithm = (alg: string): alg is SigningAlgorithm => (SIGNING_ALGORITHMS as readonly string[]).includes(alg);

/** A key as the admin API and the audit log show it: never its private half. */
export function present(k: SigningKeyRow): Record<string, unknown> {
  return { kid: k.kid, alg: k.alg, public_jwk: JSON.parse(k.public_jwk) as unknown, sealed_with: k.sealed_with, created_at: k.created_at, sign_from: k.sign_from, sign_until: k.sign_until, publish_until: k.publish_until };
}
