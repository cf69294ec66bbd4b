// Verification keys and which algorithms each may verify. This is where algorithm confusion is
// made impossible: a shared secret only ever verifies HS tokens, and a public key only the
// asymmetric algorithms of its own type (RSA, the EC curve it is on, Ed25519). Keys are turned
// into node:crypto KeyObjects (or secret bytes) once, synchronously, when config or a JWKS is read.
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Algorithm } from './schema.ts';

export interface VerificationKey {
  readonly kid: string | undefined;
  /** A public KeyObject, or the bytes of an HS shared secret. */
  readonly key: KeyObject | Uint8Array;
  /** The algorithms (of those allowed for the issuer or all, for JWKS keys) this key may verify. */
  readonly algorithms: ReadonlySet<Algorithm>;
}

export const isSymmetric = (alg: Algorithm): boolean => alg.startsWith('HS');

/** RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. */
const HMAC_MIN_BYTES: Partial<Record<Algorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };
export const MIN_SECRET_BYTES = 32;

/** The algorithms of `candidates` that a public key of this type can verify. */
function algorithmsForPublicKey(key: KeyObject, candidates: readonly Algorithm[]): Algorithm[] {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  return candidates.filter((alg) => {
    if (alg.startsWith('RS')) return type === 'rsa' && (details.modulusLength ?? 0) >= 2048;
    if (alg.startsWith('PS')) return (type === 'rsa' || type === 'rsa-pss') && (details.modulusLength ?? 0) >= 2048;
    if (alg === 'ES256') return type === 'ec' && details.namedCurve === 'prime256v1';
    if (alg === 'ES384') return type === 'ec' && details.namedCurve === 'secp384r1';
    if (alg === 'EdDSA') return type === 'ed25519';
    return false;
  });
}

function algorithmsForSecret(secret: Uint8Array, candidates: readonly Algorithm[]): Algorithm[] {
  return candidates.filter((alg) => isSymmetric(alg) && secret.byteLength >= (HMAC_MIN_BYTES[alg] ?? Number.POSITIVE_INFINITY));
}

/** Members that only a private (or symmetric) JWK has. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

/**
 * A JWK's own restrictions: `use` must be "sig", `key_ops` must include "verify", and `alg`, when
 * present, narrows the key to that one algorithm. Returns the allowed subset or a reason.
 */
function jwkRestrictions(jwk: Record<string, unknown>, candidates: readonly Algorithm[]): readonly Algorithm[] | string {
  if (jwk.use !== undefined && jwk.use !== 'sig') return 'its "use" is not "sig"';
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return 'its "key_ops" do not include "verify"';
  if (jwk.alg !== undefined) return candidates.filter((a) => a === jwk.alg);
  return candidates;
}

const kidOf = (jwk: Record<string, unknown>): string | undefined => (typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : undefined);

/** A public asymmetric JWK as a verification key, or the reason it cannot be one. */
export function publicJwkKey(jwk: Record<string, unknown>, candidates: readonly Algorithm[]): VerificationKey | string {
  if (jwk.kty === 'oct') return 'a symmetric (oct) key is not a public key';
  if (PRIVATE_JWK_MEMBERS.some((m) => jwk[m] !== undefined)) return 'it is a private key: give the public key only';
  const allowed = jwkRestrictions(jwk, candidates);
  if (typeof allowed === 'string') return allowed;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return 'it is not a valid public JWK';
  }
  return { kid: kidOf(jwk), key, algorithms: new Set(algorithmsForPublicKey(key, allowed)) };
}

/** A static key from config (PEM, shared secret or JWK), checked against the issuer's algorithms. */
export function staticKey(raw: string | Record<string, unknown>, algorithms: readonly Algorithm[]): VerificationKey | string {
  const symmetric = algorithms.some(isSymmetric);
  let parsed: VerificationKey | string;
  if (typeof raw !== 'string') {
    if (raw.kty === 'oct') {
      if (!symmetric) return 'a symmetric (oct) key cannot verify asymmetric algorithms';
      const allowed = jwkRestrictions(raw, algorithms);
      if (typeof allowed === 'string') return allowed;
      if (typeof raw.k !== 'string' || !/^[A-Za-z0-9_-]+$/.test(raw.k)) return 'an oct JWK needs "k" (base64url)';
      parsed = secretKey(Buffer.from(raw.k, 'base64url'), kidOf(raw), allowed);
    } else {
      if (symmetric) return 'HS algorithms need a shared secret, not a public key';
      parsed = publicJwkKey(raw, algorithms);
    }
  } else if (raw.trimStart().startsWith('-----BEGIN')) {
    if (symmetric) return 'HS algorithms need a shared secret, not a PEM key';
    if (/PRIVATE KEY-----/.test(raw)) return 'a private key: give the public key only';
    try {
      const key = createPublicKey(raw);
      parsed = { kid: undefined, key, algorithms: new Set(algorithmsForPublicKey(key, algorithms)) };
    } catch {
      return 'not a valid PEM public key';
    }
  } else {
    if (!symmetric) return 'not a PEM public key (a plain string is a shared secret, for HS algorithms only)';
    // Someone's public key pasted as the secret would let anyone who has it mint tokens.
    if (looksLikeJwk(raw)) return 'this looks like a JWK: a shared secret must be a secret string, or an oct JWK object';
    parsed = secretKey(Buffer.from(raw, 'utf8'), undefined, algorithms);
  }
  if (typeof parsed === 'string') return parsed;
  if (parsed.algorithms.size === 0) return `fits none of the algorithms ${algorithms.join(', ')}`;
  return parsed;
}

function looksLikeJwk(raw: string): boolean {
  if (!raw.trimStart().startsWith('{')) return false;
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'object' && v !== null && 'kty' in v;
  } catch {
    return false;
  }
}

function secretKey(secret: Buffer, kid: string | undefined, algorithms: readonly Algorithm[]): VerificationKey | string {
  if (secret.byteLength < MIN_SECRET_BYTES) return `a shared secret must be at least ${MIN_SECRET_BYTES} bytes`;
  return { kid, key: new Uint8Array(secret), algorithms: new Set(algorithmsForSecret(secret, algorithms)) };
}

/** The keys that may verify a token signed with `alg` (and naming `kid`, if it does). */
export function candidateKeys(keys: readonly VerificationKey[], alg: Algorithm, kid: string | undefined): VerificationKey[] {
  return keys.filter((k) => k.algorithms.has(alg) && (kid === undefined || k.kid === kid));
}
