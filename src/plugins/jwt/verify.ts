// Token verification. The (unverified) `iss` only chooses which issuer's rules and keys apply;
// the signature is then checked with that issuer's keys alone, with `alg` from its allow-list,
// and the claims by jose (iss, aud, exp, nbf, iat age, required claims) with the clock skew.
// Every failure is a reason code for debugging, never the token or its claims.
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { candidateKeys, type VerificationKey } from './keys.ts';
import type { JwksSource, FetchWarning } from './jwks.ts';
import type { Algorithm } from './schema.ts';

/** Larger tokens are refused before any parsing. */
export const MAX_TOKEN_BYTES = 8192;

export interface CompiledIssuer {
  readonly issuer: string;
  readonly audiences: readonly string[] | undefined;
  readonly algorithms: ReadonlySet<Algorithm>;
  readonly staticKeys: readonly VerificationKey[];
  readonly jwks: JwksSource | undefined;
  readonly consumerClaim: string;
  readonly consumerBy: 'name' | 'custom_id';
  readonly clockSkewSeconds: number;
  readonly maxTokenAgeSeconds: number | undefined;
  readonly requiredClaims: readonly string[] | undefined;
}

export type Verified = { readonly ok: true; readonly issuer: CompiledIssuer; readonly claims: JWTPayload; readonly key: VerificationKey };
export type Rejected = { readonly ok: false; readonly reason: string };

const reject = (reason: string): Rejected => ({ ok: false, reason });

/** Three base64url segments, the signature not empty (an unsigned token has none). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export async function verifyToken(token: string, issuers: ReadonlyMap<string, CompiledIssuer>, nowMs: number, warn?: FetchWarning): Promise<Verified | Rejected> {
  if (token.length > MAX_TOKEN_BYTES) return reject('token too large');
  if (!COMPACT_JWS.test(token)) return reject('malformed token');
  let alg: unknown;
  let kid: unknown;
  let iss: unknown;
  try {
    ({ alg, kid } = decodeProtectedHeader(token));
    ({ iss } = decodeJwt(token));
  } catch {
    return reject('malformed token');
  }
  if (typeof iss !== 'string') return reject('no iss');
  const issuer = issuers.get(iss);
  if (!issuer) return reject('unknown issuer');
  // `none` is never in an allow-list (the schema has no such value); checked here regardless.
  if (typeof alg !== 'string' || alg === 'none' || !issuer.algorithms.has(alg as Algorithm)) return reject('algorithm not allowed');
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) return reject('malformed kid');

  const keys = await keysFor(issuer, alg as Algorithm, kid, warn);
  if (keys.length === 0) return reject(kid === undefined ? 'no key for this algorithm' : 'unknown kid');
  const nowSeconds = Math.floor(nowMs / 1000);
  for (const candidate of keys) {
    try {
      const { payload } = await jwtVerify(token, candidate.key, {
        algorithms: [alg],
        issuer: issuer.issuer,
        ...(issuer.audiences ? { audience: [...issuer.audiences] } : {}),
        clockTolerance: issuer.clockSkewSeconds,
        ...(issuer.maxTokenAgeSeconds !== undefined ? { maxTokenAge: issuer.maxTokenAgeSeconds } : {}),
        ...(issuer.requiredClaims ? { requiredClaims: [...issuer.requiredClaims] } : {}),
        currentDate: new Date(nowMs),
      });
      // jose checks that iat is not in the future only when a maximum age is set.
      if (typeof payload.iat === 'number' && payload.iat > nowSeconds + issuer.clockSkewSeconds) return reject('iat in the future');
      return { ok: true, issuer, claims: payload, key: candidate };
    } catch (err) {
      // A signature that does not match this key may match the next; anything else (a claim
      // check, a malformed part) is about the token, and no other key changes that.
      if (err instanceof errors.JWSSignatureVerificationFailed) continue;
      return reject(reasonOf(err));
    }
  }
  return reject('bad signature');
}

/** With a kid, only the keys of that kid; without, every key of the issuer that fits `alg`. */
async function keysFor(issuer: CompiledIssuer, alg: Algorithm, kid: string | undefined, warn: FetchWarning | undefined): Promise<VerificationKey[]> {
  const found = candidateKeys(issuer.staticKeys, alg, kid);
  if (!issuer.jwks) return found;
  const { keys, fresh } = await issuer.jwks.keys(warn);
  const remote = candidateKeys(keys, alg, kid);
  if (remote.length > 0 || kid === undefined || found.length > 0 || fresh) return [...found, ...remote];
  // An unknown kid: the issuer may have rotated its keys since the last fetch.
  return candidateKeys(await issuer.jwks.keysAfterUnknownKid(warn), alg, kid);
}

function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return `expired (${err.claim})`;
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim} ${err.reason}`;
  if (err instanceof errors.JOSEError) return err.code;
  // jose answers some key problems with a TypeError (e.g. an RSA key under 2048 bits).
  return 'unusable key';
}
