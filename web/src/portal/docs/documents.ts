// What the docs page does with an API's stored documents, as plain functions (unit-tested in
// test/web/portal-catalog-docs.test.ts): which one to show, how to read it, which operations the
// try-it panel offers, and the request URL it builds.

export interface DocumentMeta { readonly id: string; readonly version: string; readonly title: string; readonly format: string; readonly created_at: string }

export type DocumentKind = 'openapi' | 'graphql' | 'wsdl' | 'text';

export function kindOf(format: string): DocumentKind {
  if (format.startsWith('openapi') || format.startsWith('swagger')) return 'openapi';
  if (format.startsWith('graphql')) return 'graphql';
  if (format === 'wsdl') return 'wsdl';
  return 'text';
}

/**
 * The document to show: the one asked for (?document=), else the newest OpenAPI document (a WSDL
 * service's REST face is one, and it renders better than the WSDL), else the newest of any kind.
 * `documents` are oldest first, as the catalog lists them.
 */
export function pickDocument(documents: readonly DocumentMeta[], requested: string | null): DocumentMeta | undefined {
  if (requested) {
    const asked = documents.find((d) => d.id === requested);
    if (asked) return asked;
  }
  return documents.findLast((d) => kindOf(d.format) === 'openapi') ?? documents.at(-1);
}

/** A version selector's label: the version (or the date, for documents without one) and the kind. */
export function documentLabel(d: DocumentMeta): string {
  const kind = { openapi: 'OpenAPI', graphql: 'GraphQL SDL', wsdl: 'WSDL', text: d.format }[kindOf(d.format)];
  return `${d.version || d.created_at.slice(0, 10)} · ${kind}`;
}

/** An OpenAPI document's text (JSON or YAML) as an object; YAML's parser loads only when needed. */
export async function parseOpenApi(text: string): Promise<Record<string, unknown>> {
  const trimmed = text.trimStart();
  const parsed: unknown = trimmed.startsWith('{') ? JSON.parse(text) : (await import('yaml')).parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the document is not an OpenAPI object');
  return parsed as Record<string, unknown>;
}

export interface Operation {
  readonly method: string;
  readonly path: string;
  readonly summary: string;
  /** Path parameters, in the order they appear in the path. */
  readonly pathParams: readonly string[];
  /** Query parameters the document declares (name → required). */
  readonly query: readonly { name: string; required: boolean }[];
  readonly hasBody: boolean;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Resolves a local `#/components/...` reference (parameters are often shared that way). */
function deref(doc: Record<string, unknown>, v: unknown): unknown {
  if (!isObject(v) || typeof v.$ref !== 'string' || !v.$ref.startsWith('#/')) return v;
  let at: unknown = doc;
  for (const part of v.$ref.slice(2).split('/')) at = isObject(at) ? at[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return at;
}

/** Every operation of an OpenAPI (or Swagger 2) document, in document order. */
export function operationsOf(doc: Record<string, unknown>): Operation[] {
  const out: Operation[] = [];
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const params = [...shared, ...(Array.isArray(op.parameters) ? op.parameters : [])].map((p) => deref(doc, p)).filter(isObject);
      const query = params.filter((p) => p.in === 'query' && typeof p.name === 'string').map((p) => ({ name: p.name as string, required: p.required === true }));
      const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      const hasBody = op.requestBody !== undefined || params.some((p) => p.in === 'body');
      out.push({ method: method.toUpperCase(), path, summary: typeof op.summary === 'string' ? op.summary : typeof op.operationId === 'string' ? op.operationId : '', pathParams, query, hasBody });
    }
  }
  return out;
}

/**
 * Where the API's paths sit under the gateway, as the document says: the path of its first server
 * URL (OpenAPI 3: `servers[0].url`, absolute or relative; Swagger 2: `basePath`), e.g. "/carrier"
 * for http://localhost:8080/carrier. Only a default: the try-it panel lets the user change it.
 */
export function basePathOf(doc: Record<string, unknown>): string {
  let path = '';
  if (typeof doc.basePath === 'string') path = doc.basePath;
  else if (Array.isArray(doc.servers) && isObject(doc.servers[0]) && typeof doc.servers[0].url === 'string') {
    // Server variables ({region}) cannot be resolved here: leave the path empty then.
    const url = doc.servers[0].url;
    if (!url.includes('{')) {
      try { path = new URL(url, 'http://relative.invalid').pathname; } catch { path = ''; }
    }
  }
  path = path.replace(/\/+$/, '');
  return path === '' || path.startsWith('/') ? path : `/${path}`;
}

/**
 * The URL the try-it panel calls: the gateway's base, the path with its parameters filled in
 * (each encoded as one segment, so a value cannot add path segments), and the query string.
 */
export function requestUrl(gateway: string, path: string, params: Readonly<Record<string, string>>, query: string): string {
  const filled = path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const q = query.trim().replace(/^\?/, '');
  return `${gateway.replace(/\/+$/, '')}${filled.startsWith('/') ? '' : '/'}${filled}${q ? `?${q}` : ''}`;
}

/** "Name: value" lines → header pairs; blank lines skipped, malformed lines reported. */
export function parseHeaderLines(text: string): { headers: [string, string][]; bad: string[] } {
  const headers: [string, string][] = [];
  const bad: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const at = line.indexOf(':');
    const name = at > 0 ? line.slice(0, at).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) { bad.push(line.trim()); continue; }
    headers.push([name, line.slice(at + 1).trim()]);
  }
  return { headers, bad };
}

/** A response body for people: JSON pretty-printed, anything else as it came. */
export function prettyBody(text: string, contentType: string | null): string {
  if (contentType && /[/+]json\b/i.test(contentType)) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch { /* not valid JSON after all */ }
  }
  return text;
}
