import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../config/errors.ts';
import { Router, type RouteDefinition } from './router.ts';

type Def = Partial<Omit<RouteDefinition<string>, 'value'>> & { value: string };
const build = (defs: Def[]) => new Router(defs.map((d) => ({ hosts: [], paths: [], methods: [], headers: {}, priority: 0, ...d })));
const noHeaders = () => undefined;
const match = (r: Router<string>, path: string, opts: { method?: string; host?: string; headers?: Record<string, string> } = {}) =>
  r.match(opts.method ?? 'GET', opts.host ?? 'api.example.com', path, (n) => opts.headers?.[n] ?? noHeaders());

test('prefix paths match on segment boundaries only', () => {
  const r = build([{ value: 'api', paths: ['/api'] }]);
  assert.equal(match(r, '/api')?.value, 'api');
  assert.equal(match(r, '/api/')?.value, 'api');
  assert.equal(match(r, '/api/x/y')?.value, 'api');
  assert.equal(match(r, '/apix'), undefined);
  assert.equal(match(r, '/'), undefined);
});

test('exact beats template beats regex beats prefix, whatever the declaration order', () => {
  const r = build([
    { value: 'prefix', paths: ['/ships'] },
    { value: 'regex', paths: ['~^/ships/[0-9]+$'] },
    { value: 'template', paths: ['/ships/{id}'] },
    { value: 'exact', paths: ['=/ships/42'] },
  ]);
  assert.equal(match(r, '/ships/42')?.value, 'exact');
  assert.equal(match(r, '/ships/43')?.value, 'template');
  assert.equal(match(r, '/ships/43/events')?.value, 'prefix');
  const noTemplate = build([{ value: 'prefix', paths: ['/ships'] }, { value: 'regex', paths: ['~^/ships/[0-9]+$'] }]);
  assert.equal(match(noTemplate, '/ships/43')?.value, 'regex');
  assert.equal(match(noTemplate, '/ships/abc')?.value, 'prefix');
});

test('longer prefixes win; priority overrides everything', () => {
  const r = build([{ value: 'short', paths: ['/a'] }, { value: 'long', paths: ['/a/b'] }]);
  assert.equal(match(r, '/a/b/c')?.value, 'long');
  assert.equal(match(r, '/a/c')?.value, 'short');
  const p = build([{ value: 'long', paths: ['/a/b'] }, { value: 'short', paths: ['/a'], priority: 10 }]);
  assert.equal(match(p, '/a/b/c')?.value, 'short');
});

test('hosts: exact beats wildcard beats none; ports and case are handled', () => {
  const r = build([
    { value: 'any', paths: ['/'] },
    { value: 'wild', hosts: ['*.example.com'], paths: ['/'] },
    { value: 'exact', hosts: ['api.example.com'], paths: ['/'] },
    { value: 'suffix', hosts: ['shop.*'], paths: ['/'] },
    { value: 'port', hosts: ['ported.example.org:8443'], paths: ['/'] },
  ]);
  assert.equal(match(r, '/', { host: 'API.Example.com:8080' })?.value, 'exact');
  assert.equal(match(r, '/', { host: 'eu.example.com' })?.value, 'wild');
  assert.equal(match(r, '/', { host: 'a.b.example.com' })?.value, 'wild');
  assert.equal(match(r, '/', { host: 'example.com' })?.value, 'any');
  assert.equal(match(r, '/', { host: 'shop.example.net' })?.value, 'suffix');
  assert.equal(match(r, '/', { host: 'ported.example.org:8443' })?.value, 'port');
  assert.equal(match(r, '/', { host: 'ported.example.org' })?.value, 'any');
});

test('methods and headers narrow a route; more specific conditions rank first', () => {
  const r = build([
    { value: 'all', paths: ['/x'] },
    { value: 'post', paths: ['/x'], methods: ['POST'] },
    { value: 'v2', paths: ['/x'], headers: { 'API-Version': ['2', '2.1'] } },
  ]);
  assert.equal(match(r, '/x', { method: 'POST' })?.value, 'post');
  assert.equal(match(r, '/x')?.value, 'all');
  assert.equal(match(r, '/x', { headers: { 'api-version': '2.1' } })?.value, 'v2');
  assert.equal(match(r, '/x', { headers: { 'api-version': '3' } })?.value, 'all');
});

test('template and regex parameters are captured; matchedLength drives strip_path', () => {
  const r = build([{ value: 't', paths: ['/ships/{id}/events/{eventId}'] }, { value: 'r', paths: ['~^/v(?<version>[0-9]+)/'] }]);
  const t = match(r, '/ships/PC1/events/9');
  assert.deepEqual(t?.params, { id: 'PC1', eventId: '9' });
  assert.equal(match(r, '/ships//events/9'), undefined);
  const m = match(r, '/v2/orders');
  assert.equal(m?.value, 'r');
  assert.deepEqual(m?.params, { version: '2' });
  assert.equal(m?.matchedLength, 4);
  const p = build([{ value: 'p', paths: ['/api'] }]);
  assert.equal(match(p, '/api/x')?.matchedLength, 4);
});

test('a route without paths matches every path, below any path route', () => {
  const r = build([{ value: 'catch-all' }, { value: 'specific', paths: ['/a'] }]);
  assert.equal(match(r, '/zzz')?.value, 'catch-all');
  assert.equal(match(r, '/a/b')?.value, 'specific');
});

test('declaration order breaks exact ties', () => {
  const r = build([{ value: 'first', paths: ['/a'] }, { value: 'second', paths: ['/a'] }]);
  assert.equal(match(r, '/a')?.value, 'first');
});

test('bad patterns are config errors naming the path; catastrophic regexes are refused', () => {
  assert.throws(() => build([{ value: 'x', paths: ['/ok', '~(a+)+$'] }]), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.issues[0]?.path, 'routes[0].paths[1]');
    assert.match(err.issues[0]!.message, /backtrack/);
    return true;
  });
  for (const bad of ['relative', '/a/../b', '/a//b', '=/a b', '/a/{id', '/a/x{id}', '~[']) {
    assert.throws(() => build([{ value: 'x', paths: [bad] }]), ConfigError, bad);
  }
});

test('adversarial paths are matched without pathological cost', () => {
  const defs: Def[] = [];
  for (let i = 0; i < 200; i++) defs.push({ value: `t${i}`, paths: [`/s${i}/{a}/x/{b}`] }, { value: `p${i}`, paths: [`/p${i}/q`] });
  defs.push({ value: 'rx', paths: ['~^/r/[a-z0-9-]{1,64}$'] });
  const r = build(defs);
  const long = '/' + 'a/'.repeat(4000);
  const start = process.hrtime.bigint();
  for (let i = 0; i < 50; i++) {
    assert.equal(match(r, long), undefined);
    assert.equal(match(r, '/r/' + 'a'.repeat(100_000)), undefined);
  }
  // A correctness guard against exponential behaviour, not a speed benchmark: 100 matches of
  // pathological inputs must finish in well under the test timeout.
  assert.ok(process.hrtime.bigint() - start < 10_000_000_000n);
});

test('regex routes indexed by their literal first segment still match in rank order', () => {
  const r = build([
    { value: 'v1-orders', paths: ['~^/v1/orders/[0-9]+$'] },
    { value: 'any-version', paths: ['~^/v[0-9]+/orders/[0-9]+$'] },
    { value: 'alt', paths: ['~^/v1/x|^/v2/x'] },
    { value: 'long-any', paths: ['~^/(v1|v2)/orders/[0-9]+/items$'] },
  ]);
  // Among regexes the longer source ranks first, whichever index holds it.
  assert.equal(match(r, '/v1/orders/7')?.value, 'any-version');
  assert.equal(match(r, '/v1/orders/x'), undefined);
  assert.equal(match(r, '/v3/orders/7')?.value, 'any-version');
  assert.equal(match(r, '/v2/x')?.value, 'alt');
  assert.equal(match(r, '/v1/orders/7/items')?.value, 'long-any');
  assert.equal(match(r, '/v1'), undefined);
});

test('literalSegmentPrefix is only certain without alternation and up to a slash', async () => {
  const { literalSegmentPrefix } = await import('./router.ts');
  assert.equal(literalSegmentPrefix('^/v1/orders'), '/v1');
  assert.equal(literalSegmentPrefix('^/api/v1/r12/v[0-9]+/x'), '/api/v1/r12');
  assert.equal(literalSegmentPrefix('/api/x'), '/api');
  assert.equal(literalSegmentPrefix('^/v1$'), undefined);
  assert.equal(literalSegmentPrefix('^/v1.0/x'), undefined);
  assert.equal(literalSegmentPrefix('^/a/b|/c/d'), undefined);
  assert.equal(literalSegmentPrefix('^/(a|b)/x'), undefined);
});

test('prefix lookups only cut the path where a configured prefix could end', () => {
  const r = build([{ value: 'deep', paths: ['/a/a/a'] }, { value: 'root', paths: ['/'] }]);
  const long = '/' + Array(4000).fill('a').join('/');
  assert.equal(match(r, long)?.value, 'deep');
  assert.equal(match(r, '/a/a')?.value, 'root');
  assert.equal(match(r, '/a/a/a/')?.value, 'deep');
  assert.equal(match(r, '/a/a/ab')?.value, 'root');
});
