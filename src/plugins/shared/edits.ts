// Ordered edits on a header map or a query string, shared by the transformer plugins.
// Kong's order: remove → rename → replace (only if present) → add (only if absent) → append.
import { removeHeader, type HeaderMap } from '../../core/pipeline/context.ts';

export interface MapEdits {
  readonly remove: readonly string[];
  readonly rename: Readonly<Record<string, string>>;
  readonly replace: Readonly<Record<string, string>>;
  readonly add: Readonly<Record<string, string>>;
  readonly append: Readonly<Record<string, string>>;
}

export function hasEdits(e: MapEdits): boolean {
  return e.remove.length > 0 || [e.rename, e.replace, e.add, e.append].some((m) => Object.keys(m).length > 0);
}

/** Header edits; names are compared case-insensitively (keys are lower-case in the map). */
export function editHeaders(headers: HeaderMap, e: MapEdits): void {
  for (const name of e.remove) removeHeader(headers, name);
  for (const [from, to] of Object.entries(e.rename)) {
    const v = headers[from];
    if (v === undefined) continue;
    removeHeader(headers, from);
    headers[to] = v;
  }
  for (const [name, value] of Object.entries(e.replace)) if (headers[name] !== undefined) headers[name] = value;
  for (const [name, value] of Object.entries(e.add)) if (headers[name] === undefined) headers[name] = value;
  for (const [name, value] of Object.entries(e.append)) {
    const v = headers[name];
    headers[name] = v === undefined ? value : Array.isArray(v) ? [...v, value] : [v, value];
  }
}

/** Query edits on a raw query string ("?a=1&b=2" or ""); untouched when there is nothing to do. */
export function editQuery(query: string, e: MapEdits): string {
  const params = new URLSearchParams(query);
  for (const name of e.remove) params.delete(name);
  for (const [from, to] of Object.entries(e.rename)) {
    const values = params.getAll(from);
    if (values.length === 0) continue;
    params.delete(from);
    for (const v of values) params.append(to, v);
  }
  for (const [name, value] of Object.entries(e.replace)) if (params.has(name)) params.set(name, value);
  for (const [name, value] of Object.entries(e.add)) if (!params.has(name)) params.set(name, value);
  for (const [name, value] of Object.entries(e.append)) params.append(name, value);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** Lower-cases header names in an edit set once, at compile time. */
export function lowerCaseHeaderEdits(e: MapEdits): MapEdits {
  const lowerKeys = (m: Readonly<Record<string, string>>, alsoValues = false) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k.toLowerCase(), alsoValues ? v.toLowerCase() : v]));
  return {
    remove: e.remove.map((n) => n.toLowerCase()),
    rename: lowerKeys(e.rename, true),
    replace: lowerKeys(e.replace),
    add: lowerKeys(e.add),
    append: lowerKeys(e.append),
  };
}
