// The built-in OAuth2 authorization server's endpoints, answered by the gateway itself on the proxy
// port: token (client credentials, RFC 6749 §4.4), JWKS (RFC 7517), introspection (RFC 7662),
// revocation (RFC 7009) and metadata (RFC 8414). Issuing and checking tokens uses only the
// snapshot; a revocation is written to the store through the supervisor and reaches every node
// as a new snapshot.
import type { CredentialMatch, IdentityDirectory } from '../../core/identity/directory.ts';
import { secretMatchesHash } from '../../core/identity/secrets.ts';
import { SCOPE_TOKEN_PATTERN } from '../../core/entities/schemas.ts';
import type { TokenCheck, TokenIssuer } from '../../core/identity/token-issuer.ts';
import { ERRORS, type ErrorCode } from '../../core/errors/registry.ts';
import { problemBody } from '../../core/errors/problem.ts';
import type { IncomingMessage } from 'node:http';
import type { HeaderMap, PluginLogger, PluginResponse, RequestContext } from '../../core/pipeline/context.ts';
import { oauth2Requests } from '../../telemetry/metrics.ts';
import { clientCredentials, FormError, FormTooLargeError, parseForm, readForm, type ClientCredentials } from './form.ts';

/** Writes revocations to the store (the supervisor holds it); rejects when it cannot. */
export interface AuthServerControl {
  revokeToken(token: { jti: string; client_id: string; expires_at: string }): Promise<void>;
}

export type AuthEndpoint = 'token' | 'jwks' | 'introspect' | 'revoke' | 'metadata';

/** Which endpoint a (normalised) request path is, if any. Checked before routes, on every request. */
export function authEndpointFor(issuer: TokenIssuer, path: string): AuthEndpoint | undefined {
  if (path.startsWith(issuer.path) && path.charCodeAt(issuer.path.length) === 47 /* / */) {
    const rest = path.slice(issuer.path.length + 1);
    if (rest === 'token' || rest === 'jwks' || rest === 'introspect' || rest === 'revoke') return rest;
    return undefined;
  }
  return path === issuer.metadataPath ? 'metadata' : undefined;
}

export interface AuthRequest {
  readonly method: string;
  readonly headers: Readonly<HeaderMap>;
  /** The request body, read only by the endpoints that take one. */
  readonly body: () => Promise<Buffer>;
  readonly instance: string;
  readonly requestId: string;
  readonly identities: IdentityDirectory;
  readonly issuer: TokenIssuer;
  readonly control: AuthServerControl | undefined;
  readonly log: PluginLogger;
  readonly now: number;
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
const OAUTH_ERROR = {
  'oauth2-invalid-request': 'invalid_request',
  'oauth2-invalid-client': 'invalid_client',
  'oauth2-unsupported-grant-type': 'unsupported_grant_type',
  'oauth2-invalid-scope': 'invalid_scope',
  'oauth2-unavailable': 'temporarily_unavailable',
} as const satisfies Partial<Record<ErrorCode, string>>;
type OAuthErrorCode = keyof typeof OAUTH_ERROR;

/** An endpoint's response, and what happened (the metric's outcome). */
interface Answer {
  readonly response: PluginResponse;
  readonly outcome: string;
}

const isAnswer = (r: object): r is Answer => 'response' in r && 'outcome' in r;

/** RFC 6749 §5.2 error fields and the RFC 9457 problem fields in one JSON document. */
function oauthError(code: OAuthErrorCode, req: AuthRequest, detail?: string, headers: Record<string, string> = {}): Answer {
  const problem = problemBody(code, { detail, instance: req.instance, requestId: req.requestId });
  return {
    outcome: OAUTH_ERROR[code],
    response: { status: ERRORS[code].status, headers: { ...NO_STORE, ...headers }, body: { error: OAUTH_ERROR[code], error_description: problem.detail, ...problem } },
  };
}

const json = (outcome: string, body: object, headers: Record<string, string> = NO_STORE): Answer => ({ outcome, response: { status: 200, headers, body } });

const BASIC_CHALLENGE = { 'www-authenticate': 'Basic realm="portcullis", charset="UTF-8"' };

/** The client, authenticated; or the error answer. Every failure is the same 401. */
function authenticateClient(req: AuthRequest, creds: ClientCredentials | undefined): CredentialMatch | Answer {
  const client = creds ? req.identities.oauthClient(creds.clientId, req.now) : undefined;
  if (!creds || !client || client.secretHash === null || !secretMatchesHash(creds.clientSecret, client.secretHash)) {
    req.log.debug({ oauth2: 'client authentication failed', client_id: creds?.clientId.slice(0, 64) }, 'oauth2 client refused');
    return oauthError('oauth2-invalid-client', req, undefined, BASIC_CHALLENGE);
  }
  return client;
}

const SCOPE_TOKEN = new RegExp(SCOPE_TOKEN_PATTERN);

/** RFC 6749 §3.3: the scopes granted, or an error. No scope asked: everything the client may have. */
function grantScopes(requested: string | undefined, client: CredentialMatch, issuer: TokenIssuer): string[] | string {
  const serverScopes = issuer.scopes.length > 0 ? new Set(issuer.scopes) : undefined;
  const clientScopes = client.scopes ? new Set(client.scopes) : undefined;
  if (requested === undefined) {
    const all = clientScopes ? [...clientScopes] : [];
    return serverScopes ? all.filter((s) => serverScopes.has(s)) : all;
  }
  const asked = [...new Set(requested.split(' ').filter((s) => s !== ''))];
  for (const s of asked) {
    if (!SCOPE_TOKEN.test(s)) return 'a scope contains characters RFC 6749 does not allow';
    if (serverScopes && !serverScopes.has(s)) return `the scope "${s.slice(0, 64)}" is not offered by this server`;
    if (clientScopes && !clientScopes.has(s)) return `the scope "${s.slice(0, 64)}" is not allowed for this client`;
  }
  return asked;
}

/** The form and the client of a POST endpoint, or the error answer. */
async function clientRequest(req: AuthRequest): Promise<{ params: Map<string, string>; client: CredentialMatch; clientId: string } | Answer> {
  let params: Map<string, string>;
  let creds: ClientCredentials | undefined;
  try {
    params = parseForm(req.headers['content-type'] as string | undefined, await req.body());
    creds = clientCredentials(req.headers.authorization as string | undefined, params);
  } catch (err) {
    if (err instanceof FormError && !(err instanceof FormTooLargeError)) return oauthError('oauth2-invalid-request', req, err.message);
    throw err;
  }
  const client = authenticateClient(req, creds);
  if (isAnswer(client)) return client;
  return { params, client, clientId: creds!.clientId };
}

async function token(req: AuthRequest): Promise<Answer> {
  const r = await clientRequest(req);
  if (isAnswer(r)) return r;
  const grant = r.params.get('grant_type');
  if (grant === undefined) return oauthError('oauth2-invalid-request', req, 'grant_type is required');
  if (grant !== 'client_credentials') return oauthError('oauth2-unsupported-grant-type', req);
  const scopes = grantScopes(r.params.get('scope'), r.client, req.issuer);
  if (typeof scopes === 'string') return oauthError('oauth2-invalid-scope', req, scopes);
  const issued = await req.issuer.issue(r.clientId, scopes, req.now);
  if (!issued) return oauthError('oauth2-unavailable', req, 'no signing key is available on this node', { 'retry-after': '5' });
  req.log.info({ oauth2: 'token issued', client_id: r.clientId, consumer: r.client.consumer.id, jti: issued.jti, scope: issued.scope }, 'access token issued');
  return json('issued', { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, ...(issued.scope !== '' ? { scope: issued.scope } : {}) });
}

/** Introspection and revocation: an authenticated client presenting a `token`, checked here. */
async function presentedToken(req: AuthRequest): Promise<{ clientId: string; verified: TokenCheck } | Answer> {
  const r = await clientRequest(req);
  if (isAnswer(r)) return r;
  const presented = r.params.get('token');
  if (presented === undefined) return oauthError('oauth2-invalid-request', req, 'token is required');
  return { clientId: r.clientId, verified: await req.issuer.verify(presented, req.now) };
}

async function introspect(req: AuthRequest): Promise<Answer> {
  const r = await presentedToken(req);
  if (isAnswer(r)) return r;
  const { verified } = r;
  // A token whose client has since been revoked (or has expired) is not active either.
  if (!verified.ok || !req.identities.oauthClient(verified.claims.client_id, req.now)) return json('inactive', { active: false });
  const c = verified.claims;
  return json('active', {
    active: true, token_type: 'Bearer', client_id: c.client_id, sub: c.sub, iss: c.iss, aud: c.aud, exp: c.exp, iat: c.iat, jti: c.jti,
    ...(c.scope !== undefined ? { scope: c.scope } : {}),
  });
}

async function revoke(req: AuthRequest): Promise<Answer> {
  const r = await presentedToken(req);
  if (isAnswer(r)) return r;
  const { verified } = r;
  // RFC 7009 §2.2: an invalid, expired or already revoked token is answered 200 all the same, and
  // so is another client's token (it is left alone: only the client it was issued to may revoke it).
  if (!verified.ok || verified.claims.client_id !== r.clientId) return json('ignored', {});
  if (!req.control) return oauthError('oauth2-unavailable', req, 'this node cannot record revocations', { 'retry-after': '5' });
  try {
    await req.control.revokeToken({ jti: verified.claims.jti, client_id: r.clientId, expires_at: new Date(verified.claims.exp * 1000).toISOString() });
  } catch (err) {
    req.log.warn({ oauth2: 'revocation not recorded', client_id: r.clientId, jti: verified.claims.jti, error: (err as Error).message }, 'token revocation failed');
    return oauthError('oauth2-unavailable', req, 'the revocation could not be recorded', { 'retry-after': '5' });
  }
  req.log.info({ oauth2: 'token revoked', client_id: r.clientId, jti: verified.claims.jti }, 'access token revoked');
  return json('revoked', {});
}

function metadata(issuer: TokenIssuer): object {
  const base = issuer.issuer.replace(/\/+$/, '') + issuer.path;
  const authMethods = ['client_secret_basic', 'client_secret_post'];
  return {
    issuer: issuer.issuer,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks`,
    introspection_endpoint: `${base}/introspect`,
    revocation_endpoint: `${base}/revoke`,
    grant_types_supported: ['client_credentials'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: authMethods,
    introspection_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_methods_supported: authMethods,
    ...(issuer.scopes.length > 0 ? { scopes_supported: issuer.scopes } : {}),
  };
}

/** Public documents may be cached briefly; a new key is published well before it signs. */
const PUBLIC_CACHE = { 'cache-control': 'public, max-age=300' };

/** The endpoint's answer; never rejects (a failure is answered as a problem and logged). */
export async function serveAuthEndpoint(endpoint: AuthEndpoint, req: AuthRequest): Promise<PluginResponse> {
  try {
    const { response, outcome } = await answer(endpoint, req);
    oauth2Requests.labels(endpoint, outcome).inc();
    return response;
  } catch (err) {
    if (err instanceof FormTooLargeError) return { problem: 'payload-too-large', detail: err.message };
    req.log.error({ request_id: req.requestId, err }, 'oauth2 endpoint failed');
    return { problem: 'internal-error' };
  }
}

/** Serves an endpoint for a request the gateway received (its context, the raw request for the body). */
export function serveOnGateway(endpoint: AuthEndpoint, issuer: TokenIssuer, ctx: RequestContext, req: IncomingMessage, control: AuthServerControl | undefined): Promise<PluginResponse> {
  return serveAuthEndpoint(endpoint, {
    method: ctx.method,
    headers: ctx.headers,
    body: () => readForm(req),
    instance: ctx.path,
    requestId: ctx.id,
    identities: ctx.identities,
    issuer,
    control,
    log: ctx.log,
    now: Date.now(),
  });
}

async function answer(endpoint: AuthEndpoint, req: AuthRequest): Promise<Answer> {
  const reads = endpoint === 'jwks' || endpoint === 'metadata';
  if (reads ? req.method !== 'GET' && req.method !== 'HEAD' : req.method !== 'POST') {
    return { outcome: 'method-not-allowed', response: { problem: 'method-not-allowed', headers: { allow: reads ? 'GET, HEAD' : 'POST' } } };
  }
  switch (endpoint) {
    case 'jwks': return json('served', { keys: req.issuer.jwks(req.now) }, { ...PUBLIC_CACHE, 'content-type': 'application/jwk-set+json' });
    case 'metadata': return json('served', metadata(req.issuer), PUBLIC_CACHE);
    case 'token': return token(req);
    case 'introspect': return introspect(req);
    case 'revoke': return revoke(req);
  }
}
