// Parameter text → values by OpenAPI style, before the schema (with type coercion) checks them.
// Strings stay strings here: the parameter validators coerce "42" to 42 and "true" to true by
// the schema's type. Malformed percent-encoding is reported, never thrown.

export type Shape = 'array' | 'object' | 'scalar';
export type Style = 'form' | 'simple' | 'label' | 'matrix' | 'spaceDelimited' | 'pipeDelimited' | 'deepObject';

export class BadEncoding extends Error {}

export function decode(raw: string, plusIsSpace: boolean): string {
  const text = plusIsSpace && raw.includes('+') ? raw.replaceAll('+', ' ') : raw;
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw new BadEncoding('is not valid percent-encoding');
  }
}

/** The raw query string ("?a=1&b=2" or "") as name → raw values, names decoded. */
export function parseQuery(query: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (query.length <= 1) return out;
  for (const pair of query.slice(1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    let name: string;
    try {
      name = decode(eq === -1 ? pair : pair.slice(0, eq), true);
    } catch {
      continue; // a name we cannot read cannot be a declared parameter
    }
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  }
  return out;
}

function pairsToObject(parts: readonly string[], plus: boolean): Record<string, string> {
  const obj: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) obj[decode(parts[i]!, plus)] = decode(parts[i + 1]!, plus);
  return obj;
}

function assignments(parts: readonly string[], plus: boolean): Record<string, string> {
  const obj: Record<string, string> = {};
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq === -1) obj[decode(p, plus)] = '';
    else obj[decode(p.slice(0, eq), plus)] = decode(p.slice(eq + 1), plus);
  }
  return obj;
}

/** A query parameter's value, or undefined when it is absent. */
export function queryValue(query: Map<string, string[]>, name: string, shape: Shape, style: Style, explode: boolean, properties: readonly string[]): unknown {
  if (style === 'deepObject') {
    const obj: Record<string, string> = {};
    let found = false;
    const prefix = `${name}[`;
    for (const [key, values] of query) {
      if (!key.startsWith(prefix) || !key.endsWith(']')) continue;
      obj[key.slice(prefix.length, -1)] = decode(values[0]!, true);
      found = true;
    }
    return found ? obj : undefined;
  }
  if (shape === 'object' && explode && style === 'form') {
    // Each property is its own query parameter (?color=red&size=2).
    const obj: Record<string, string> = {};
    let found = false;
    for (const prop of properties) {
      const values = query.get(prop);
      if (values) { obj[prop] = decode(values[0]!, true); found = true; }
    }
    return found ? obj : undefined;
  }
  const values = query.get(name);
  if (values === undefined) return undefined;
  if (shape === 'array') {
    if (explode && style === 'form') return values.map((v) => decode(v, true));
    const sep = style === 'pipeDelimited' ? /\|/ : style === 'spaceDelimited' ? /%20|\+| / : /,/;
    return values[0] === '' ? [] : values[0]!.split(sep).map((v) => decode(v, true));
  }
  if (shape === 'object') return pairsToObject(values[0]!.split(','), true);
  // A repeated scalar stays a list: the schema then says it must be one value.
  return values.length === 1 ? decode(values[0]!, true) : values.map((v) => decode(v, true));
}

/** A path parameter's value from its raw (still percent-encoded) segment text. */
export function pathValue(raw: string, name: string, shape: Shape, style: Style, explode: boolean): unknown {
  let text = raw;
  let sep = ',';
  if (style === 'label') {
    if (!text.startsWith('.')) return decode(text, false);
    text = text.slice(1);
    if (explode) sep = '.';
  } else if (style === 'matrix') {
    const head = `;${name}`;
    if (shape === 'object' && explode) return assignments(text.split(';').filter((p) => p !== ''), false);
    if (!text.startsWith(head)) return decode(text, false);
    if (shape === 'array' && explode) return text.split(';').filter((p) => p !== '').map((p) => decode(p.slice(p.indexOf('=') + 1), false));
    text = text.slice(head.length + (text.charAt(head.length) === '=' ? 1 : 0));
  }
  return simpleValue(text, shape, explode, sep, false);
}

/** simple style (path and header parameters): "a,b,c", "k,v,k2,v2" or, exploded, "k=v,k2=v2". */
export function simpleValue(text: string, shape: Shape, explode: boolean, sep = ',', plus = false): unknown {
  if (shape === 'array') return text === '' ? [] : text.split(sep).map((v) => decode(v, plus));
  if (shape === 'object') return explode ? assignments(text.split(sep), plus) : pairsToObject(text.split(sep), plus);
  return decode(text, plus);
}
