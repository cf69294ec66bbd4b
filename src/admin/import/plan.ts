// A checked spec → the service and routes it becomes (a config document fragment). Pure: the
// same spec and options always give the same fragment, which is what makes re-import a no-op.
import { importProblem, OpenApiImportError } from './errors.ts';
import { child, isObject, type Json } from './location.ts';
import { isValidName, isValidTag, kebab, MAX_TAGS, tagSlug, UniqueNames } from './names.ts';
import type { SpecFormat } from './parse.ts';
import { kindOf, overlaps, parseOpenApiPath, pathProblem, prefixed, renderTemplate, routePath, type Segments } from './paths.ts';
import { explicitUpstream, upstreamFromSpec } from './upstream.ts';

/** Tag on everything an import creates; also how a re-import recognises its earlier routes. */
export const IMPORT_TAG = 'openapi';

export interface PlanOptions {
  /** Service name; default: a slug of info.title. */
  readonly serviceName?: string;
  /** Upstream base URL (http(s)://host[:port][/base/path]); default: the spec's first server. */
  readonly upstream?: string;
  /** One route per operation (default) or one per path with all its methods. */
  readonly routesBy?: 'operation' | 'path';
  /** Literal path put in front of every route path, e.g. "/carrier". */
  readonly pathPrefix?: string;
  /** Send the upstream the spec's own paths, without pathPrefix. */
  readonly stripPrefix?: boolean;
  /** Extra tags for the service and every route (besides "openapi" and the operations' tags). */
  readonly tags?: readonly string[];
}

/** What planImport needs of a parsed spec. */
export interface PlannableSpec {
  readonly format: SpecFormat;
  readonly title: string;
  readonly document: Json;
  /** Where the spec was fetched from, if from a URL (relative server URLs resolve against it). */
  readonly url?: string;
}

export interface ImportedService {
  readonly name: string;
  readonly targets: readonly { readonly url: string }[];
  readonly path: string;
  readonly tags: readonly string[];
}

export interface ImportedRoute {
  readonly name: string;
  readonly service: string;
  readonly paths: readonly string[];
  readonly methods: readonly string[];
  readonly tags: readonly string[];
  /** Only with stripPrefix: a request-transformer that sends the spec's own path upstream. */
  readonly plugins?: readonly { readonly name: string; readonly config: Json }[];
}

export interface ImportPlan {
  readonly service: ImportedService;
  readonly routes: readonly ImportedRoute[];
  readonly warnings: readonly string[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const PATH_ITEM_FIELDS = new Set<string>([...METHODS, 'summary', 'description', 'parameters', 'servers', '$ref']);

interface Operation {
  readonly method: string;
  readonly operationId: string | undefined;
  readonly tags: readonly string[];
}

interface ConvertedPath {
  readonly key: string;
  /** With the path prefix in front. */
  readonly segments: Segments;
  /** As the upstream knows it (for stripPrefix). */
  readonly own: Segments;
  readonly operations: Operation[];
}

export function planImport(spec: PlannableSpec, opts: PlanOptions = {}): ImportPlan {
  const warnings: string[] = [];
  const { prefix, extraTags } = checkOptions(opts);
  const name = serviceName(spec, opts);
  const { upstream, warnings: upstreamWarnings } = opts.upstream !== undefined
    ? { upstream: explicitUpstream(opts.upstream), warnings: [] }
    : upstreamFromSpec(spec.document, spec.format, spec.url === undefined ? undefined : new URL(spec.url));
  warnings.push(...upstreamWarnings);
  const paths = collectPaths(spec.document, prefix, warnings);
  if (opts.stripPrefix && prefix === '') warnings.push('stripPrefix: there is no pathPrefix to strip');
  const strip = opts.stripPrefix === true && prefix !== '';

  // Templates that would take requests meant for a regex path exclude those paths (see paths.ts).
  const regexPaths = paths.filter((p) => kindOf(p.segments) === 'regex').map((p) => p.segments);
  const routePathsOf = (p: ConvertedPath): string[] => {
    if (p.key === '/' && prefix !== '') return [`=${prefix}`, `=${prefix}/`];
    const excluded = kindOf(p.segments) === 'template' ? regexPaths.filter((r) => overlaps(p.segments, r)) : [];
    return [routePath(p.segments, excluded)];
  };

  const names = new UniqueNames();
  const fixedTags = [...new Set([IMPORT_TAG, ...extraTags])];
  const routes: ImportedRoute[] = [];
  const add = (base: string, p: ConvertedPath, operations: readonly Operation[], where: string) => {
    const routePaths = routePathsOf(p);
    const problem = routePaths.map(pathProblem).find((x) => x !== undefined);
    if (problem !== undefined) {
      warnings.push(`${where}: skipped, its route path ${routePaths[0]} is refused (${problem})`);
      return;
    }
    routes.push({
      name: names.take(`${name}.${base}`),
      service: name,
      paths: routePaths,
      methods: operations.map((o) => o.method.toUpperCase()),
      tags: routeTags(operations.flatMap((o) => o.tags), fixedTags, where, warnings),
      ...(strip ? { plugins: [{ name: 'request-transformer', config: { replace: { uri: upstreamUri(upstream.path, p.own) } } }] } : {}),
    });
  };
  for (const p of paths) {
    if (opts.routesBy === 'path') {
      if (p.operations.length > 0) add(pathSlug(p.key), p, p.operations, child('paths', p.key));
      continue;
    }
    for (const op of p.operations) {
      const fromId = op.operationId === undefined ? '' : kebab(op.operationId);
      add(fromId || `${op.method}-${pathSlug(p.key)}`, p, [op], child(child('paths', p.key), op.method));
    }
  }
  if (routes.length === 0 && !(paths.length === 0 && hasWebhooks(spec.document))) warnings.push('paths: no operation could be imported, so no routes were planned');
  return {
    service: { name, targets: [{ url: upstream.target }], path: upstream.path, tags: fixedTags },
    routes,
    warnings,
  };
}

function checkOptions(opts: PlanOptions): { prefix: string; extraTags: string[] } {
  const problems: string[] = [];
  if (opts.serviceName !== undefined && !isValidName(opts.serviceName)) {
    problems.push(`--service-name: "${opts.serviceName}" is not a valid name (letters, digits, ".", "_" and "-", starting with a letter or digit, at most 128)`);
  }
  if (opts.routesBy !== undefined && opts.routesBy !== 'operation' && opts.routesBy !== 'path') problems.push(`--routes-by: must be "operation" or "path"`);
  const extraTags = [...new Set(opts.tags ?? [])];
  for (const tag of extraTags) if (!isValidTag(tag)) problems.push(`--tag: "${tag}" is not a valid tag (letters, digits and . _ : / = -, at most 64)`);
  if (extraTags.length > MAX_TAGS - 1) problems.push(`--tag: at most ${MAX_TAGS - 1} tags (the "${IMPORT_TAG}" tag takes one place)`);
  let prefix = '';
  if (opts.pathPrefix !== undefined && opts.pathPrefix !== '' && opts.pathPrefix !== '/') {
    const segments = parseOpenApiPath(opts.pathPrefix.replace(/\/+$/, ''));
    if (typeof segments === 'string' || kindOf(segments) !== 'exact') problems.push(`--path-prefix: "${opts.pathPrefix}" must be a plain path such as /carrier (no parameters, "//", "." or "..")`);
    else prefix = renderTemplate(segments);
  }
  if (problems.length > 0) throw new OpenApiImportError(problems);
  return { prefix, extraTags };
}

function serviceName(spec: PlannableSpec, opts: PlanOptions): string {
  if (opts.serviceName !== undefined) return opts.serviceName;
  const slug = kebab(spec.title).slice(0, 128).replace(/[^a-z0-9]+$/, '');
  if (slug === '') throw importProblem(`info.title: "${spec.title}" gives no usable service name; give one with --service-name`);
  return slug;
}

/** Paths with their operations, in the spec's order; what cannot be imported becomes a warning. */
function collectPaths(document: Json, prefix: string, warnings: string[]): ConvertedPath[] {
  const out: ConvertedPath[] = [];
  const pathsObject = isObject(document.paths) ? document.paths : {};
  for (const [key, item] of Object.entries(pathsObject)) {
    const where = child('paths', key);
    if (key.startsWith('x-')) {
      warnings.push(`${where}: extension skipped`);
      continue;
    }
    if (!isObject(item)) continue;
    const own = parseOpenApiPath(key);
    if (typeof own === 'string') {
      warnings.push(`${where}: skipped, the path ${own}`);
      continue;
    }
    if (typeof item.$ref === 'string') warnings.push(`${where}: $ref "${item.$ref}" not followed (only references inside the document are)`);
    if (item.servers !== undefined) warnings.push(`${where}.servers: ignored; every route goes to the service's upstream`);
    for (const field of Object.keys(item)) {
      if (field.startsWith('x-')) warnings.push(`${child(where, field)}: extension skipped`);
      else if (!PATH_ITEM_FIELDS.has(field)) warnings.push(`${child(where, field)}: not an operation, skipped`);
    }
    const operations: Operation[] = [];
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      if (op.servers !== undefined) warnings.push(`${child(where, method)}.servers: ignored; every route goes to the service's upstream`);
      operations.push({
        method,
        operationId: typeof op.operationId === 'string' ? op.operationId : undefined,
        tags: Array.isArray(op.tags) ? op.tags.filter((t): t is string => typeof t === 'string') : [],
      });
    }
    out.push({ key, segments: prefixed(prefix, own), own, operations });
  }
  const webhooks = isObject(document.webhooks) ? Object.keys(document.webhooks).length : 0;
  if (webhooks > 0) {
    warnings.push(`webhooks: ${webhooks} skipped; they are calls the API makes, not requests to route${out.length === 0 ? ' (the spec has no paths, so no routes were planned)' : ''}`);
  }
  return out;
}

const hasWebhooks = (document: Json) => isObject(document.webhooks) && Object.keys(document.webhooks).length > 0;

/** "/labels/{label_id}" → "labels-label-id"; "/" → "root". */
function pathSlug(path: string): string {
  return kebab(path.replace(/[{}]/g, '')) || 'root';
}

/** Operation tags as Portcullis tags, then "openapi" and the caller's; at most 32. */
function routeTags(operationTags: readonly string[], fixed: readonly string[], where: string, warnings: string[]): string[] {
  const fromSpec = [...new Set(operationTags.map(tagSlug).filter((t) => t !== '' && !fixed.includes(t)))];
  const room = MAX_TAGS - fixed.length;
  if (fromSpec.length > room) warnings.push(`${where}.tags: only the first ${room} tags kept`);
  return [...fromSpec.slice(0, room), ...fixed];
}

/** The upstream path for stripPrefix: the service path, then the spec's path with its parameters. */
function upstreamUri(servicePath: string, own: Segments): string {
  const base = servicePath === '/' ? '' : servicePath;
  return `${base}${renderTemplate(own)}`;
}
