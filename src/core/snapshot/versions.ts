// Route versions at snapshot time: the router condition of each versioned route, its lifecycle
// headers (Deprecation RFC 9745, Sunset RFC 8594, Link) computed once, and the checks that make
// a set of versions unambiguous.
import { pointerToPath, type ConfigIssue } from '../config/errors.ts';
import type { RouteConfig, RouteVersion } from '../config/schema.ts';
import { mediaTypeSelector, selectorKey, type VersionCondition, type VersionSelector } from '../router/versions.ts';

export interface RouteLifecycle {
  /** Added to every answer of the version (upstream responses, plugin answers, errors). */
  readonly headers: Readonly<Record<string, string>>;
  /** The same as a flat [name, value, …] list for writeHead. */
  readonly list: readonly string[];
  /** Epoch ms from which the version answers 410 version-sunset. */
  readonly sunsetAt: number | undefined;
}

function selectorOf(v: RouteVersion): VersionSelector | undefined {
  switch (v.by) {
    case 'path': return undefined;
    case 'header': return { by: 'header', name: v.header.toLowerCase() };
    case 'query': return { by: 'query', name: v.query };
    case 'media-type': return v.media_type === undefined ? undefined : mediaTypeSelector(v.media_type);
  }
}

export function versionCondition(route: RouteConfig): VersionCondition | undefined {
  const v = route.version;
  const selector = v === undefined ? undefined : selectorOf(v);
  return selector === undefined ? undefined : { selector, name: v!.name, isDefault: v!.default };
}

export function lifecycleOf(v: RouteVersion | undefined): RouteLifecycle | undefined {
  if (v === undefined || (v.deprecated_at === undefined && v.sunset_at === undefined && v.link === undefined)) return undefined;
  const headers: Record<string, string> = {};
  // RFC 9745: a Structured Field Date, "@" and Unix seconds.
  if (v.deprecated_at !== undefined) headers.deprecation = `@${Math.floor(Date.parse(v.deprecated_at) / 1000)}`;
  // RFC 8594: an HTTP-date (IMF-fixdate).
  if (v.sunset_at !== undefined) headers.sunset = new Date(Date.parse(v.sunset_at)).toUTCString();
  const links: string[] = [];
  if (v.link !== undefined) links.push(`<${v.link}>; rel="deprecation"`);
  if (v.sunset_link !== undefined) links.push(`<${v.sunset_link}>; rel="sunset"`);
  if (links.length > 0) headers.link = links.join(', ');
  return Object.freeze({
    headers: Object.freeze(headers),
    list: Object.freeze(Object.entries(headers).flat()),
    sunsetAt: v.sunset_at === undefined ? undefined : Date.parse(v.sunset_at),
  });
}

/**
 * Rejects what would make versions ambiguous or wrong: dates out of order, a default on a path
 * version, a media-type version without its template, and, among routes that match the same
 * requests (same hosts, paths and methods), different selectors, a version named twice, or more
 * than one default.
 */
export function checkVersions(routes: readonly RouteConfig[], issues: ConfigIssue[]): void {
  const at = (i: number, field: string, message: string) => {
    const pointer = `/routes/${i}/version${field}`;
    issues.push({ pointer, path: pointerToPath(pointer), message });
  };
  const groups = new Map<string, { index: number; version: RouteVersion }[]>();
  routes.forEach((route, i) => {
    const v = route.version;
    if (v === undefined) return;
    if (v.deprecated_at !== undefined && v.sunset_at !== undefined && Date.parse(v.sunset_at) < Date.parse(v.deprecated_at)) at(i, '/sunset_at', 'must not be before deprecated_at');
    if (v.by === 'path' && v.default) at(i, '/default', 'a path version cannot be the default: give the route the unversioned paths too, or use another selector');
    if (v.by === 'media-type' && v.media_type === undefined) at(i, '/media_type', 'by: media-type needs media_type, e.g. application/vnd.example.v{version}+json');
    const key = JSON.stringify([[...route.hosts].sort(), [...route.paths].sort(), [...route.methods].sort(), route.priority]);
    const list = groups.get(key) ?? [];
    list.push({ index: i, version: v });
    groups.set(key, list);
  });
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    const first = list[0]!;
    const firstSelector = selectorOf(first.version);
    const names = new Map<string, number>();
    let defaultAt: number | undefined;
    for (const { index, version } of list) {
      const selector = selectorOf(version);
      if (version.by === 'path') continue;
      if (firstSelector === undefined || selector === undefined || selectorKey(selector) !== selectorKey(firstSelector)) {
        at(index, '/by', `routes with the same hosts, paths and methods must select their version the same way (route "${routes[first.index]!.name}" uses ${first.version.by}${firstSelector ? ` ${selectorKey(firstSelector)}` : ''})`);
        continue;
      }
      const seen = names.get(version.name);
      if (seen !== undefined) at(index, '/name', `version "${version.name}" is also served by route "${routes[seen]!.name}" on the same paths`);
      else names.set(version.name, index);
      if (version.default) {
        if (defaultAt !== undefined) at(index, '/default', `route "${routes[defaultAt]!.name}" is already the default version for these paths`);
        else defaultAt = index;
      }
    }
  }
}
