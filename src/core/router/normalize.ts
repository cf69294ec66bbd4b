// Normalises the request target once, before routing: the path that routing (and so every
// access decision) sees is exactly the path forwarded upstream (RELIABILITY.md, "the path that
// auth decides on"). Rules, in order:
//   - origin-form only ("/..."); absolute-form, asterisk-form and fragments are refused;
//   - percent-encoded unreserved characters (A-Z a-z 0-9 - . _ ~) are decoded, other escapes
//     have their hex upper-cased; malformed escapes, %00, encoded "/" and "\" are refused;
//   - a literal "\" is refused; ";" is refused unless the gateway is set to keep it;
//   - duplicate slashes are merged and "." / ".." segments resolved; climbing above "/" is refused.

export type NormalizeResult =
  | { ok: true; path: string; query: string }
  | { ok: false; reason: 'absolute-form' | 'invalid-path' };

export interface NormalizeOptions {
  keepSemicolons: boolean;
}

const HEX = /^[0-9A-Fa-f]{2}$/;
// Anything that needs the slow path: escapes, dots after a slash, doubled slashes, ";", "\".
const NEEDS_WORK = /%|\/\.|\/\/|;|\\|#/;

function isUnreserved(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e;
}

export function normalizeTarget(target: string, opts: NormalizeOptions): NormalizeResult {
  if (target.charCodeAt(0) !== 0x2f /* / */) {
    return { ok: false, reason: /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(target) ? 'absolute-form' : 'invalid-path' };
  }
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);
  if (query.includes('#')) return { ok: false, reason: 'invalid-path' };
  if (!NEEDS_WORK.test(rawPath)) return { ok: true, path: rawPath, query };
  const path = normalizePath(rawPath, opts);
  return path === undefined ? { ok: false, reason: 'invalid-path' } : { ok: true, path, query };
}

function decodeUnreserved(rawPath: string, opts: NormalizeOptions): string | undefined {
  let out = '';
  for (let i = 0; i < rawPath.length; i++) {
    const ch = rawPath[i]!;
    if (ch === '\\' || ch === '#') return undefined;
    if (ch === ';' && !opts.keepSemicolons) return undefined;
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const hex = rawPath.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return undefined;
    const code = parseInt(hex, 16);
    if (code === 0 || code === 0x2f || code === 0x5c) return undefined; // NUL, "/", "\"
    if (code === 0x3b && !opts.keepSemicolons) return undefined; // ";" hidden as %3B
    out += isUnreserved(code) ? String.fromCharCode(code) : `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

function normalizePath(rawPath: string, opts: NormalizeOptions): string | undefined {
  const decoded = decodeUnreserved(rawPath, opts);
  if (decoded === undefined) return undefined;
  const trailingSlash = decoded.length > 1 && decoded.endsWith('/');
  const out: string[] = [];
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length === 0) return undefined;
      out.pop();
      continue;
    }
    out.push(segment);
  }
  const joined = '/' + out.join('/');
  return trailingSlash && joined !== '/' ? joined + '/' : joined;
}
