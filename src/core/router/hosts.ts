// Host patterns: exact ("api.example.com"), leading wildcard ("*.example.com": any deeper name),
// trailing wildcard ("example.*"). Matched against the Host header, lower-cased, port removed
// unless the pattern names one.

export interface HostMatcher {
  /** 2 = matched by an exact name, 1 = by a wildcard; used for the match order. */
  readonly specificity: 1 | 2;
  matches(host: string, hostWithPort: string): boolean;
}

export function compileHosts(patterns: readonly string[]): HostMatcher[] {
  const exact = patterns.filter((p) => !p.includes('*')).map((p) => p.toLowerCase());
  const wild = patterns.filter((p) => p.includes('*')).map((p) => p.toLowerCase());
  const matchers: HostMatcher[] = [];
  if (exact.length > 0) {
    const withPort = new Set(exact.filter((h) => h.includes(':')));
    const bare = new Set(exact.filter((h) => !h.includes(':')));
    matchers.push({ specificity: 2, matches: (host, hostWithPort) => bare.has(host) || withPort.has(hostWithPort) });
  }
  if (wild.length > 0) {
    const suffixes = wild.filter((p) => p.startsWith('*.')).map((p) => p.slice(1)); // ".example.com"
    const prefixes = wild.filter((p) => p.endsWith('.*')).map((p) => p.slice(0, -1)); // "example."
    matchers.push({
      specificity: 1,
      matches: (host) => suffixes.some((s) => host.length > s.length && host.endsWith(s)) || prefixes.some((p) => host.length > p.length && host.startsWith(p)),
    });
  }
  return matchers;
}

/** "Api.Example.com:8080" → ["api.example.com", "api.example.com:8080"]. */
export function splitHost(header: string | undefined): [string, string] {
  if (!header) return ['', ''];
  const lower = header.toLowerCase();
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    return [lower.slice(0, end + 1), lower];
  }
  const colon = lower.indexOf(':');
  return [colon === -1 ? lower : lower.slice(0, colon), lower];
}
