// Plugin pipeline micro benchmark: what plugins add to snapshot compile time (per route, at 10,
// 1,000 and 10,000 routes), and what running a compiled route's request phases costs per request.
// Run: node bench/micro/pipeline.bench.ts  (part of `npm run bench:micro`).
import { checkConfig } from '../../src/core/config/load.ts';
import { newRequestContext, type RequestContext } from '../../src/core/pipeline/context.ts';
import { runPhase } from '../../src/core/pipeline/run.ts';
import { compileSnapshot, type Snapshot } from '../../src/core/snapshot/compile.ts';
import { EMPTY_DIRECTORY } from '../../src/core/identity/directory.ts';
import { BUNDLED_CATALOG } from '../../src/plugins/index.ts';
import { environmentLine, fmt, fmtMs, fmtNs, table, timeOps, timeRuns, writeSection } from './lib.ts';

type PluginList = readonly { name: string; config: Record<string, unknown> }[];

const TRANSFORM = { name: 'request-transformer', config: { add: { headers: { 'x-a': '1' } } } };
const TRANSFORM_MORE = {
  name: 'request-transformer',
  config: { remove: { headers: ['x-debug'] }, rename: { headers: { 'x-old': 'x-new' } }, add: { headers: { 'x-a': '1', 'x-b': '2' } }, append: { headers: { 'x-trace': 'gw' } } },
};
const ALLOW = { name: 'ip-restriction', config: { allow: ['10.0.0.0/8'] } };
const ALLOW_DENY = { name: 'ip-restriction', config: { allow: ['10.0.0.0/8', '192.168.0.0/16', 'fd00::/8'], deny: ['10.66.0.0/16'] } };
const SIZE = { name: 'request-size-limiting', config: { allowed_payload_size: 1, size_unit: 'megabytes' } };
const RESPONSE = { name: 'response-transformer', config: { add: { headers: { 'x-served-by': 'portcullis' } } } };

const SERVICE = { name: 'svc', targets: [{ url: 'http://127.0.0.1:18080' }] };

/** n routes of mixed path kinds (as in router.bench.ts), each with the given plugins. */
function rawConfig(n: number, plugins: PluginList): unknown {
  const routes = Array.from({ length: n }, (_, i) => {
    const m = i % 10;
    const path = m < 4 ? `/api/v1/p${i}` : m < 7 ? `=/api/v1/e${i}/status` : m < 9 ? `/api/v1/t${i}/items/{id}` : `~^/api/v1/r${i}/v[0-9]+/`;
    return { name: `r${i}`, service: 'svc', paths: [path], plugins: plugins.map((p) => ({ name: p.name, config: structuredClone(p.config) })) };
  });
  return { services: [SERVICE], routes };
}

const out: string[] = [];
const say = (s = ''): void => {
  out.push(s);
  console.log(s);
};

say('## Plugin pipeline');
say();
say(environmentLine());
say();

// Warm the validator and compiler up once, so that the first (smallest) cells are not cold.
for (let i = 0; i < 3; i++) compileSnapshot(checkConfig(rawConfig(1_000, [TRANSFORM, ALLOW])), BUNDLED_CATALOG);

// --- 1. compile cost ----------------------------------------------------------------------------
const VARIANTS: [string, PluginList][] = [
  ['no plugins', []],
  ['2 per route (request-transformer, ip-restriction)', [TRANSFORM, ALLOW]],
  ['4 per route (+ request-size-limiting, response-transformer)', [TRANSFORM_MORE, ALLOW_DENY, SIZE, RESPONSE]],
];
const SIZES = [10, 1_000, 10_000] as const;
const compileRows: string[][] = [];
const baseline = new Map<number, number>();
for (const [label, plugins] of VARIANTS) {
  for (const n of SIZES) {
    const raw = rawConfig(n, plugins);
    const runs = n >= 10_000 ? 5 : n >= 1_000 ? 15 : 50;
    const check = timeRuns(runs, () => checkConfig(raw));
    const config = checkConfig(raw);
    const compile = timeRuns(runs, () => compileSnapshot(config, BUNDLED_CATALOG));
    const total = check.median + compile.median;
    if (plugins.length === 0) baseline.set(n, total);
    const extra = total - (baseline.get(n) ?? total);
    compileRows.push([
      label, fmt(n), fmtMs(check.median), fmtMs(compile.median), fmtMs(total), fmtNs((total * 1e6) / n),
      plugins.length === 0 ? '–' : fmtNs((extra * 1e6) / (n * plugins.length)),
    ]);
  }
}
say('### Snapshot compile cost with plugins (median)');
say();
say('Routes as in the router benchmark (prefix/exact/template/regex mix), every route with its own plugin instances. ' +
  '"per plugin instance" = extra time over the same table without plugins, divided by the number of instances.');
say();
say(table(['plugins', 'routes', 'checkConfig', 'compileSnapshot', 'total', 'per route', 'per plugin instance'], ['l', 'r', 'r', 'r', 'r', 'r', 'r'], compileRows));
say();

// --- 2. per-request cost of the compiled chains ---------------------------------------------
const noop = (): void => {};
const LOG = { info: noop, warn: noop, error: noop, debug: noop };

/** A fresh request context per call, as the gateway builds one per request. */
function context(clientIp: string): RequestContext {
  const headers = { host: 'api.example.com', 'user-agent': 'wrk', accept: '*/*', 'x-old': 'v', 'x-debug': '1' };
  const ctx = newRequestContext({
    id: 'req-1', method: 'GET', path: '/api/v1/p0/orders', query: '', headers, clientIp, receivedAt: 0, identities: EMPTY_DIRECTORY,
    upstream: { path: '/api/v1/p0/orders', query: '', headers: { ...headers }, maxBodyBytes: 0, guard: undefined },
    upstreamFetch: undefined, log: LOG,
  });
  Object.assign(ctx, { routeName: 'r0', serviceName: 'svc' });
  return ctx;
}

function chainsOf(plugins: PluginList) {
  const snap: Snapshot = compileSnapshot(checkConfig(rawConfig(1, plugins)), BUNDLED_CATALOG);
  return snap.routes[0]!.chains;
}

const RUN_CASES: [string, PluginList, string][] = [
  ['no plugins (context creation + 2 empty phases)', [], '10.1.2.3'],
  ['ip-restriction, allowed (IPv4)', [ALLOW], '10.1.2.3'],
  ['ip-restriction, denied → 403 response', [ALLOW], '172.16.0.1'],
  ['ip-restriction allow+deny lists, IPv6 client', [ALLOW_DENY], 'fd00::1'],
  ['request-transformer, add 1 header', [TRANSFORM], '10.1.2.3'],
  ['request-transformer, remove+rename+add 2+append', [TRANSFORM_MORE], '10.1.2.3'],
  ['request-transformer + ip-restriction', [TRANSFORM, ALLOW], '10.1.2.3'],
  ['4 plugins (access + upstream-request phases)', [TRANSFORM_MORE, ALLOW_DENY, SIZE, RESPONSE], '10.1.2.3'],
];
const runRows: string[][] = [];
let base = 0;
for (const [label, plugins, ip] of RUN_CASES) {
  const chains = chainsOf(plugins);
  const access = chains.access;
  const upstreamRequest = chains['upstream-request'];
  // Sanity check: the allowed cases continue, the denied one stops with a response.
  const probe = runPhase(access, context(ip));
  if ((probe !== undefined) !== label.includes('denied')) throw new Error(`benchmark setup: unexpected outcome for "${label}"`);
  const t = timeOps(() => {
    const ctx = context(ip);
    return runPhase(access, ctx) ?? runPhase(upstreamRequest, ctx) ?? ctx;
  });
  if (plugins.length === 0) base = t.ns;
  runRows.push([label, String(access.length + upstreamRequest.length), fmtNs(t.ns), plugins.length === 0 ? '–' : fmtNs(Math.max(0, t.ns - base))]);
}
say('### Per-request cost of the compiled request phases (ns per request)');
say();
say('`runPhase(access)` then `runPhase(upstream-request)` on a fresh context object, as the gateway does per request ' +
  '(response phases not included). "over baseline" subtracts the no-plugin row.');
say();
say(table(['route plugins', 'steps', 'per request', 'over baseline'], ['l', 'r', 'r', 'r'], runRows));

const file = writeSection('pipeline', out.join('\n'));
console.log(`\n(written to ${file})`);
