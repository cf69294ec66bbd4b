// The CORS protocol (Fetch standard §3.2) as the gateway applies it: compiling the config,
// judging preflights, and the Access-Control-* headers of each answer.
import type { HeaderMap } from '../../core/pipeline/context.ts';
import { parseHeaderNameList, single } from './headers.ts';
import { compileOriginPolicy, isOriginAllowed, type OriginPolicy } from './origins.ts';
import type { CorsConfig } from './schema.ts';

export interface CompiledCors {
  readonly origins: OriginPolicy;
  readonly methods: ReadonlySet<string>;
  /** Lower-case allowed request header names. */
  readonly headers: ReadonlySet<string>;
  readonly credentials: boolean;
  readonly preflightContinue: boolean;
  /** Whether answers differ by Origin (all but `origins: ["*"]`), so caches must key on it. */
  readonly varyOnOrigin: boolean;
  /** Header values, joined once at compile time (undefined: header not sent). */
  readonly allowMethods: string | undefined;
  readonly allowHeaders: string | undefined;
  readonly exposeHeaders: string | undefined;
  readonly maxAge: string | undefined;
}

/** What a preflight answer depends on; the refusals depend on all three too. */
export const PREFLIGHT_VARY = ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers'] as const;

function noWildcard(list: readonly string[], field: string): string | undefined {
  const i = list.indexOf('*');
  // Browsers ignore "*" on credentialed requests and never let it cover Authorization: a
  // wildcard would mean different things to different requests. Names are always explicit here.
  return i === -1 ? undefined : `${field}[${i}]: "*" is not supported; list the header names`;
}

const joined = (list: Iterable<string>): string | undefined => {
  const text = [...list].join(', ');
  return text === '' ? undefined : text;
};

export function compileCors(c: CorsConfig): CompiledCors | string {
  const origins = compileOriginPolicy(c.origins, c.allow_null_origin);
  if (typeof origins === 'string') return origins;
  if (c.credentials && origins.any) {
    return 'origins ["*"] cannot be combined with credentials: true (every site could read responses made with the user\'s cookies); list the origins';
  }
  if (c.credentials && c.allow_null_origin) {
    return 'allow_null_origin cannot be combined with credentials: true (any site can send Origin: null from a sandboxed iframe)';
  }
  const wildcard = noWildcard(c.headers, 'headers') ?? noWildcard(c.exposed_headers, 'exposed_headers');
  if (wildcard) return wildcard;
  const methods = new Set(c.methods);
  const headers = new Set(c.headers.map((h) => h.toLowerCase()));
  const exposed = new Set(c.exposed_headers.map((h) => h.toLowerCase()));
  return {
    origins,
    methods,
    headers,
    credentials: c.credentials,
    preflightContinue: c.preflight_continue,
    varyOnOrigin: !origins.any,
    allowMethods: joined(methods),
    allowHeaders: joined(headers),
    exposeHeaders: joined(exposed),
    maxAge: c.max_age === undefined ? undefined : String(c.max_age),
  };
}

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method (any plain OPTIONS is not). */
export function isPreflight(method: string, headers: Readonly<HeaderMap>): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}

/** The request's Origin if it is allowed, as sent (browsers compare the echo byte for byte). */
export function allowedOrigin(conf: CompiledCors, headers: Readonly<HeaderMap>): string | undefined {
  const origin = single(headers.origin);
  return origin !== undefined && isOriginAllowed(conf.origins, origin) ? origin : undefined;
}

/** Why a preflight is refused (a detail safe to show: it never echoes request values), or undefined. */
export function preflightRefusal(conf: CompiledCors, headers: Readonly<HeaderMap>): string | undefined {
  if (allowedOrigin(conf, headers) === undefined) return 'The origin is not allowed by the CORS policy.';
  const method = single(headers['access-control-request-method']) ?? '';
  if (!conf.methods.has(method)) return 'The method is not allowed by the CORS policy.';
  const asked = parseHeaderNameList(headers['access-control-request-headers']);
  if (asked === undefined) return 'Access-Control-Request-Headers is malformed.';
  for (const name of asked) if (!conf.headers.has(name)) return 'A request header is not allowed by the CORS policy.';
  return undefined;
}

function originHeaders(conf: CompiledCors, origin: string): Record<string, string> {
  // "*" only for any-origin without credentials (compile() refuses the pair); otherwise the
  // echo of this one origin.
  const out: Record<string, string> = { 'access-control-allow-origin': conf.origins.any ? '*' : origin };
  if (conf.credentials) out['access-control-allow-credentials'] = 'true';
  return out;
}

/** Headers of an allowed preflight's answer. */
export function preflightHeaders(conf: CompiledCors, origin: string): Record<string, string> {
  const out = originHeaders(conf, origin);
  if (conf.allowMethods !== undefined) out['access-control-allow-methods'] = conf.allowMethods;
  if (conf.allowHeaders !== undefined) out['access-control-allow-headers'] = conf.allowHeaders;
  if (conf.maxAge !== undefined) out['access-control-max-age'] = conf.maxAge;
  return out;
}

/** Headers added to the response of an actual (non-preflight) request from an allowed origin. */
export function actualHeaders(conf: CompiledCors, origin: string): Record<string, string> {
  const out = originHeaders(conf, origin);
  if (conf.exposeHeaders !== undefined) out['access-control-expose-headers'] = conf.exposeHeaders;
  return out;
}
