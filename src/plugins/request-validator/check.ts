// Per request: the compiled checks of one operation run against the request's parts.
import type { HeaderMap, HeaderValue } from '../../core/pipeline/context.ts';
import { BadEncoding, decode, parseQuery, pathValue, queryValue, simpleValue } from './params.ts';
import { isJsonType, type BodyCheck, type LocationCheck, type Operation, type ResponseCheck } from './spec.ts';
import { bodyViolations, parameterViolations, type Violation, type Where } from './violations.ts';

export interface RequestParts {
  readonly pathParams: Readonly<Record<string, string>>;
  /** Raw query string with its "?" (or ""). */
  readonly query: string;
  readonly headers: Readonly<HeaderMap>;
  readonly body: Buffer | undefined;
}

export interface Enabled { readonly path: boolean; readonly query: boolean; readonly header: boolean; readonly body: boolean }

/** 'unsupported' when the body's media type is one the operation does not take (415). */
export function checkRequest(op: Operation, parts: RequestParts, enabled: Enabled, max: number): Violation[] | 'unsupported' {
  const out: Violation[] = [];
  if (enabled.path && op.path) {
    runLocation(op.path, 'path', out, max, (p) => {
      const raw = parts.pathParams[p.name];
      if (raw === undefined) return undefined;
      return p.json ? JSON.parse(decode(raw, false)) : pathValue(raw, p.name, p.shape, p.style, p.explode);
    });
  }
  if (enabled.query && op.query) {
    const query = parseQuery(parts.query);
    runLocation(op.query, 'query', out, max, (p) => {
      if (p.json) { const v = query.get(p.name); return v === undefined ? undefined : JSON.parse(decode(v[0]!, true)); }
      return queryValue(query, p.name, p.shape, p.style, p.explode, p.properties);
    });
  }
  if (enabled.header && op.header) runHeaders(op.header, parts.headers, 'header', out, max);
  if (enabled.body && op.body && out.length < max) {
    const verdict = checkBody(op.body, parts.headers['content-type'], parts.body, out, max);
    if (verdict === 'unsupported') return verdict;
  }
  return out;
}

function runLocation(check: LocationCheck, where: Where, out: Violation[], max: number, valueOf: (p: LocationCheck['params'][number]) => unknown): void {
  if (out.length >= max) return;
  const data: Record<string, unknown> = {};
  const names = new Map<string, string>();
  let unreadable = false;
  for (const p of check.params) {
    names.set(p.key, p.name);
    try {
      const v = valueOf(p);
      if (v !== undefined) data[p.key] = v;
    } catch (err) {
      unreadable = true;
      if (out.length < max) out.push({ in: where, name: p.name, pointer: '', message: err instanceof BadEncoding ? err.message : 'is not valid JSON' });
    }
  }
  if (unreadable) return; // the schema would add "is required" for what could not be read
  if (!check.validate(data)) parameterViolations(check.validate.errors, where, names, out, max);
}

function headerText(v: HeaderValue): string {
  return Array.isArray(v) ? v.join(', ') : v;
}

export function runHeaders(check: LocationCheck, headers: Readonly<HeaderMap>, where: Where, out: Violation[], max: number): void {
  runLocation(check, where, out, max, (p) => {
    const v = headers[p.key];
    if (v === undefined) return undefined;
    const text = headerText(v);
    // Header values are not percent-encoded: split them, never decode them.
    return p.json ? JSON.parse(text) : splitHeader(text, p.shape, p.explode);
  });
}

function splitHeader(text: string, shape: LocationCheck['params'][number]['shape'], explode: boolean): unknown {
  if (shape === 'scalar') return text;
  const parts = text.split(',').map((s) => s.trim());
  if (shape === 'array') return text === '' ? [] : parts;
  return simpleValue(parts.map(encodeURIComponent).join(','), shape, explode);
}

/** The media type of a Content-Type value, lower-case, without parameters. */
function mediaType(contentType: HeaderValue | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const t = headerText(contentType).split(';', 1)[0]!.trim().toLowerCase();
  return t === '' ? undefined : t;
}

function matchesRange(type: string, range: string): boolean {
  if (range === type || range === '*/*') return true;
  return range.endsWith('/*') && type.startsWith(range.slice(0, -1));
}

function checkBody(body: BodyCheck, contentType: HeaderValue | undefined, bytes: Buffer | undefined, out: Violation[], max: number): 'unsupported' | undefined {
  if (bytes === undefined || bytes.length === 0) {
    if (body.required) out.push({ in: 'body', pointer: '', message: 'a request body is required' });
    return undefined;
  }
  const type = mediaType(contentType);
  if (type === undefined) {
    if (body.json.length > 0) out.push({ in: 'body', pointer: '', message: 'the body has no Content-Type' });
    return undefined;
  }
  if (isJsonType(type)) {
    const entry = body.json.find((j) => j.type.split(';', 1)[0] === type) ?? body.json.find((j) => matchesRange(type, j.type));
    if (entry === undefined) return body.others.some((r) => matchesRange(type, r)) ? undefined : 'unsupported';
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      out.push({ in: 'body', pointer: '', message: 'is not valid JSON' });
      return undefined;
    }
    if (entry.validate && !entry.validate(value)) bodyViolations(entry.validate.errors, out, max);
    return undefined;
  }
  // Not JSON: fine when the operation takes it (validated by the upstream), else 415.
  return body.others.some((r) => matchesRange(type, r)) ? undefined : 'unsupported';
}

/** The response description for a status: exact, then its range (2XX), then default. */
export function responseFor(responses: ReadonlyMap<string, ResponseCheck>, status: number): ResponseCheck | undefined {
  return responses.get(String(status)) ?? responses.get(`${Math.floor(status / 100)}XX`) ?? responses.get('DEFAULT');
}

export function checkResponseHead(check: ResponseCheck | undefined, status: number, headers: Readonly<HeaderMap>, max: number): Violation[] {
  if (check === undefined) return [{ in: 'status', pointer: '', message: `status ${status} is not described for this operation` }];
  const out: Violation[] = [];
  if (check.headers) runHeaders(check.headers, headers, 'header', out, max);
  return out;
}

export function checkResponseBody(check: ResponseCheck | undefined, headers: Readonly<HeaderMap>, bytes: Buffer, out: Violation[], max: number): void {
  if (check === undefined || check.json === undefined || out.length >= max) return;
  const type = mediaType(headers['content-type']);
  if (type === undefined || !isJsonType(type)) return;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    out.push({ in: 'body', pointer: '', message: 'is not valid JSON' });
    return;
  }
  if (!check.json(value)) bodyViolations(check.json.errors, out, max);
}
