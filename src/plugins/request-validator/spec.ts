// An OpenAPI 3.0/3.1 document compiled, once per snapshot, into an operation index whose
// operations hold ready validators for each parameter location, the JSON request body and
// (optionally) the responses. Nothing here runs per request except the returned closures.
import type { ValidateFunction } from 'ajv';
import { newCompilers } from './ajv.ts';
import { convertSchema, shapeOf, type Direction } from './json-schema.ts';
import type { Shape, Style } from './params.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export type Location = 'path' | 'query' | 'header';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
/** Header parameters OpenAPI says to ignore (they are described elsewhere in the document). */
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);
const MAX_REF_HOPS = 32;

export interface Parameter {
  readonly name: string;
  /** Header names lower-case. */
  readonly key: string;
  readonly shape: Shape;
  readonly style: Style;
  readonly explode: boolean;
  /** Property names of an object-shaped parameter (form/explode objects are spread over the query). */
  readonly properties: readonly string[];
  /** The value is a JSON document (`content: application/json`) rather than styled text. */
  readonly json: boolean;
}

export interface LocationCheck {
  readonly params: readonly Parameter[];
  readonly validate: ValidateFunction;
}

export interface BodyCheck {
  readonly required: boolean;
  /** Validators by JSON media type ("application/json", "application/vnd.x+json", or a range). */
  readonly json: readonly { readonly type: string; readonly validate: ValidateFunction | undefined }[];
  /** Other media types the operation accepts (their bodies pass unvalidated). */
  readonly others: readonly string[];
}

export interface ResponseCheck {
  readonly headers: LocationCheck | undefined;
  readonly json: ValidateFunction | undefined;
  /** The response describes no body at all (e.g. 204). */
  readonly noContent: boolean;
}

export interface Operation {
  readonly method: string;
  /** The spec path template, for logs ("/pets/{id}"). */
  readonly template: string;
  readonly path: LocationCheck | undefined;
  readonly query: LocationCheck | undefined;
  readonly header: LocationCheck | undefined;
  readonly body: BodyCheck | undefined;
  readonly responses: ReadonlyMap<string, ResponseCheck> | undefined;
}

interface PathSegment { readonly literal?: string; readonly regex?: RegExp; readonly names?: readonly string[] }

export interface PathEntry {
  readonly template: string;
  readonly segments: readonly PathSegment[];
  readonly literalCount: number;
  readonly operations: ReadonlyMap<string, Operation>;
}

export interface CompiledSpec {
  /** Base paths the spec paths are relative to, longest first ('' last). */
  readonly basePaths: readonly string[];
  /** Path entries by segment count, concrete before templated. */
  readonly bySegments: ReadonlyMap<number, readonly PathEntry[]>;
}

const REQUEST_ID = 'https://spec.portcullis.invalid/request';
const RESPONSE_ID = 'https://spec.portcullis.invalid/response';
const SCHEMA_REF = '#/components/schemas/';

export function compileSpec(document: unknown, opts: { basePath?: string | undefined; responses: boolean }): CompiledSpec | string {
  if (!isObject(document)) return 'the OpenAPI document must be an object';
  const version = document.openapi;
  if (typeof version !== 'string' || !/^3\.[01]\.\d+$/.test(version)) {
    return typeof document.swagger === 'string' ? 'Swagger 2.0 documents are not supported by request-validator: convert it to OpenAPI 3' : `openapi: version ${JSON.stringify(version)} is not supported (3.0.x or 3.1.x)`;
  }
  if (!isObject(document.paths)) return 'the OpenAPI document has no paths';
  const v30 = version.startsWith('3.0');
  const problems: string[] = [];
  const compilers = newCompilers();
  const components = isObject(document.components) && isObject(document.components.schemas) ? document.components.schemas : {};

  const converted = (direction: Direction, id: string) => {
    const ref = (r: string) => (r.startsWith(SCHEMA_REF) ? `${id}#/$defs/${r.slice(SCHEMA_REF.length)}` : undefined);
    const opts30 = { v30, direction, ref, problems };
    return { opts: opts30, defs: Object.fromEntries(Object.entries(components).map(([k, v]) => [k, convertSchema(v, opts30)])) };
  };
  const request = converted('request', REQUEST_ID);
  const response = converted('response', RESPONSE_ID);
  for (const ajv of [compilers.body, compilers.params]) {
    ajv.addSchema({ $id: REQUEST_ID, $defs: request.defs });
    ajv.addSchema({ $id: RESPONSE_ID, $defs: response.defs });
  }
  const defsOf = (id: string) => (id === REQUEST_ID ? request.defs : response.defs);
  const resolveConverted = (ref: string): unknown => {
    const hash = ref.indexOf('#/$defs/');
    return hash === -1 ? undefined : defsOf(ref.slice(0, hash))[decodePointer(ref.slice(hash + 8))];
  };
  /** Follows `$ref`s to other parts of the document (parameters, request bodies, responses...). */
  const deref = (value: unknown): unknown => {
    let v = value;
    for (let hops = 0; isObject(v) && typeof v.$ref === 'string'; hops++) {
      if (hops > MAX_REF_HOPS || !v.$ref.startsWith('#/')) { problems.push(`$ref "${String(v.$ref)}" cannot be followed`); return undefined; }
      v = v.$ref.slice(2).split('/').reduce<unknown>((node, part) => (isObject(node) ? node[decodePointer(part)] : undefined), document);
      if (v === undefined) { problems.push(`$ref "${String((value as Json).$ref)}" points to nothing`); return undefined; }
    }
    return v;
  };

  const compile = (ajv: 'body' | 'params', schema: unknown, where: string): ValidateFunction | undefined => {
    try {
      return compilers[ajv].compile(schema as object);
    } catch (err) {
      problems.push(`${where}: the schema cannot be compiled: ${(err as Error).message}`);
      return undefined;
    }
  };

  const locationCheck = (list: readonly Json[], location: Location, direction: Direction, where: string): LocationCheck | undefined => {
    if (list.length === 0) return undefined;
    const convert = direction === 'request' ? request.opts : response.opts;
    const properties: Json = {};
    const required: string[] = [];
    const params: Parameter[] = [];
    for (const p of list) {
      const name = String(p.name);
      const key = location === 'header' ? name.toLowerCase() : name;
      let schema: unknown = p.schema;
      let json = false;
      if (schema === undefined && isObject(p.content)) {
        const [type, media] = Object.entries(p.content)[0] ?? [];
        json = type !== undefined && isJsonType(type);
        schema = isObject(media) ? media.schema : undefined;
      }
      const convertedSchema = convertSchema(schema ?? {}, convert);
      const shape = json ? 'scalar' : shapeOf(convertedSchema, resolveConverted);
      const defaultStyle: Style = location === 'query' ? 'form' : 'simple';
      const style = (typeof p.style === 'string' ? p.style : defaultStyle) as Style;
      if (!['form', 'simple', 'label', 'matrix', 'spaceDelimited', 'pipeDelimited', 'deepObject'].includes(style)) problems.push(`${where}: parameter "${name}" has an unknown style "${style}"`);
      const explode = typeof p.explode === 'boolean' ? p.explode : style === 'form';
      const props = isObject(convertedSchema) && isObject(convertedSchema.properties) ? Object.keys(convertedSchema.properties) : [];
      properties[key] = convertedSchema;
      if (p.required === true || location === 'path') required.push(key);
      params.push({ name, key, shape, style, explode, properties: props, json });
    }
    const validate = compile('params', { type: 'object', properties, required }, where);
    return validate ? { params, validate } : undefined;
  };

  const bodyCheck = (raw: unknown, where: string): BodyCheck | undefined => {
    const body = deref(raw);
    if (!isObject(body) || !isObject(body.content)) return undefined;
    const json: { type: string; validate: ValidateFunction | undefined }[] = [];
    const others: string[] = [];
    for (const [type, media] of Object.entries(body.content)) {
      if (!isJsonType(type)) { others.push(type.toLowerCase()); continue; }
      const schema = isObject(media) ? media.schema : undefined;
      json.push({ type: type.toLowerCase(), validate: schema === undefined ? undefined : compile('body', convertSchema(schema, request.opts), `${where} (${type})`) });
    }
    return { required: body.required === true, json, others };
  };

  const responseChecks = (raw: unknown, where: string): Map<string, ResponseCheck> | undefined => {
    if (!isObject(raw)) return undefined;
    const out = new Map<string, ResponseCheck>();
    for (const [status, value] of Object.entries(raw)) {
      const r = deref(value);
      if (!isObject(r)) continue;
      const headerList = isObject(r.headers)
        ? Object.entries(r.headers).flatMap(([name, h]) => { const hd = deref(h); return isObject(hd) && !['content-type'].includes(name.toLowerCase()) ? [{ ...hd, name, in: 'header' }] : []; })
        : [];
      const content = isObject(r.content) ? r.content : undefined;
      const jsonEntry = content ? Object.entries(content).find(([type]) => isJsonType(type)) : undefined;
      const schema = jsonEntry && isObject(jsonEntry[1]) ? jsonEntry[1].schema : undefined;
      out.set(status.toUpperCase(), {
        headers: locationCheck(headerList, 'header', 'response', `${where} response ${status} headers`),
        json: schema === undefined ? undefined : compile('body', convertSchema(schema, response.opts), `${where} response ${status}`),
        noContent: content === undefined || Object.keys(content).length === 0,
      });
    }
    return out;
  };

  const bySegments = new Map<number, PathEntry[]>();
  for (const [template, rawItem] of Object.entries(document.paths)) {
    const item = deref(rawItem);
    if (!isObject(item)) continue;
    const segments = parseTemplate(template);
    if (typeof segments === 'string') { problems.push(`paths["${template}"]: ${segments}`); continue; }
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    const operations = new Map<string, Operation>();
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const where = `${method.toUpperCase()} ${template}`;
      // Operation parameters override path-item ones with the same name and location.
      const merged = new Map<string, Json>();
      for (const raw of [...shared, ...(Array.isArray(op.parameters) ? op.parameters : [])]) {
        const p = deref(raw);
        if (isObject(p) && typeof p.name === 'string' && typeof p.in === 'string') merged.set(`${p.in}:${p.name}`, p);
      }
      const byIn = (loc: string) => [...merged.values()].filter((p) => p.in === loc && !(loc === 'header' && IGNORED_HEADERS.has(String(p.name).toLowerCase())));
      operations.set(method.toUpperCase(), {
        method: method.toUpperCase(),
        template,
        path: locationCheck(byIn('path'), 'path', 'request', `${where} path parameters`),
        query: locationCheck(byIn('query'), 'query', 'request', `${where} query parameters`),
        header: locationCheck(byIn('header'), 'header', 'request', `${where} header parameters`),
        body: bodyCheck(op.requestBody, `${where} request body`),
        responses: opts.responses ? responseChecks(op.responses, where) : undefined,
      });
    }
    const entry: PathEntry = { template, segments, literalCount: segments.filter((s) => s.literal !== undefined).length, operations };
    const list = bySegments.get(segments.length) ?? [];
    list.push(entry);
    bySegments.set(segments.length, list);
  }
  if (problems.length > 0) {
    const shown = [...new Set(problems)];
    return `the OpenAPI document cannot be used for validation: ${shown.slice(0, 5).join('; ')}${shown.length > 5 ? `; and ${shown.length - 5} more` : ''}`;
  }
  // Concrete paths win over templated ones (OpenAPI: /pets/mine before /pets/{id}).
  for (const list of bySegments.values()) list.sort((a, b) => b.literalCount - a.literalCount);
  return { basePaths: basePathsOf(document, opts.basePath), bySegments };
}

export function isJsonType(type: string): boolean {
  const t = type.toLowerCase().split(';', 1)[0]!.trim();
  return t === 'application/json' || t.endsWith('+json');
}

function decodePointer(part: string): string {
  return part.replaceAll('~1', '/').replaceAll('~0', '~');
}

function parseTemplate(template: string): PathSegment[] | string {
  if (!template.startsWith('/')) return 'must start with "/"';
  return template.slice(1).split('/').map((seg): PathSegment => {
    if (!seg.includes('{')) return { literal: seg };
    const names: string[] = [];
    // A segment with parameters (/{id}, /{name}.{ext}): each parameter takes characters up to the next literal.
    const source = seg.replace(/\{([^}]+)\}|([^{]+)/g, (_m, name: string | undefined, lit: string | undefined) => {
      if (name !== undefined) { names.push(name); return '([^/]+?)'; }
      return lit!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    });
    return { regex: new RegExp(`^${source}$`), names };
  });
}

function basePathsOf(document: Json, configured: string | undefined): string[] {
  if (configured !== undefined) return [trimSlash(configured)];
  const out = new Set<string>();
  for (const server of Array.isArray(document.servers) ? document.servers : []) {
    if (!isObject(server) || typeof server.url !== 'string') continue;
    // Server variables take their defaults.
    const vars = isObject(server.variables) ? server.variables : {};
    const url = server.url.replace(/\{([^}]+)\}/g, (_m, name: string) => { const v = vars[name]; return isObject(v) && typeof v.default === 'string' ? v.default : ''; });
    let path: string;
    try {
      path = new URL(url, 'http://base.invalid').pathname;
    } catch {
      continue;
    }
    out.add(trimSlash(path));
  }
  out.add('');
  return [...out].sort((a, b) => b.length - a.length);
}

function trimSlash(p: string): string {
  return p.endsWith('/') ? p.slice(0, -1) : p;
}

export interface OperationMatch {
  readonly operation: Operation;
  /** Raw (percent-encoded) path parameter text by name. */
  readonly pathParams: Readonly<Record<string, string>>;
}

/** Finds the operation for a method and upstream path: an Operation, 'method' (path known, method not) or undefined. */
export function findOperation(spec: CompiledSpec, method: string, path: string): OperationMatch | { readonly allowed: readonly string[] } | undefined {
  let methodMiss: string[] | undefined;
  for (const base of spec.basePaths) {
    let rest: string;
    if (base === '') rest = path;
    else if (path === base) rest = '/';
    else if (path.startsWith(base) && path.charCodeAt(base.length) === 0x2f) rest = path.slice(base.length);
    else continue;
    const segments = rest.slice(1).split('/');
    for (const entry of spec.bySegments.get(segments.length) ?? []) {
      const params = matchSegments(entry.segments, segments);
      if (params === undefined) continue;
      const operation = entry.operations.get(method) ?? (method === 'HEAD' ? entry.operations.get('GET') : undefined);
      if (operation) return { operation, pathParams: params };
      methodMiss ??= [...entry.operations.keys()];
    }
  }
  return methodMiss ? { allowed: methodMiss } : undefined;
}

function matchSegments(template: readonly PathSegment[], segments: readonly string[]): Record<string, string> | undefined {
  let params: Record<string, string> | undefined;
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    const seg = segments[i]!;
    if (t.literal !== undefined) { if (t.literal !== seg) return undefined; continue; }
    const m = t.regex!.exec(seg);
    if (!m) return undefined;
    params ??= {};
    t.names!.forEach((name, j) => { params![name] = m[j + 1]!; });
  }
  return params ?? {};
}
