// The Origin allow-list of a WebSocket route, compiled once per snapshot. Browsers send Origin
// on every WebSocket handshake and page scripts cannot forge it, so the list is what stops another
// site's page from opening a connection with a visitor's cookies (cross-site WebSocket hijacking).

/** Whether a handshake's Origin header value may connect. */
export type OriginCheck = (origin: string | undefined) => boolean;

const ANY: OriginCheck = () => true;

/**
 * Entries: "*" (anything), an exact origin ("https://app.example.com", with a port if not the
 * default), a wildcard subdomain ("https://*.example.com": any depth, not the bare domain), or
 * "null" (sandboxed documents). An empty list accepts every origin and none.
 */
export function compileOrigins(entries: readonly string[]): OriginCheck {
  if (entries.length === 0 || entries.includes('*')) return ANY;
  const exact = new Set<string>();
  const suffixes: { scheme: string; suffix: string }[] = [];
  for (const entry of entries) {
    const lower = entry.toLowerCase();
    const star = lower.indexOf('://*.');
    if (star === -1) exact.add(withoutDefaultPort(lower));
    else suffixes.push({ scheme: lower.slice(0, star + 3), suffix: withoutDefaultPort(lower.slice(star + 4)) });
  }
  return (origin) => {
    if (origin === undefined) return false;
    const o = withoutDefaultPort(origin.toLowerCase());
    if (exact.has(o)) return true;
    for (const { scheme, suffix } of suffixes) {
      // "https://*.example.com" matches "https://a.example.com", never "https://evil-example.com".
      if (o.startsWith(scheme) && o.endsWith(suffix) && o.length > scheme.length + suffix.length) return true;
    }
    return false;
  };
}

/** "https://a.example.com:443" and "https://a.example.com" name the same origin. */
function withoutDefaultPort(origin: string): string {
  if (origin.startsWith('https://') && origin.endsWith(':443')) return origin.slice(0, -4);
  if (origin.startsWith('http://') && origin.endsWith(':80')) return origin.slice(0, -3);
  return origin;
}
