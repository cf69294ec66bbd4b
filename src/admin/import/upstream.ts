// Where the imported service forwards to. A Portcullis target is an origin
// (http(s)://host[:port]); the base path of the API goes into the service's `path`.
//   --upstream given       → that URL, whole (it replaces the spec's servers, path included)
//   OpenAPI 3.x            → servers[0].url, variables filled with their defaults; a relative URL
//                            resolves against the URL the spec was fetched from
//   Swagger 2.0            → schemes[0]://host + basePath (host defaults to the fetch URL's)
import { importProblem } from './errors.ts';
import { isObject, type Json } from './location.ts';
import type { SpecFormat } from './parse.ts';

export interface Upstream {
  /** The service target: an http(s) origin. */
  readonly target: string;
  /** The service path: the API's base path, "/" if none. */
  readonly path: string;
}

const isHttp = (url: URL) => url.protocol === 'http:' || url.protocol === 'https:';

/** A base URL split into target and path; a reason string if it cannot be one. */
function split(url: URL): Upstream | string {
  if (!isHttp(url)) return `is not an http(s) URL`;
  if (url.username !== '' || url.password !== '') return 'carries credentials';
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') || '/' : '/';
  return { target: url.origin, path };
}

/** `--upstream`: must be a usable absolute URL; anything else is the operator's mistake. */
export function explicitUpstream(text: string): Upstream {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url) throw importProblem(`--upstream: "${text}" is not an absolute URL (e.g. http://10.0.0.5:8080/api)`);
  if (url.search !== '' || url.hash !== '') throw importProblem(`--upstream: "${text}" must not have a query or fragment`);
  const result = split(url);
  if (typeof result === 'string') throw importProblem(`--upstream: "${text}" ${result}`);
  return result;
}

/** The upstream the spec names, with warnings; throws when there is none and --upstream is needed. */
export function upstreamFromSpec(document: Json, format: SpecFormat, specUrl: URL | undefined): { upstream: Upstream; warnings: string[] } {
  const reasons: string[] = [];
  const warnings: string[] = [];
  const candidates = format === 'openapi-2.0' ? swaggerBase(document, specUrl, reasons, warnings) : oasServers(document, specUrl, reasons);
  for (const [index, candidate] of candidates.entries()) {
    const result = typeof candidate.url === 'string' ? candidate.url : split(candidate.url);
    if (typeof result === 'string') {
      reasons.push(`${candidate.where}: ${result}`);
      continue;
    }
    if (candidate.url instanceof URL && (candidate.url.search !== '' || candidate.url.hash !== '')) warnings.push(`${candidate.where}: query and fragment of the server URL ignored`);
    if (index > 0) warnings.push(`${candidate.where}: used, because ${candidates[0]!.where} is not usable`);
    else if (candidates.length > 1) warnings.push(`${candidate.where}: used as the upstream (${result.target}${result.path === '/' ? '' : result.path}); the spec lists ${candidates.length} servers, give --upstream to choose another`);
    return { upstream: result, warnings };
  }
  throw importProblem(`the spec names no usable absolute server URL (${reasons.join('; ') || 'no servers'}): give the upstream with --upstream`);
}

interface Candidate {
  readonly where: string;
  /** The resolved URL, or why there is none. */
  readonly url: URL | string;
}

function oasServers(document: Json, specUrl: URL | undefined, reasons: string[]): Candidate[] {
  const servers = Array.isArray(document.servers) ? document.servers : [];
  // No servers means "/" relative to the document's own location.
  if (servers.length === 0) {
    if (specUrl) return [{ where: 'servers (none; the spec URL)', url: new URL('/', specUrl) }];
    reasons.push('servers: none');
    return [];
  }
  return servers.map((server, i): Candidate => {
    const where = `servers[${i}]`;
    if (!isObject(server) || typeof server.url !== 'string') return { where, url: 'has no url' };
    const variables = isObject(server.variables) ? server.variables : {};
    let unresolved: string | undefined;
    const text = server.url.replace(/\{([^{}]*)\}/g, (_m, name: string) => {
      const v = variables[name];
      if (isObject(v) && typeof v.default === 'string') return v.default;
      unresolved ??= name;
      return '';
    });
    if (unresolved !== undefined) return { where, url: `variable "${unresolved}" has no default` };
    if (URL.canParse(text)) return { where, url: new URL(text) };
    if (specUrl && URL.canParse(text, specUrl.href)) return { where, url: new URL(text, specUrl) };
    return { where, url: `"${server.url}" is relative, and the spec was not fetched from a URL it could be relative to` };
  });
}

function swaggerBase(document: Json, specUrl: URL | undefined, reasons: string[], warnings: string[]): Candidate[] {
  const host = typeof document.host === 'string' ? document.host : specUrl?.host;
  if (host === undefined) {
    reasons.push('host: missing, and the spec was not fetched from a URL');
    return [];
  }
  const basePath = typeof document.basePath === 'string' ? document.basePath : '/';
  const schemes = Array.isArray(document.schemes) ? document.schemes.filter((s): s is string => s === 'http' || s === 'https') : [];
  let scheme = schemes[0];
  if (scheme === undefined) {
    if (Array.isArray(document.schemes) && document.schemes.length > 0) {
      reasons.push('schemes: none of them is http or https');
      return [];
    }
    // Swagger 2.0: no schemes means the scheme the spec was fetched with.
    scheme = specUrl ? specUrl.protocol.slice(0, -1) : 'https';
    if (!specUrl) warnings.push('schemes: missing; https assumed for the upstream');
  }
  const text = `${scheme}://${host}${basePath}`;
  return [{ where: 'host', url: URL.canParse(text) ? new URL(text) : `"${text}" is not a valid URL` }];
}
