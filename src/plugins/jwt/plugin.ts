// jwt: a signed JSON Web Token (RFC 7519) from a configured issuer identifies the consumer named
// by one of its claims. Keys are static (config) or the issuer's JWKS, fetched by the gateway;
// tokens of the built-in OAuth2 server need neither (its keys are in the snapshot).
// Every authentication failure answers the same 401; a valid token without the route's scopes
// gets 403. Tokens are never logged or echoed.
import { decodeJwt } from 'jose';
import type { Consumer, PluginResponse, RequestContext } from '../../core/pipeline/context.ts';
import { definePlugin, NO_COMPILE_ENV, type PluginCompileEnv } from '../../core/pipeline/plugin.ts';
import { isAuthenticated, setConsumer, stripConsumerHeaders, unauthenticated } from '../shared/consumer-headers.ts';
import { jwksSource } from './jwks.ts';
import { isSymmetric, staticKey, type VerificationKey } from './keys.ts';
import { JwtSchema, type IssuerConfig, type JwtConfig } from './schema.ts';
import { findToken, hideToken, type TokenPlaces } from './token.ts';
import { MAX_TOKEN_BYTES, verifyToken, type CompiledIssuer } from './verify.ts';
import { VerifiedTokens } from './verified-cache.ts';

export interface CompiledJwt {
  readonly issuers: ReadonlyMap<string, CompiledIssuer>;
  readonly places: TokenPlaces;
  readonly scopes: readonly string[] | undefined;
  readonly hideCredentials: boolean;
  readonly anonymous: string | undefined;
  /** The built-in OAuth2 server's issuer, when its tokens are accepted. */
  readonly builtinIssuer: string | undefined;
  /** Tokens verified lately (this compiled instance only: a new snapshot starts afresh). */
  readonly verified: VerifiedTokens<Verified>;
}

const CHALLENGE = 'Bearer realm="portcullis"';

/** A jwks_uri must be a plain http(s) URL: no credentials in it, no fragment. */
function jwksUriProblem(uri: string): string | undefined {
  if (!URL.canParse(uri)) return 'is not a URL';
  const url = new URL(uri);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be http(s)';
  if (url.username !== '' || url.password !== '' || url.hash !== '' || url.hostname === '') return 'must have a host and no credentials or fragment';
  return undefined;
}

function compileIssuer(c: IssuerConfig, at: string): CompiledIssuer | string {
  const algorithms = c.algorithms;
  const symmetric = algorithms.filter(isSymmetric);
  // One key type per issuer: with HS and RS both allowed, a public key could be fed to HMAC as a
  // secret (the classic algorithm confusion). Such an allow-list is refused outright.
  if (symmetric.length > 0 && symmetric.length < algorithms.length) return `${at}.algorithms: HS algorithms cannot be mixed with asymmetric ones`;
  if (c.keys === undefined && c.jwks_uri === undefined) return `${at}: needs keys or jwks_uri`;
  if (c.jwks_uri !== undefined) {
    if (symmetric.length > 0) return `${at}.jwks_uri: a JWKS holds public keys; HS algorithms need shared secrets in keys`;
    const problem = jwksUriProblem(c.jwks_uri);
    if (problem) return `${at}.jwks_uri ${problem}`;
  }
  const staticKeys: VerificationKey[] = [];
  for (const [i, raw] of (c.keys ?? []).entries()) {
    const key = staticKey(raw, algorithms);
    if (typeof key === 'string') return `${at}.keys[${i}]: ${key}`;
    staticKeys.push(key);
  }
  return {
    issuer: c.issuer,
    audiences: c.audiences,
    algorithms: new Set(algorithms),
    staticKeys,
    jwks: c.jwks_uri === undefined ? undefined : jwksSource(c.jwks_uri),
    consumerClaim: c.consumer_claim,
    consumerBy: c.consumer_by,
    clockSkewSeconds: c.clock_skew_seconds,
    maxTokenAgeSeconds: c.max_token_age_seconds,
    requiredClaims: c.required_claims.length > 0 ? c.required_claims : undefined,
  };
}

export function compileJwt(c: JwtConfig, env: PluginCompileEnv = NO_COMPILE_ENV): CompiledJwt | string {
  if (c.header_names.length + c.query_names.length + c.cookie_names.length === 0) return 'needs at least one of header_names, query_names, cookie_names';
  const builtinIssuer = c.builtin_issuer ? env.builtinIssuer : undefined;
  if (c.issuers.length === 0 && builtinIssuer === undefined) return 'needs issuers, or the built-in OAuth2 server (gateway.oauth2_server) enabled';
  const clash = c.issuers.findIndex((i) => i.issuer === builtinIssuer);
  if (clash !== -1) return `issuers[${clash}].issuer: "${builtinIssuer}" is the built-in OAuth2 server, whose keys are known already: remove this entry`;
  const issuers = new Map<string, CompiledIssuer>();
  for (const [i, raw] of c.issuers.entries()) {
    if (issuers.has(raw.issuer)) return `issuers[${i}].issuer: "${raw.issuer}" is listed twice`;
    const issuer = compileIssuer(raw, `issuers[${i}]`);
    if (typeof issuer === 'string') return issuer;
    issuers.set(raw.issuer, issuer);
  }
  return {
    issuers,
    places: { headerNames: c.header_names.map((n) => n.toLowerCase()), queryNames: c.query_names, cookieNames: c.cookie_names },
    scopes: c.scopes,
    hideCredentials: c.hide_credentials,
    anonymous: c.anonymous,
    builtinIssuer,
    verified: new VerifiedTokens<Verified>(),
  };
}

/**
 * Scopes granted by the token: `scope` (space-separated, RFC 8693 §4.2) and `scp` (a list, or
 * space-separated as some identity providers send it).
 */
export function grantedScopes(claims: Record<string, unknown>): Set<string> {
  const words = (v: unknown): unknown[] => (typeof v === 'string' ? v.split(' ') : Array.isArray(v) ? v : []);
  const granted = [...words(claims.scope), ...words(claims.scp)].filter((s): s is string => typeof s === 'string' && s !== '');
  return new Set(granted);
}

function consumerFor(ctx: RequestContext, issuer: CompiledIssuer, claims: Record<string, unknown>) {
  // Own claims only: a claim named like an Object.prototype member must not resolve to it.
  const value = Object.hasOwn(claims, issuer.consumerClaim) ? claims[issuer.consumerClaim] : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  return issuer.consumerBy === 'name' ? ctx.identities.consumer(value) : ctx.identities.consumerByCustomId(value);
}

/** A verified token: its claims, the scopes it grants, and how to find its consumer now. */
interface Verified {
  readonly claims: Readonly<Record<string, unknown>>;
  readonly scopes: ReadonlySet<string>;
  identify(ctx: RequestContext, now: number): { consumer: Consumer; credentialId: string } | undefined;
  /** Whether the key that verified it is still the issuer's (a JWKS may have dropped it since). */
  keyStillTrusted(): boolean;
}

type Outcome = { readonly ok: true; readonly verified: Verified; readonly expiresAt: number | undefined } | { readonly ok: false; readonly reason: string };

/** Until when a verified token may be trusted again without checking: its exp (and max age). */
function trustedUntil(claims: Record<string, unknown>, skewSeconds: number, maxAgeSeconds?: number): number | undefined {
  const limits: number[] = [];
  if (typeof claims.exp === 'number') limits.push((claims.exp + skewSeconds) * 1000);
  if (maxAgeSeconds !== undefined && typeof claims.iat === 'number') limits.push((claims.iat + maxAgeSeconds + skewSeconds) * 1000);
  return limits.length > 0 ? Math.min(...limits) : undefined;
}

const ALWAYS = () => true;
const verified = (claims: Record<string, unknown>, identify: Verified['identify'], keyStillTrusted: () => boolean = ALWAYS): Verified =>
  Object.freeze({ claims: Object.freeze({ ...claims }), scopes: grantedScopes(claims), identify, keyStillTrusted });

/**
 * A token of the built-in OAuth2 server is checked against the snapshot's keys and revocations,
 * and names its consumer through its client (a revoked or expired client ends its tokens too).
 * Any other token goes to the configured issuers.
 */
async function verify(ctx: RequestContext, conf: CompiledJwt, token: string, now: number): Promise<Outcome> {
  const builtin = conf.builtinIssuer !== undefined ? ctx.identities.tokenIssuer : undefined;
  if (builtin !== undefined && peekIssuer(token) === builtin.issuer) {
    const r = await builtin.verify(token, now);
    if (!r.ok) return r;
    const clientId = r.claims.client_id;
    return {
      ok: true,
      expiresAt: r.claims.exp * 1000,
      verified: verified(r.claims, (c, at) => {
        const client = c.identities.oauthClient(clientId, at);
        return client && { consumer: client.consumer, credentialId: client.credentialId };
      }),
    };
  }
  const warn = (uri: string, message: string) => ctx.log.warn({ plugin: 'jwt', jwks_uri: displayUri(uri), err: message }, 'JWKS fetch failed; keeping the last good keys');
  const r = await verifyToken(token, conf.issuers, now, warn);
  if (!r.ok) return r;
  const issuer = r.issuer;
  const jwks = issuer.jwks;
  // Static keys last as long as the config; a JWKS key only while the issuer still publishes it.
  const fromJwks = jwks !== undefined && !issuer.staticKeys.includes(r.key);
  return {
    ok: true,
    expiresAt: trustedUntil(r.claims, issuer.clockSkewSeconds, issuer.maxTokenAgeSeconds),
    verified: verified(r.claims, (c) => {
      const consumer = consumerFor(c, issuer, r.claims);
      return consumer && { consumer, credentialId: `jwt:${issuer.issuer}` };
    }, fromJwks ? () => jwks.current().includes(r.key) : ALWAYS),
  };
}

/** The consumer (and scopes) of a verified token: set on the request, or the 403 answer. */
function admit(ctx: RequestContext, conf: CompiledJwt, v: Verified, now: number): PluginResponse | undefined | false {
  const identified = v.identify(ctx, now);
  if (!identified) return false;
  if (conf.scopes && !conf.scopes.every((s) => v.scopes.has(s))) {
    if (ctx.consumer === undefined) stripConsumerHeaders(ctx);
    // Authenticated but not allowed (RFC 6750 §3.1): 403, naming the scopes needed.
    return { problem: 'forbidden', headers: { 'www-authenticate': `${CHALLENGE}, error="insufficient_scope", scope="${conf.scopes.join(' ')}"` } };
  }
  setConsumer(ctx, identified.consumer, identified.credentialId);
  ctx.vars.jwt = v.claims;
  return undefined;
}

/** The slow path: verify, remember a success, then admit or refuse. */
async function verifyAndAdmit(ctx: RequestContext, conf: CompiledJwt, token: string, now: number): Promise<PluginResponse | undefined> {
  const result = await verify(ctx, conf, token, now);
  if (result.ok) {
    conf.verified.set(token, result.verified, now, result.expiresAt);
    const admitted = admit(ctx, conf, result.verified, now);
    if (admitted !== false) return admitted;
  }
  ctx.log.debug({ plugin: 'jwt', reason: result.ok ? 'unknown consumer' : result.reason }, 'token rejected');
  return unauthenticated(ctx, conf.anonymous, CHALLENGE);
}

/** The unverified `iss`, only to choose the rules that apply. */
function peekIssuer(token: string): unknown {
  if (token.length > MAX_TOKEN_BYTES) return undefined;
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}

/** Where a JWKS came from, for logs: the query may carry something secret-ish. */
const displayUri = (uri: string) => uri.split('?')[0];

export const jwt = definePlugin<typeof JwtSchema, CompiledJwt>({
  name: 'jwt',
  version: '1.0.0',
  description: 'Authenticates consumers by signed JSON Web Tokens from configured issuers (static keys or JWKS).',
  priority: 1450,
  configSchema: JwtSchema,
  authenticates: true,
  compile: compileJwt,
  handlers: {
    // Synchronous when the token was verified lately (the usual case: a client repeats its
    // token until it expires); a promise only when a signature must be checked.
    access(ctx, conf) {
      const token = findToken(ctx, conf.places);
      // Every place a token may be is cleared, not just the one used, and also when another
      // plugin authenticates: a bearer token is a credential the upstream must not receive.
      if (conf.hideCredentials) hideToken(ctx, conf.places);
      // A consumer set by an earlier auth plugin on this route wins ("any of these").
      if (isAuthenticated(ctx)) return;
      if (token === undefined) return unauthenticated(ctx, conf.anonymous, CHALLENGE);
      const now = Date.now();
      const known = conf.verified.get(token, now);
      if (known !== undefined && known.keyStillTrusted()) {
        const admitted = admit(ctx, conf, known, now);
        if (admitted !== false) return admitted;
        return unauthenticated(ctx, conf.anonymous, CHALLENGE);
      }
      return verifyAndAdmit(ctx, conf, token, now);
    },
  },
});
