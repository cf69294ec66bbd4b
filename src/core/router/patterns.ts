// Route path patterns, parsed once at snapshot time:
//   "/api"            prefix, on segment boundaries: /api, /api/, /api/x (not /apix)
//   "=/health"        exact
//   "/ships/{id}"     template: whole-segment parameters, exact segment count
//   "~^/v[0-9]+/x"    regular expression, anchored at the start; named groups become params
import safeRegex from 'safe-regex2';

export type PathPattern =
  | { kind: 'exact'; path: string }
  | { kind: 'prefix'; prefix: string }
  | { kind: 'template'; segments: readonly TemplateSegment[]; literalLength: number }
  | { kind: 'regex'; regex: RegExp; source: string };

export type TemplateSegment = { param: string } | { literal: string };

const MAX_REGEX_LENGTH = 1024;
const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]{0,63})\}$/;

/**
 * A literal path must be what normalisation produces, or it could never match: no dot segments,
 * doubled slashes, ";", "?", "#", spaces; escapes only as upper-case %XX of reserved or non-ASCII
 * bytes (normalisation decodes unreserved ones, e.g. %7E is "~").
 */
function isNormalizedPath(path: string): boolean {
  if (!path.startsWith('/') || /\/\/|\/\.\.?(\/|$)|[\\?#;\s]/.test(path)) return false;
  for (const m of path.matchAll(/%(.{0,2})/g)) {
    const hex = m[1]!;
    if (!/^[0-9A-F]{2}$/.test(hex)) return false;
    const code = parseInt(hex, 16);
    if (/[A-Za-z0-9._~-]/.test(String.fromCharCode(code)) || code === 0x2f || code === 0x5c || code === 0) return false;
  }
  return true;
}

/** Parses one configured path; returns an error message for the user instead of throwing. */
export function parsePathPattern(text: string): PathPattern | string {
  if (text.startsWith('~')) {
    const source = text.slice(1);
    if (source.length === 0 || source.length > MAX_REGEX_LENGTH) return `a regular expression must have 1 to ${MAX_REGEX_LENGTH} characters`;
    let regex: RegExp;
    try {
      // Always anchored as a whole: "^/a|/b" must not match "/b" anywhere in the path.
      regex = new RegExp(`^(?:${source.startsWith('^') ? source.slice(1) : source})`);
    } catch {
      return 'is not a valid regular expression';
    }
    // Tenant-typed regexes are hostile input: refuse any with catastrophic backtracking.
    if (!safeRegex(regex, { limit: 25 })) return 'regular expression may backtrack catastrophically (nested quantifiers)';
    return { kind: 'regex', regex, source };
  }
  if (text.startsWith('=')) {
    const path = text.slice(1);
    if (!isNormalizedPath(path)) return 'an exact path must be a normalised absolute path ("=/status")';
    return { kind: 'exact', path };
  }
  if (!isNormalizedPath(text.replace(/\{[^}]*\}/g, 'x'))) return 'must be a normalised absolute path such as "/shipments" or "/shipments/{id}"';
  if (text.includes('{') || text.includes('}')) {
    const segments: TemplateSegment[] = [];
    const names = new Set<string>();
    let literalLength = 0;
    for (const part of text.slice(1).split('/')) {
      const m = PARAM.exec(part);
      if (m) {
        if (names.has(m[1]!)) return `parameter "${m[1]}" appears twice`;
        names.add(m[1]!);
        segments.push({ param: m[1]! });
      } else if (part.includes('{') || part.includes('}')) {
        return 'a parameter must fill a whole segment, like "/shipments/{id}"';
      } else {
        segments.push({ literal: part });
        literalLength += part.length + 1;
      }
    }
    return { kind: 'template', segments, literalLength };
  }
  const prefix = text.length > 1 && text.endsWith('/') ? text.slice(0, -1) : text;
  return { kind: 'prefix', prefix: prefix === '/' ? '' : prefix };
}
