// oauth2-introspection: bearer tokens issued by an external IdP, validated by asking its RFC 7662
// introspection endpoint (cached, one call in flight per token). An active token names a consumer
// through one of its claims; the consumer must exist in the gateway. Every authentication failure,
// including an unreachable IdP, answers the same 401: the gateway fails closed.
import { removeHeader, type RequestContext } from '../../core/pipeline/context.ts';
import { definePlugin, type StopOrContinue } from '../../core/pipeline/plugin.ts';
import { isAuthenticated, setConsumer, stripConsumerHeaders, unauthenticated } from '../shared/consumer-headers.ts';
import { bearerToken, isBearer } from './bearer.ts';
import { missingScopes, stringClaim, timeProblem, type Claims } from './claims.ts';
import { clientSecretBasic, isFailure, type IntrospectionOutcome } from './endpoint.ts';
import { Introspector } from './introspector.ts';
import { OAuth2IntrospectionSchema, type OAuth2IntrospectionConfig } from './schema.ts';

const PLUGIN = 'oauth2-introspection';
const CHALLENGE = 'Bearer realm="portcullis"';

// Claims copied into a header value (X-Credential-Identifier) must be plain visible ASCII.
const HEADER_SAFE = /^[\x21-\x7e]{1,256}$/;

/** The config as handlers use it: no client secret, only the introspector holding its header. */
export interface CompiledIntrospection extends Omit<OAuth2IntrospectionConfig, 'client_secret' | 'header_names'> {
  readonly headerNames: readonly string[];
  /** Host of the endpoint, for log lines (the URL may carry a path the IdP considers private). */
  readonly endpointOrigin: string;
  readonly introspector: Introspector;
}

function compile(c: OAuth2IntrospectionConfig): CompiledIntrospection {
  const { client_secret, header_names, ...rest } = c;
  // Each instance gets its own cache: answers from one IdP or client never serve another, and a
  // config change starts afresh.
  const introspector = Introspector.forEndpoint(
    { cacheTtlSeconds: c.cache_ttl_seconds, negativeCacheTtlSeconds: c.negative_cache_ttl_seconds, maxCacheEntries: c.max_cache_entries },
    { url: c.introspection_url, authorization: clientSecretBasic(c.client_id, client_secret), tokenTypeHint: c.token_type_hint, timeoutMs: c.timeout_ms },
  );
  return { ...rest, headerNames: header_names.map((h) => h.toLowerCase()), endpointOrigin: new URL(c.introspection_url).origin, introspector };
}

/** The first bearer token among the configured headers. */
function findToken(ctx: RequestContext, conf: CompiledIntrospection): string | undefined {
  for (const header of conf.headerNames) {
    const token = bearerToken(ctx.headers[header]);
    if (token !== undefined) return token;
  }
  return undefined;
}

/** The consumer the token's claims name, looked up the configured way. */
function consumerOf(ctx: RequestContext, conf: CompiledIntrospection, claims: Claims) {
  const value = stringClaim(claims, conf.consumer_claim);
  if (value === undefined) return undefined;
  return conf.consumer_by === 'custom_id' ? ctx.identities.consumerByCustomId(value) : ctx.identities.consumer(value);
}

/** Which OAuth client (or, failing that, which issuer) the token came from, for X-Credential-Identifier. */
function credentialIdOf(claims: Claims): string {
  const source = stringClaim(claims, 'client_id') ?? stringClaim(claims, 'iss');
  return source !== undefined && HEADER_SAFE.test(source) ? `introspection:${source}` : 'introspection';
}

/** Anonymous fallback, or the one 401. */
function refuse(ctx: RequestContext, conf: CompiledIntrospection): StopOrContinue {
  return unauthenticated(ctx, conf.anonymous, CHALLENGE);
}

function decide(ctx: RequestContext, conf: CompiledIntrospection, outcome: IntrospectionOutcome): StopOrContinue {
  if (isFailure(outcome)) {
    ctx.log.warn({ plugin: PLUGIN, endpoint: conf.endpointOrigin, reason: outcome.failed, ...(outcome.status !== undefined ? { status: outcome.status } : {}) }, 'token introspection failed; request refused');
    return refuse(ctx, conf);
  }
  if (!outcome.active) return rejected(ctx, conf, 'token not active');
  const claims = outcome.claims;
  const tooEarlyOrLate = timeProblem(claims, Date.now());
  if (tooEarlyOrLate !== undefined) return rejected(ctx, conf, tooEarlyOrLate);
  const consumer = consumerOf(ctx, conf, claims);
  if (consumer === undefined) return rejected(ctx, conf, `no consumer matches claim "${conf.consumer_claim}"`);
  const missing = missingScopes(claims, conf.scopes);
  if (missing.length > 0) {
    // Authenticated but not authorised: 403, not the anonymous fallback (RFC 6750 §3.1).
    ctx.log.debug({ plugin: PLUGIN, consumer: consumer.id, missing }, 'token lacks required scopes');
    if (ctx.consumer === undefined) stripConsumerHeaders(ctx);
    return {
      problem: 'forbidden',
      detail: 'The access token does not grant the required scope.',
      headers: { 'www-authenticate': `${CHALLENGE}, error="insufficient_scope", scope="${conf.scopes.join(' ')}"` },
    };
  }
  setConsumer(ctx, consumer, credentialIdOf(claims));
  ctx.vars.oauth2 = claims;
  return undefined;
}

function rejected(ctx: RequestContext, conf: CompiledIntrospection, reason: string): StopOrContinue {
  ctx.log.debug({ plugin: PLUGIN, reason }, 'bearer token refused');
  return refuse(ctx, conf);
}

export const oauth2Introspection = definePlugin<typeof OAuth2IntrospectionSchema, CompiledIntrospection>({
  name: PLUGIN,
  version: '1.0.0',
  description: 'Authenticates consumers by OAuth 2.0 bearer tokens validated at the IdP\'s introspection endpoint (RFC 7662).',
  priority: 1400,
  configSchema: OAuth2IntrospectionSchema,
  authenticates: true,
  compile,
  handlers: {
    access(ctx, conf) {
      const token = findToken(ctx, conf);
      // Cleared even when another plugin authenticates, and malformed ones too: a bearer token
      // never goes upstream. Other schemes (Basic…) in the same header are left to their plugins.
      if (conf.hide_credentials) for (const header of conf.headerNames) if (isBearer(ctx.upstream.headers[header])) removeHeader(ctx.upstream.headers, header);
      // A consumer set by an earlier auth plugin on this route wins ("any of these").
      if (isAuthenticated(ctx)) return undefined;
      if (token === undefined) return refuse(ctx, conf);
      const outcome = conf.introspector.lookup(token);
      // A cached answer is decided synchronously; only a call to the IdP makes the chain wait.
      return outcome instanceof Promise ? outcome.then((o) => decide(ctx, conf, o)) : decide(ctx, conf, outcome);
    },
  },
});
