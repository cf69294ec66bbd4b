// Query parameters read and removed without re-encoding the rest: credentials taken out of a
// query must leave every other parameter byte for byte as the client sent it.

/** The value of query parameter `name` (decoded), or undefined. */
export function queryParam(query: string, name: string): string | undefined {
  if (query.length <= 1) return undefined;
  for (const part of query.slice(1).split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (safeDecode(key) !== name) continue;
    return eq < 0 ? '' : safeDecode(part.slice(eq + 1));
  }
  return undefined;
}

/** The query without parameter `name`; other parameters keep their exact encoding. */
export function withoutQueryParam(query: string, name: string): string {
  if (query.length <= 1) return query;
  const kept = query.slice(1).split('&').filter((part) => {
    const eq = part.indexOf('=');
    return safeDecode(eq < 0 ? part : part.slice(0, eq)) !== name;
  });
  return kept.length === 0 ? '' : `?${kept.join('&')}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
