// Origins as CORS sees them (RFC 6454 serialisation: scheme "://" host [":" port], nothing
// else) and the configured rules they are matched against. Matching works on a normalised form
// (lower-case scheme and host, no default port), so "HTTPS://App.Example.com:443" is
// "https://app.example.com"; anything that does not parse strictly never matches.
import safeRegex from 'safe-regex2';

export interface Origin {
  readonly scheme: string;
  readonly host: string;
  /** Decimal port without leading zeros, or "" for the scheme's default. */
  readonly port: string;
  /** The normalised serialisation, what `~regex` rules see. */
  readonly serialized: string;
}

export interface WildcardRule {
  readonly scheme: string;
  /** ".example.com" for "https://*.example.com". */
  readonly suffix: string;
  readonly port: string;
}

export interface OriginPolicy {
  /** `origins: ["*"]`. */
  readonly any: boolean;
  readonly exact: ReadonlySet<string>;
  readonly wildcards: readonly WildcardRule[];
  readonly patterns: readonly RegExp[];
  readonly allowNull: boolean;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', ws: '80', wss: '443' };
const MAX_HOST_LENGTH = 253;
const MAX_REGEX_LENGTH = 1024;
// Host: an IP literal in brackets, or dot-separated labels (no empty label, so no leading,
// trailing or doubled dot). No userinfo, path, query or fragment can get past the "$".
const ORIGIN_SYNTAX = /^([A-Za-z][A-Za-z0-9+.-]{0,31}):\/\/(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*)(?::([0-9]{1,5}))?$/;
/**
 * Origins no real site has (".invalid" is reserved, RFC 6761). A `~regex` that accepts them
 * accepts anything, which must be said with `["*"]` (and then cannot carry credentials).
 */
const PROBES = ['https://attacker.invalid', 'http://attacker.invalid', 'https://attacker.invalid:8443', 'https://a.b.attacker.invalid'];

/** Parses an Origin header value or a configured origin; undefined unless it is exactly an origin. */
export function parseOrigin(text: string): Origin | undefined {
  const m = ORIGIN_SYNTAX.exec(text);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  const host = m[2]!.toLowerCase();
  if (host.length > MAX_HOST_LENGTH) return undefined;
  let port = '';
  if (m[3] !== undefined) {
    const n = Number(m[3]);
    if (n > 65535) return undefined;
    port = String(n) === DEFAULT_PORTS[scheme] ? '' : String(n);
  }
  return { scheme, host, port, serialized: `${scheme}://${host}${port === '' ? '' : `:${port}`}` };
}

function compileWildcard(text: string): WildcardRule | string {
  const m = /^([^:/]+):\/\/\*\.(.*)$/.exec(text);
  if (!m) return 'a wildcard must be a whole leading label, as in "https://*.example.com"';
  const parent = parseOrigin(`${m[1]}://${m[2]}`);
  if (!parent) return 'is not a wildcard origin ("https://*.example.com", no path or trailing slash)';
  if (parent.host.startsWith('[')) return 'a wildcard needs a domain name, not an IP address';
  // "*.com" or "*.localhost" would take in whole top-level domains.
  if (!parent.host.includes('.')) return 'a wildcard needs a parent domain of at least two labels ("*.example.com")';
  return { scheme: parent.scheme, suffix: `.${parent.host}`, port: parent.port };
}

function compilePattern(source: string): RegExp | string {
  if (source.length === 0 || source.length > MAX_REGEX_LENGTH) return `a regular expression must have 1 to ${MAX_REGEX_LENGTH} characters`;
  let regex: RegExp;
  try {
    // Anchored as a whole, so "https://a\.example\.com" cannot match "https://a.example.com.evil.io"
    // and "^x|y" cannot match "y" anywhere.
    regex = new RegExp(`^(?:${source})$`);
  } catch {
    return 'is not a valid regular expression';
  }
  // Config regexes run on every request's Origin: refuse any with catastrophic backtracking.
  if (!safeRegex(regex, { limit: 25 })) return 'regular expression may backtrack catastrophically (nested quantifiers)';
  const probe = PROBES.find((p) => regex.test(p));
  if (probe) return `regular expression accepts any origin (even ${probe}); use ["*"] to allow every origin`;
  return regex;
}

/** Builds the matcher for `origins`; returns a message naming the bad entry. */
export function compileOriginPolicy(entries: readonly string[], allowNull: boolean): OriginPolicy | string {
  if (entries.includes('*')) {
    if (entries.length > 1) return 'origins: "*" must be the only entry';
    return { any: true, exact: new Set(), wildcards: [], patterns: [], allowNull };
  }
  const exact = new Set<string>();
  const wildcards: WildcardRule[] = [];
  const patterns: RegExp[] = [];
  for (const [i, text] of entries.entries()) {
    const fail = (why: string) => `origins[${i}] "${text.slice(0, 80)}": ${why}`;
    if (text.toLowerCase() === 'null') return fail('the opaque origin "null" is enabled with allow_null_origin, not listed');
    if (text.startsWith('~')) {
      const regex = compilePattern(text.slice(1));
      if (typeof regex === 'string') return fail(regex);
      patterns.push(regex);
    } else if (text.includes('*')) {
      const rule = compileWildcard(text);
      if (typeof rule === 'string') return fail(rule);
      wildcards.push(rule);
    } else {
      const origin = parseOrigin(text);
      if (!origin) return fail('is not an origin (scheme://host[:port], no path or trailing slash)');
      exact.add(origin.serialized);
    }
  }
  return { any: false, exact, wildcards, patterns, allowNull };
}

function matchesWildcard(o: Origin, w: WildcardRule): boolean {
  // Hosts have no empty labels, so a longer host ending in ".example.com" has at least one
  // whole label in front: "example.com" itself and "notexample.com" do not match.
  return o.scheme === w.scheme && o.port === w.port && o.host.length > w.suffix.length && o.host.endsWith(w.suffix);
}

/** Whether a request's Origin header value is allowed by the policy. */
export function isOriginAllowed(policy: OriginPolicy, value: string): boolean {
  // Sandboxed iframes, file: pages and some redirects all send "null": any site can produce it.
  if (value === 'null') return policy.allowNull;
  const origin = parseOrigin(value);
  if (!origin) return false;
  if (policy.any || policy.exact.has(origin.serialized)) return true;
  for (const w of policy.wildcards) if (matchesWildcard(origin, w)) return true;
  for (const r of policy.patterns) if (r.test(origin.serialized)) return true;
  return false;
}
