// OpenAPI path templates → Portcullis route paths (docs/routing.md).
//
//   /labels                 → =/labels          exact: a prefix "/labels" would also take /labels/x
//   /labels/{id}            → /labels/{id}      template: one segment per parameter, exact count
//   /labels/{id}.pdf        → ~/labels/(?<id>[^/]+)\.pdf$   a parameter inside a segment needs a regex
//
// OpenAPI matches concrete paths before templated ones; Portcullis ranks exact > template > regex,
// which agrees except where a template could take a request meant for a regex path
// (/labels/{id} would take /labels/7.pdf). Such a template becomes a regex that excludes the
// regex paths it overlaps, so the two never compete.
import { parsePathPattern } from '../../core/router/patterns.ts';

export type PathPart = { readonly literal: string } | { readonly param: string };
/** A path as segments; each segment is a run of literal text and parameters. */
export type Segments = readonly (readonly PathPart[])[];

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Kept as they are in a literal; everything else is percent-encoded the way a client sends it. */
const PLAIN = /[A-Za-z0-9\-._~!$&'()*+,=:@]/;

/**
 * Splits an OpenAPI path into segments, with literals in the form request normalisation produces
 * (so they can match) and parameter names made valid for Portcullis. Returns a reason on failure.
 */
export function parseOpenApiPath(path: string): Segments | string {
  if (!path.startsWith('/')) return 'does not start with "/"';
  if (/[?#]/.test(path)) return 'contains "?" or "#"';
  const names = new Set<string>();
  const segments: PathPart[][] = [];
  const raw = path.slice(1).split('/');
  for (const [i, text] of raw.entries()) {
    if (text === '' && i < raw.length - 1) return 'contains an empty segment ("//")';
    if (text === '.' || text === '..') return 'contains a "." or ".." segment';
    const parts: PathPart[] = [];
    let rest = text;
    while (rest !== '') {
      const open = rest.indexOf('{');
      const close = rest.indexOf('}');
      if (open === -1 && close === -1) {
        parts.push({ literal: rest });
        break;
      }
      if (open === -1 || close < open) return 'has a "}" without its "{"';
      if (close === -1) return 'has a "{" without its "}"';
      if (open > 0) parts.push({ literal: rest.slice(0, open) });
      const name = rest.slice(open + 1, close);
      if (name === '' || name.includes('{')) return 'has an empty or nested "{…}"';
      parts.push({ param: paramName(name, names) });
      rest = rest.slice(close + 1);
    }
    const normalised: PathPart[] = [];
    for (const part of parts) {
      if ('param' in part) {
        normalised.push(part);
        continue;
      }
      const literal = normaliseLiteral(part.literal);
      if (literal === undefined) return `segment "${text}" cannot be matched (";", "\\", a bad %-escape or an encoded "/")`;
      normalised.push({ literal });
    }
    segments.push(normalised.length > 0 ? normalised : [{ literal: '' }]);
  }
  return segments;
}

/** A Portcullis parameter name (route parameters are `[A-Za-z_][A-Za-z0-9_]*`), unique in its path. */
function paramName(name: string, taken: Set<string>): string {
  let base = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(base)) base = `_${base}`;
  base = base.slice(0, 60);
  let candidate = base;
  for (let n = 2; taken.has(candidate); n++) candidate = `${base}_${n}`;
  taken.add(candidate);
  return candidate;
}

/** The literal as request normalisation leaves it; undefined if no normalised request could match it. */
function normaliseLiteral(text: string): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      const decoded = String.fromCharCode(parseInt(hex, 16));
      if (/[\0/\\;]/.test(decoded)) return undefined;
      out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
      i += 2;
    } else if (ch === ';' || ch === '\\') {
      return undefined;
    } else if (PLAIN.test(ch)) {
      out += ch;
    } else {
      const cp = text.codePointAt(i)!;
      const char = String.fromCodePoint(cp);
      out += [...Buffer.from(char, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
      i += char.length - 1;
    }
  }
  return out;
}

export type PathKind = 'exact' | 'template' | 'regex';

export function kindOf(segments: Segments): PathKind {
  if (segments.every((s) => s.every((p) => 'literal' in p))) return 'exact';
  return segments.every((s) => s.length === 1) ? 'template' : 'regex';
}

/** Literal segments (a path prefix such as "/carrier") put in front of a path. */
export function prefixed(prefix: string, segments: Segments): Segments {
  if (prefix === '' || prefix === '/') return segments;
  return [...prefix.slice(1).split('/').map((literal) => [{ literal }]), ...segments];
}

/** The path as a request path, with parameters as `{name}` (the request-transformer uri form). */
export function renderTemplate(segments: Segments): string {
  return `/${segments.map((s) => s.map((p) => ('param' in p ? `{${p.param}}` : p.literal)).join('')).join('/')}`;
}

const escapeRegex = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/]/g, (c) => (c === '/' ? c : `\\${c}`));

function segmentRegex(segment: readonly PathPart[], capture: boolean): string {
  return segment.map((p) => ('param' in p ? (capture ? `(?<${p.param}>[^/]+)` : '[^/]+') : escapeRegex(p.literal))).join('');
}

/**
 * The route path for a converted OpenAPI path. `excluded` are regex-kind paths this template must
 * not take (see overlaps()); a template with exclusions becomes a regex.
 */
export function routePath(segments: Segments, excluded: readonly Segments[] = []): string {
  const kind = kindOf(segments);
  if (kind === 'exact') return `=${renderTemplate(segments)}`;
  if (kind === 'template' && excluded.length === 0) return renderTemplate(segments);
  // The lookahead goes after the leading literal segments, so the router can still index the
  // regex by them (it looks for literal "/segment/" runs at the start).
  const lead = segments.findIndex((s) => s.some((p) => 'param' in p));
  const exclusion = excluded.length === 0 ? '' : `(?!${excluded.map((x) => `${x.slice(lead).map((s) => segmentRegex(s, false)).join('/')}$`).join('|')})`;
  const head = segments.slice(0, lead).map((s) => `${segmentRegex(s, true)}/`).join('');
  const tail = segments.slice(lead).map((s) => segmentRegex(s, true)).join('/');
  return `~/${head}${exclusion}${tail}$`;
}

/** Whether a template and a regex-kind path could match the same request path. */
export function overlaps(template: Segments, regexPath: Segments): boolean {
  if (template.length !== regexPath.length) return false;
  return template.every((segment, i) => {
    const t = segment[0]!;
    if ('param' in t) return true;
    const other = regexPath[i]!;
    if (other.length === 1 && 'literal' in other[0]!) return other[0].literal === t.literal;
    return t.literal !== '' && new RegExp(`^${segmentRegex(other, false)}$`).test(t.literal);
  });
}

/** The router's own verdict on a generated path (undefined if it accepts it). */
export function pathProblem(path: string): string | undefined {
  const parsed = parsePathPattern(path);
  return typeof parsed === 'string' ? parsed : undefined;
}
