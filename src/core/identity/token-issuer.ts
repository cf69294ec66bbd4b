// The built-in OAuth2 server's tokens: JWT access tokens in the RFC 9068 profile, signed with the
// current signing key and verified against every key still published. Compiled into each snapshot
// from the keys and revocations the store holds, so issuing and checking a token never touches a
// database. Private keys arrive here only in memory (the store keeps them sealed).
import { createPrivateKey, createPublicKey, generateKeyPair, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { OAuth2ServerSettings } from '../config/schema.ts';

export const SIGNING_ALGORITHMS = ['ES256', 'RS256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** RFC 9068 §2.1: the media type of a JWT access token, in its `typ` header. */
export const ACCESS_TOKEN_TYP = 'at+jwt';
/** Leeway for exp/nbf/iat between the nodes that issue and those that verify. */
const CLOCK_SKEW_SECONDS = 30;
const MAX_TOKEN_CHARS = 8192;

/** A signing key as the store keeps it (timestamps ISO 8601); `private_jwk` only ever in memory. */
export interface SigningKeyMaterial {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly public_jwk: JsonWebKey;
  readonly private_jwk?: JsonWebKey;
  /** Tokens are signed with the newest key whose sign_from has passed. */
  readonly sign_from: string;
  /** When the next key should take over (rotation). */
  readonly sign_until: string;
  /** Until then the public key is published and verifies tokens. */
  readonly publish_until: string;
}

export interface RevokedTokenRecord {
  readonly jti: string;
  readonly expires_at: string;
}

interface CompiledKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly publicJwk: JsonWebKey;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject | undefined;
  readonly signFrom: number;
  readonly publishUntil: number;
}

export interface IssuedToken {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly jti: string;
  readonly scope: string;
}

/** A verified access token's claims (RFC 9068 §2.2). */
export interface AccessTokenClaims extends JWTPayload {
  readonly client_id: string;
  readonly jti: string;
  readonly exp: number;
  readonly scope?: string;
}

export interface TokenIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** Path prefix of the endpoints on the proxy port. */
  readonly path: string;
  /** RFC 8414 §3: the well-known metadata path, with the issuer's own path appended. */
  readonly metadataPath: string;
  /** Scopes this server grants ([] = any the client is allowed). */
  readonly scopes: readonly string[];
  /** The public keys verifiers should know at `now` (RFC 7517 JWK Set members). */
  jwks(nowMs: number): JsonWebKey[];
  /** A token, or undefined when no key can sign (a node whose master key cannot open the store's keys). */
  issue(clientId: string, scope: readonly string[], nowMs: number): Promise<IssuedToken | undefined>;
  verify(token: string, nowMs: number): Promise<TokenCheck>;
}

/** The claims of a valid, unrevoked token from this server, or the reason it is not one. */
export type TokenCheck = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: string };

const METADATA_PATH = '/.well-known/oauth-authorization-server';

function compileKey(k: SigningKeyMaterial): CompiledKey | undefined {
  try {
    return {
      kid: k.kid,
      alg: k.alg,
      publicJwk: Object.freeze({ ...k.public_jwk, kid: k.kid, alg: k.alg, use: 'sig' }),
      publicKey: createPublicKey({ key: k.public_jwk, format: 'jwk' }),
      privateKey: k.private_jwk ? createPrivateKey({ key: k.private_jwk, format: 'jwk' }) : undefined,
      signFrom: Date.parse(k.sign_from),
      publishUntil: Date.parse(k.publish_until),
    };
  } catch {
    return undefined; // a damaged row: left out rather than failing the whole snapshot
  }
}

export function compileTokenIssuer(settings: OAuth2ServerSettings | undefined, keys: readonly SigningKeyMaterial[], revoked: readonly RevokedTokenRecord[]): TokenIssuer | undefined {
  if (!settings?.enabled || settings.issuer === undefined) return undefined;
  const issuer = settings.issuer;
  const audience = settings.audience ?? issuer;
  // Newest first: the signer is the first whose time has come.
  const compiled = keys.map(compileKey).filter((k): k is CompiledKey => k !== undefined).sort((a, b) => b.signFrom - a.signFrom);
  const byKid = new Map(compiled.map((k) => [k.kid, k]));
  const revokedJtis = new Set(revoked.map((r) => r.jti));
  const published = (k: CompiledKey, now: number) => now < k.publishUntil;
  const signer = (now: number) => compiled.find((k) => k.privateKey !== undefined && k.signFrom <= now && published(k, now));

  return {
    issuer,
    audience,
    path: settings.path,
    metadataPath: METADATA_PATH + new URL(issuer).pathname.replace(/\/+$/, ''),
    scopes: settings.scopes,
    jwks: (now) => compiled.filter((k) => published(k, now)).map((k) => k.publicJwk),

    async issue(clientId, scope, now) {
      const key = signer(now);
      if (!key) return undefined;
      const jti = randomUUID();
      const iat = Math.floor(now / 1000);
      const claims: JWTPayload = { client_id: clientId, jti, ...(scope.length > 0 ? { scope: scope.join(' ') } : {}) };
      const accessToken = await new SignJWT(claims)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYP })
        .setIssuer(issuer)
        .setSubject(clientId) // RFC 9068 §2.2: no resource owner in this grant, so the client
        .setAudience(audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + settings.token_ttl_seconds)
        .sign(key.privateKey!);
      return { accessToken, expiresIn: settings.token_ttl_seconds, jti, scope: scope.join(' ') };
    },

    async verify(token, now) {
      if (token.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'token too large' };
      let kid: unknown;
      try {
        ({ kid } = decodeProtectedHeader(token));
      } catch {
        return { ok: false, reason: 'malformed token' };
      }
      const key = typeof kid === 'string' ? byKid.get(kid) : undefined;
      if (!key || !published(key, now)) return { ok: false, reason: 'unknown kid' };
      try {
        const { payload } = await jwtVerify(token, key.publicKey, {
          algorithms: [key.alg],
          typ: ACCESS_TOKEN_TYP,
          issuer,
          audience,
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ['exp', 'iat', 'jti', 'client_id', 'sub'],
          currentDate: new Date(now),
        });
        if (typeof payload.client_id !== 'string' || typeof payload.jti !== 'string') return { ok: false, reason: 'malformed claims' };
        if (typeof payload.iat === 'number' && payload.iat > Math.floor(now / 1000) + CLOCK_SKEW_SECONDS) return { ok: false, reason: 'iat in the future' };
        if (revokedJtis.has(payload.jti)) return { ok: false, reason: 'revoked' };
        return { ok: true, claims: payload as AccessTokenClaims };
      } catch (err) {
        return { ok: false, reason: (err as { code?: string }).code ?? 'invalid token' };
      }
    },
  };
}

const generate = promisify(generateKeyPair);

/** A fresh key pair as JWKs; the kid is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<{ kid: string; publicJwk: JsonWebKey; privateJwk: JsonWebKey }> {
  const pair = alg === 'ES256' ? await generate('ec', { namedCurve: 'P-256' })
    : alg === 'RS256' ? await generate('rsa', { modulusLength: 2048 })
    : await generate('ed25519');
  const publicJwk = pair.publicKey.export({ format: 'jwk' });
  const privateJwk = pair.privateKey.export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint(publicJwk as Parameters<typeof calculateJwkThumbprint>[0]);
  return { kid, publicJwk, privateJwk };
}
