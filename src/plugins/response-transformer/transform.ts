import type { HeaderMap } from '../../core/pipeline/context.ts';
import { editHeaders, hasEdits, lowerCaseHeaderEdits, type MapEdits } from '../shared/edits.ts';
import type { ResponseTransformerConfig } from './schema.ts';

export interface JsonEdits {
  readonly remove: readonly string[];
  readonly rename: Readonly<Record<string, string>>;
  readonly replace: Readonly<Record<string, unknown>>;
  readonly add: Readonly<Record<string, unknown>>;
}

export interface CompiledResponseTransformer {
  readonly headers: MapEdits | undefined;
  readonly json: JsonEdits | undefined;
}

export function compileResponseTransformer(c: ResponseTransformerConfig): CompiledResponseTransformer {
  const headers = lowerCaseHeaderEdits({ remove: c.remove.headers, rename: c.rename.headers, replace: c.replace.headers, add: c.add.headers, append: c.append.headers });
  const json: JsonEdits = { remove: c.remove.json, rename: c.rename.json, replace: c.replace.json, add: c.add.json };
  const anyJson = json.remove.length > 0 || [json.rename, json.replace, json.add].some((m) => Object.keys(m).length > 0);
  return { headers: hasEdits(headers) ? headers : undefined, json: anyJson ? json : undefined };
}

export function transformResponseHeaders(headers: HeaderMap, t: CompiledResponseTransformer): void {
  if (t.headers) editHeaders(headers, t.headers);
}

function isJson(contentType: unknown): boolean {
  if (typeof contentType !== 'string') return false;
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  return media === 'application/json' || media.endsWith('+json');
}

/** Rewrites top-level keys of a JSON object body; anything else (or encoded bodies) passes untouched. */
export function transformJsonBody(headers: HeaderMap, body: Buffer, e: JsonEdits): Buffer | undefined {
  const encoding = headers['content-encoding'];
  if (!isJson(headers['content-type']) || (encoding !== undefined && encoding !== 'identity')) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const obj = doc as Record<string, unknown>;
  for (const k of e.remove) delete obj[k];
  for (const [from, to] of Object.entries(e.rename)) if (Object.hasOwn(obj, from)) { obj[to] = obj[from]; delete obj[from]; }
  for (const [k, v] of Object.entries(e.replace)) if (Object.hasOwn(obj, k)) obj[k] = v;
  for (const [k, v] of Object.entries(e.add)) if (!Object.hasOwn(obj, k)) obj[k] = v;
  return Buffer.from(JSON.stringify(obj));
}
