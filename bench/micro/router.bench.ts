// Router micro benchmark: match cost at 10 vs 10,000 routes, adversarial paths, and snapshot
// compile time. Run: node bench/micro/router.bench.ts  (part of `npm run bench:micro`).
//
// Route table ("mixed"): route i gets one path, by i mod 10:
//   0-3 prefix    /api/v1/p{i}
//   4-6 exact     =/api/v1/e{i}/status
//   7-8 template  /api/v1/t{i}/items/{id}/parts/{part}
//   9   regex     ~^/api/v1/r{i}/v[0-9]+/(?<rest>[a-z]+)$
// so 10 routes = 4 prefix + 3 exact + 2 template + 1 regex, 10,000 = 4,000 + 3,000 + 2,000 + 1,000.
// Variants: "bare regex" writes the regexes without a literal leading segment
// (~^/(?:api|API)/v1/r{i}/…), so that the router cannot index them by prefix and has to try
// them in rank order; "no regex" turns the regex routes into prefix routes.
import { checkConfig } from '../../src/core/config/load.ts';
import { compileSnapshot, type Snapshot } from '../../src/core/snapshot/compile.ts';
import { BUNDLED_CATALOG } from '../../src/plugins/index.ts';
import { environmentLine, fmt, fmtMs, fmtNs, prng, table, timeOps, timeRuns, writeSection } from './lib.ts';

type Kind = 'prefix' | 'exact' | 'template' | 'regex';
const KINDS: readonly Kind[] = ['prefix', 'exact', 'template', 'regex'];
/** How the regex routes are written: with a literal leading segment, without, or not at all. */
type RegexStyle = 'prefixed' | 'bare' | 'none';

function kindOf(i: number, withRegex: boolean): Kind {
  const m = i % 10;
  if (m < 4) return 'prefix';
  if (m < 7) return 'exact';
  if (m < 9) return 'template';
  return withRegex ? 'regex' : 'prefix';
}

function routePath(i: number, kind: Kind, style: RegexStyle = 'prefixed'): string {
  switch (kind) {
    case 'prefix': return `/api/v1/p${i}`;
    case 'exact': return `=/api/v1/e${i}/status`;
    case 'template': return `/api/v1/t${i}/items/{id}/parts/{part}`;
    case 'regex': return style === 'bare' ? `~^/(?:api|API)/v1/r${i}/v[0-9]+/(?<rest>[a-z]+)$` : `~^/api/v1/r${i}/v[0-9]+/(?<rest>[a-z]+)$`;
  }
}

/** A request path that the route of that kind (and only it) matches. */
function requestPath(i: number, kind: Kind): string {
  switch (kind) {
    case 'prefix': return `/api/v1/p${i}/orders/42`;
    case 'exact': return `/api/v1/e${i}/status`;
    case 'template': return `/api/v1/t${i}/items/123/parts/abc`;
    case 'regex': return `/api/v1/r${i}/v2/widgets`;
  }
}

const SERVICE = { name: 'svc', targets: [{ url: 'http://127.0.0.1:18080' }] };

function rawConfig(paths: readonly string[]): unknown {
  return { services: [SERVICE], routes: paths.map((p, i) => ({ name: `r${i}`, service: 'svc', paths: [p] })) };
}

function mixedPaths(n: number, style: RegexStyle): string[] {
  return Array.from({ length: n }, (_, i) => routePath(i, kindOf(i, style !== 'none'), style));
}

const build = (raw: unknown): Snapshot => compileSnapshot(checkConfig(raw), BUNDLED_CATALOG);
const noHeader = (): undefined => undefined;
const HOST = 'api.example.com';

/** Power-of-two pool of request paths, so the loop indexes with a mask. */
const POOL = 1024;

function poolFor(n: number, kind: Kind | 'miss', withRegex: boolean): string[] {
  const rnd = prng(n * 31 + (kind === 'miss' ? 7 : KINDS.indexOf(kind)));
  if (kind === 'miss') return Array.from({ length: POOL }, (_, j) => `/nothing/here/${j}`);
  const ids: number[] = [];
  for (let i = 0; i < n; i++) if (kindOf(i, withRegex) === kind) ids.push(i);
  if (ids.length === 0) return [];
  return Array.from({ length: POOL }, () => requestPath(ids[Math.floor(rnd() * ids.length)]!, kind));
}

function matchCost(snap: Snapshot, pool: readonly string[], check: (path: string) => void): number {
  for (const p of pool.slice(0, 16)) check(p);
  const router = snap.router;
  const mask = pool.length - 1;
  return timeOps((i) => router.match('GET', HOST, pool[i & mask]!, noHeader)).ns;
}

/** Sanity check of the setup: each request path is matched by a route of the intended kind. */
function expectRoute(snap: Snapshot, want: Kind | 'miss', withRegex: boolean) {
  return (path: string): void => {
    const m = snap.router.match('GET', HOST, path, noHeader);
    const got = m === undefined ? 'miss' : kindOf(Number(m.value.name.slice(1)), withRegex);
    if (got !== want) throw new Error(`benchmark setup: ${path} matched ${m?.value.name ?? 'nothing'} (${got}), expected ${want}`);
  };
}

const out: string[] = [];
const say = (s = ''): void => {
  out.push(s);
  console.log(s);
};

say('## Router');
say();
say(environmentLine());
say();

// --- 1. match cost at 10 vs 10,000 routes ----------------------------------------------------
const SIZES = [10, 10_000] as const;
const rows: string[][] = [];
const STYLES: [RegexStyle, string][] = [['prefixed', 'mixed'], ['bare', 'bare regex'], ['none', 'no regex']];
for (const [style, label] of STYLES) {
  const withRegex = style !== 'none';
  const snaps = new Map(SIZES.map((n) => [n, build(rawConfig(mixedPaths(n, style)))]));
  const cases: (Kind | 'miss')[] = withRegex ? [...KINDS, 'miss'] : ['prefix', 'exact', 'template', 'miss'];
  for (const kind of cases) {
    const ns: number[] = [];
    for (const n of SIZES) {
      const snap = snaps.get(n)!;
      const pool = poolFor(n, kind, withRegex);
      ns.push(matchCost(snap, pool, expectRoute(snap, kind, withRegex)));
    }
    rows.push([label, kind === 'miss' ? 'miss (404)' : `${kind} hit`, fmtNs(ns[0]!), fmtNs(ns[1]!), `${fmt(ns[1]! / ns[0]!, 1)}×`]);
  }
  // All kinds interleaved, in the table's proportions (what a uniform request mix costs).
  const ns: number[] = [];
  for (const n of SIZES) {
    const snap = snaps.get(n)!;
    const rnd = prng(n);
    const pool = Array.from({ length: POOL }, () => {
      const i = Math.floor(rnd() * n);
      return requestPath(i, kindOf(i, withRegex));
    });
    ns.push(matchCost(snap, pool, () => {}));
  }
  rows.push([label, '**all hits, table mix**', `**${fmtNs(ns[0]!)}**`, `**${fmtNs(ns[1]!)}**`, `**${fmt(ns[1]! / ns[0]!, 1)}×**`]);
}
say('### Match cost (ns per `router.match`, one request path per call)');
say();
say('Mixed table: 40 % prefix, 30 % exact, 20 % template, 10 % regex routes (10,000 routes = 1,000 regexes). ' +
  '"bare regex": the same regexes without a literal leading segment (`~^/(?:api|API)/v1/r{i}/…`), which the router cannot index by prefix. ' +
  '"no regex": the regex routes replaced by prefix routes. Request paths are drawn at random from routes of that kind.');
say();
say(table(['table', 'request', '10 routes', '10,000 routes', '10k / 10'], ['l', 'l', 'r', 'r', 'r'], rows));
say();

// --- 2. adversarial paths ---------------------------------------------------------------------
// A full binary template trie: every combination of literal "a" / {param} over DEPTH segments
// (2^DEPTH routes). A path of DEPTH+1 "a" segments makes the matcher visit every trie node.
const DEPTH = 12;
const branchy: string[] = [];
for (let mask = 0; mask < 1 << DEPTH; mask++) {
  const segs: string[] = [];
  for (let d = 0; d < DEPTH; d++) segs.push(mask & (1 << d) ? `{p${d}}` : 'a');
  branchy.push(`/${segs.join('/')}`);
}
const adversarialTables: [string, Snapshot][] = [
  ['mixed 10', build(rawConfig(mixedPaths(10, 'prefixed')))],
  ['mixed 10,000', build(rawConfig(mixedPaths(10_000, 'prefixed')))],
  [`template trie 2^${DEPTH}`, build(rawConfig(branchy))],
];
const long = 'a'.repeat(8000);
const adversarial: [string, string][] = [
  ['reference: exact hit /api/v1/e5/status', '/api/v1/e5/status'],
  ['8,000-char single segment (miss)', `/${long}`],
  ['4,000 segments "/a/a/…" (miss)', '/a'.repeat(4000)],
  ['4,000 segments under prefix /api/v1/p0', `/api/v1/p0${'/x'.repeat(4000)}`],
  ['4,000 empty segments "////…" (normalisation merges them before routing)', '/'.repeat(4001)],
  ['template near miss: one segment short', '/api/v1/t7/items/1/parts'],
  ['template near miss: one segment too many', '/api/v1/t7/items/1/parts/2/3'],
  ['template near miss: last literal differs', '/api/v1/t7/items/1/partz/2'],
  ['regex near miss: 8,000 chars then a digit', `/api/v1/r9/v2/${long}1`],
  [`${DEPTH + 1} × "/a" (visits the whole template trie)`, '/a'.repeat(DEPTH + 1)],
  [`${DEPTH} × "/a" (hit after the whole trie)`, '/a'.repeat(DEPTH)],
];
const advRows: string[][] = [];
for (const [label, path] of adversarial) {
  const cells = adversarialTables.map(([, snap]) => fmtNs(matchCost(snap, [path], () => {})));
  advRows.push([label, fmt(path.length), ...cells]);
}
say('### Adversarial paths (ns per match)');
say();
say(`Template trie table: the ${fmt(1 << DEPTH)} routes that spell every mix of "a" and {param} over ${DEPTH} segments. ` +
  'The gateway refuses URLs over `max_url_bytes` (8,192 by default) before routing, so 8,000 characters is about the longest path the router sees.');
say();
say(table(['path', 'chars', ...adversarialTables.map(([l]) => l)], ['l', 'r', 'r', 'r', 'r'], advRows));
say();

// --- 3. snapshot compile time -----------------------------------------------------------------
const compileRows: string[][] = [];
for (const n of SIZES) {
  const raw = rawConfig(mixedPaths(n, 'prefixed'));
  const runs = n > 1000 ? 5 : 50;
  const check = timeRuns(runs, () => checkConfig(raw));
  const config = checkConfig(raw);
  const compile = timeRuns(runs, () => compileSnapshot(config, BUNDLED_CATALOG));
  compileRows.push([fmt(n), fmtMs(check.median), fmtMs(compile.median), fmtMs(check.median + compile.median), fmtNs(((check.median + compile.median) * 1e6) / n)]);
}
say('### Snapshot compile time (mixed table, median)');
say();
say('`checkConfig` = schema validation + defaults + cross-references; `compileSnapshot` = plugin chains + router (incl. the regex safety check and the config hash).');
say();
say(table(['routes', 'checkConfig', 'compileSnapshot', 'total', 'per route'], ['r', 'r', 'r', 'r', 'r'], compileRows));

const file = writeSection('router', out.join('\n'));
console.log(`\n(written to ${file})`);
