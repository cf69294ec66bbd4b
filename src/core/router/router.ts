// The router, compiled once per snapshot. Match order (docs/routing.md) is a total order over
// (route, path) entries, fixed at compile time as a rank:
//   1. higher `priority` first
//   2. host: exact name > wildcard > no host condition
//   3. path kind: exact > template > regex > prefix (a route without paths acts as prefix "/")
//   4. longer literal path first (the regex source length for regexes)
//   5. routes with a method condition, then with a version condition, then with more header conditions,
//      then with a further condition (a SOAP operation)
//   6. declaration order
// At match time every index yields its candidates; the accepted one with the lowest rank wins.
import { ConfigError, type ConfigIssue } from '../config/errors.ts';
import { pointerToPath } from '../config/errors.ts';
import { compileHosts, splitHost, type HostMatcher } from './hosts.ts';
import { parsePathPattern, type PathPattern, type TemplateSegment } from './patterns.ts';
import { selectorKey, versionOf, type VersionCondition, type VersionSelector } from './versions.ts';

export interface RouteDefinition<T> {
  readonly value: T;
  readonly hosts: readonly string[];
  readonly paths: readonly string[];
  readonly methods: readonly string[];
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly priority: number;
  /** The API version this route serves, selected by header, query parameter or media type. */
  readonly version?: VersionCondition | undefined;
  /**
   * A further condition on the request headers (e.g. the SOAP operation a request declares);
   * among otherwise equal routes, one with a condition is tried first.
   */
  readonly condition?: ((header: HeaderSource) => boolean) | undefined;
}

export interface RouteMatch<T> {
  readonly value: T;
  /** Template and named-group parameters (still percent-encoded). */
  readonly params: Readonly<Record<string, string>>;
  /** Length of the path prefix that `strip_path` removes. */
  readonly matchedLength: number;
}

interface Entry<T> {
  rank: number;
  readonly value: T;
  readonly pattern: PathPattern;
  readonly host: HostMatcher | undefined;
  readonly methods: ReadonlySet<string> | undefined;
  readonly headers: readonly (readonly [string, readonly string[]])[];
  /** Index into the router's selectors, the version name, and whether it takes unversioned requests. */
  readonly version: { readonly selector: number; readonly name: string; readonly isDefault: boolean } | undefined;
  readonly condition: ((header: HeaderSource) => boolean) | undefined;
  readonly sortKey: readonly number[];
}

interface TrieNode<T> {
  readonly literal: Map<string, TrieNode<T>>;
  param: TrieNode<T> | undefined;
  readonly entries: Entry<T>[];
}

const KIND_RANK = { exact: 4, template: 3, regex: 2, prefix: 1 } as const;
const newNode = <T>(): TrieNode<T> => ({ literal: new Map(), param: undefined, entries: [] });
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

export interface HeaderSource {
  (name: string): string | string[] | undefined;
}

export class Router<T> {
  private readonly exact = new Map<string, Entry<T>[]>();
  private readonly prefix = new Map<string, Entry<T>[]>();
  /** Distinct prefix lengths, longest first: a path is only cut where some prefix could match. */
  private prefixLengths: number[] = [];
  private readonly templates = newNode<T>();
  /** Regex routes whose pattern starts with literal segments, by those segments ("/api/v1"). */
  private readonly regexByPrefix = new Map<string, Entry<T>[]>();
  private regexPrefixLengths: number[] = [];
  /** Regex routes that could match any first segment. */
  private readonly regexAny: Entry<T>[] = [];
  /** Distinct version selectors of the versioned routes (usually none or one). */
  private readonly selectors: VersionSelector[] = [];
  readonly size: number;

  constructor(definitions: readonly RouteDefinition<T>[], pointerBase = '/routes') {
    const issues: ConfigIssue[] = [];
    const entries: Entry<T>[] = [];
    definitions.forEach((def, routeIndex) => {
      const hostGroups: (HostMatcher | undefined)[] = def.hosts.length > 0 ? compileHosts(def.hosts) : [undefined];
      const patterns: PathPattern[] = [];
      if (def.paths.length === 0) patterns.push({ kind: 'prefix', prefix: '' });
      def.paths.forEach((text, pathIndex) => {
        const parsed = parsePathPattern(text);
        if (typeof parsed === 'string') {
          const pointer = `${pointerBase}/${routeIndex}/paths/${pathIndex}`;
          issues.push({ pointer, path: pointerToPath(pointer), message: parsed });
        } else patterns.push(parsed);
      });
      const methods = def.methods.length > 0 ? new Set(def.methods) : undefined;
      const headers = Object.entries(def.headers).map(([k, v]) => [k.toLowerCase(), v] as const);
      const version = def.version === undefined ? undefined : { selector: this.selectorIndex(def.version.selector), name: def.version.name, isDefault: def.version.isDefault };
      const condition = def.condition;
      patterns.forEach((pattern, pathIndex) => {
        for (const host of hostGroups) {
          entries.push({
            rank: 0, value: def.value, pattern, host, methods, headers, version, condition,
            sortKey: [-def.priority, -(host?.specificity ?? 0), -KIND_RANK[pattern.kind], -literalLength(pattern), methods ? 0 : 1, version ? 0 : 1, -headers.length, condition ? 0 : 1, routeIndex, pathIndex],
          });
        }
      });
    });
    if (issues.length > 0) throw new ConfigError(issues);
    entries.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
    entries.forEach((e, i) => { e.rank = i; });
    for (const e of entries) this.index(e);
    this.prefixLengths = [...new Set([...this.prefix.keys()].map((k) => k.length))].sort((a, b) => b - a);
    this.regexPrefixLengths = [...new Set([...this.regexByPrefix.keys()].map((k) => k.length))].sort((a, b) => b - a);
    this.size = definitions.length;
  }

  private selectorIndex(selector: VersionSelector): number {
    const key = selectorKey(selector);
    const known = this.selectors.findIndex((s) => selectorKey(s) === key);
    if (known !== -1) return known;
    this.selectors.push(selector);
    return this.selectors.length - 1;
  }

  private index(e: Entry<T>): void {
    const p = e.pattern;
    switch (p.kind) {
      case 'exact': push(this.exact, p.path, e); break;
      case 'prefix': push(this.prefix, p.prefix, e); break;
      case 'regex': {
        const prefix = literalSegmentPrefix(p.source);
        if (prefix === undefined) this.regexAny.push(e);
        else push(this.regexByPrefix, prefix, e);
        break;
      }
      case 'template': {
        let node = this.templates;
        for (const seg of p.segments) node = 'param' in seg ? (node.param ??= newNode()) : getOrAdd(node.literal, seg.literal);
        node.entries.push(e);
        break;
      }
    }
  }

  /** `query`: the raw query string with its "?" (or ""), read only by query-selected versions. */
  match(method: string, hostHeader: string | undefined, path: string, header: HeaderSource, query = ''): RouteMatch<T> | undefined {
    const [host, hostWithPort] = splitHost(hostHeader);
    let best: Entry<T> | undefined;
    let bestParams: Record<string, string> | undefined;
    let bestLength = 0;
    // The version a request names, per selector: read on first need (most routers have none).
    let versions: (string | null)[] | undefined;
    const versionAccepts = (v: NonNullable<Entry<T>['version']>): boolean => {
      versions ??= Array.from<string | null | undefined>({ length: this.selectors.length }) as (string | null)[];
      let named = versions[v.selector];
      if (named === undefined) named = versions[v.selector] = versionOf(this.selectors[v.selector]!, header, query) ?? null;
      return named === null ? v.isDefault : named === v.name;
    };
    const accepts = (e: Entry<T>): boolean =>
      (best === undefined || e.rank < best.rank) &&
      (e.host === undefined || e.host.matches(host, hostWithPort)) &&
      (e.methods === undefined || e.methods.has(method)) &&
      (e.version === undefined || versionAccepts(e.version)) &&
      (e.headers.length === 0 || headersMatch(e.headers, header)) &&
      (e.condition === undefined || e.condition(header));

    const exact = this.exact.get(path);
    if (exact) for (const e of exact) if (accepts(e)) { best = e; bestLength = path.length; break; }

    // Prefixes on segment boundaries, longest first; only lengths some prefix route has are tried,
    // so a path of thousands of segments costs no more than a short one.
    const n = path.length;
    for (const len of this.prefixLengths) {
      if (len > n) continue;
      if (len !== 0 && len !== n && path.charCodeAt(len) !== 0x2f) continue;
      const key = len === 0 ? '' : len === n ? path : path.slice(0, len);
      const list = this.prefix.get(key);
      if (list) for (const e of list) if (accepts(e)) { best = e; bestLength = len; bestParams = undefined; break; }
    }

    const template = this.matchTemplate(path, accepts);
    if (template) { best = template.entry; bestParams = template.params; bestLength = path.length; }

    // Regexes: those whose literal segments prefix this path, and those with no literal prefix.
    for (const len of this.regexPrefixLengths) {
      if (len >= n || path.charCodeAt(len) !== 0x2f) continue;
      const list = this.regexByPrefix.get(path.slice(0, len));
      if (list) this.tryRegexes(list, path, accepts, (e, m) => { best = e; bestParams = m.groups ? { ...m.groups } as Record<string, string> : undefined; bestLength = m[0].length; }, () => best);
    }
    this.tryRegexes(this.regexAny, path, accepts, (e, m) => { best = e; bestParams = m.groups ? { ...m.groups } as Record<string, string> : undefined; bestLength = m[0].length; }, () => best);
    if (best === undefined) return undefined;
    return { value: best.value, params: bestParams ?? NO_PARAMS, matchedLength: bestLength };
  }

  /** Tries a rank-ordered list of regex entries; stops at the first match or once none can win. */
  private tryRegexes(list: readonly Entry<T>[], path: string, accepts: (e: Entry<T>) => boolean, found: (e: Entry<T>, m: RegExpExecArray) => void, best: () => Entry<T> | undefined): void {
    for (const e of list) {
      const current = best();
      if (current !== undefined && e.rank > current.rank) return;
      if (!accepts(e)) continue;
      const m = (e.pattern as { regex: RegExp }).regex.exec(path);
      if (m) { found(e, m); return; }
    }
  }

  private matchTemplate(path: string, accepts: (e: Entry<T>) => boolean): { entry: Entry<T>; params: Record<string, string> } | undefined {
    if (this.templates.literal.size === 0 && this.templates.param === undefined) return undefined;
    const segments = path.slice(1).split('/');
    let found: { entry: Entry<T>; values: string[]; node: TrieNode<T> } | undefined;
    const values: string[] = [];
    const walk = (node: TrieNode<T>, i: number): void => {
      if (i === segments.length) {
        for (const e of node.entries) if ((!found || e.rank < found.entry.rank) && accepts(e)) { found = { entry: e, values: [...values], node }; break; }
        return;
      }
      const seg = segments[i]!;
      const lit = node.literal.get(seg);
      if (lit) walk(lit, i + 1);
      if (node.param && seg !== '') {
        values.push(seg);
        walk(node.param, i + 1);
        values.pop();
      }
    };
    walk(this.templates, 0);
    if (!found) return undefined;
    const params: Record<string, string> = {};
    let v = 0;
    for (const seg of (found.entry.pattern as { segments: readonly TemplateSegment[] }).segments) if ('param' in seg) params[seg.param] = found.values[v++]!;
    return { entry: found.entry, params };
  }
}

/**
 * The literal path segments a regex requires at its start ("^/api/v1/r[0-9]+" → "/api/v1"),
 * when its source makes that certain: no alternation, plain characters, each segment ended by "/".
 */
export function literalSegmentPrefix(source: string): string | undefined {
  const body = source.startsWith('^') ? source.slice(1) : source;
  if (body.includes('|')) return undefined;
  const m = /^((?:\/[A-Za-z0-9_~-]+)+)\//.exec(body);
  return m ? m[1] : undefined;
}

function literalLength(p: PathPattern): number {
  switch (p.kind) {
    case 'exact': return p.path.length;
    case 'prefix': return p.prefix.length;
    case 'template': return p.literalLength;
    case 'regex': return p.source.length;
  }
}

function headersMatch(conditions: readonly (readonly [string, readonly string[]])[], header: HeaderSource): boolean {
  for (const [name, accepted] of conditions) {
    const v = header(name);
    if (v === undefined) return false;
    const values = Array.isArray(v) ? v : [v];
    if (!values.some((x) => accepted.includes(x))) return false;
  }
  return true;
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value); else map.set(key, [value]);
}

function getOrAdd<T>(map: Map<string, TrieNode<T>>, key: string): TrieNode<T> {
  let node = map.get(key);
  if (!node) { node = newNode(); map.set(key, node); }
  return node;
}
