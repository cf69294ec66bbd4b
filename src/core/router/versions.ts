// API versions as a routing condition: which version a request names (a header, a query
// parameter, or the Accept media type), read once per request and selector. A versioned route
// accepts a request naming its version, or naming none when it is the default version.

export type VersionSelector =
  | { readonly by: 'header'; readonly name: string }
  | { readonly by: 'query'; readonly name: string }
  /** The Accept media type around the version: application/vnd.example.v + {version} + +json. */
  | { readonly by: 'media-type'; readonly prefix: string; readonly suffix: string };

export interface VersionCondition {
  readonly selector: VersionSelector;
  readonly name: string;
  readonly isDefault: boolean;
}

export function selectorKey(s: VersionSelector): string {
  return s.by === 'media-type' ? `media-type:${s.prefix}{version}${s.suffix}` : `${s.by}:${s.name}`;
}

/** A media_type template ("application/vnd.example.v{version}+json") as a selector. */
export function mediaTypeSelector(template: string): VersionSelector {
  const at = template.indexOf('{version}');
  return { by: 'media-type', prefix: template.slice(0, at).toLowerCase(), suffix: template.slice(at + '{version}'.length).toLowerCase() };
}

const MAX_VERSION_LENGTH = 64;

/** The version the request names for this selector, or undefined when it names none. */
export function versionOf(s: VersionSelector, header: (name: string) => string | string[] | undefined, query: string): string | undefined {
  switch (s.by) {
    case 'header': {
      const v = header(s.name);
      const text = (Array.isArray(v) ? v[0] : v)?.trim();
      return text === undefined || text === '' ? undefined : text;
    }
    case 'query': return queryParam(query, s.name);
    case 'media-type': {
      const accept = header('accept');
      const text = Array.isArray(accept) ? accept.join(',') : accept;
      if (text === undefined) return undefined;
      for (const range of text.split(',')) {
        const type = range.split(';', 1)[0]!.trim().toLowerCase();
        if (type.length <= s.prefix.length + s.suffix.length || !type.startsWith(s.prefix) || !type.endsWith(s.suffix)) continue;
        const v = type.slice(s.prefix.length, type.length - s.suffix.length);
        if (v.length <= MAX_VERSION_LENGTH && !v.includes('/')) return v;
      }
      return undefined;
    }
  }
}

function queryParam(query: string, name: string): string | undefined {
  if (query.length <= 1) return undefined;
  for (const pair of query.slice(1).split('&')) {
    const eq = pair.indexOf('=');
    if ((eq === -1 ? pair : pair.slice(0, eq)) !== name) continue;
    const raw = eq === -1 ? '' : pair.slice(eq + 1);
    if (raw === '' || raw.length > MAX_VERSION_LENGTH * 3) return undefined;
    try {
      return decodeURIComponent(raw.replaceAll('+', ' '));
    } catch {
      return raw;
    }
  }
  return undefined;
}
