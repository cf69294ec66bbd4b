// The RFC 9111 / 5861 logic as pure functions, the key, and compile-time checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { keyQuery, partitionOf, baseKey } from './key.ts';
import { proxyCache } from './plugin.ts';
import { currentAge, freshnessLifetime, freshnessOf, initialAge, notModified, parseCacheControl, requestDirectives, staleIfErrorAllows, storability, varyNames, varyValues, verdict, NO_REQUEST_DIRECTIVES, type Freshness } from './rfc.ts';

const H = { fraction: 0.1, maxSeconds: 86_400 };
const STATUSES = new Set([200, 404]);
const NOW = Date.parse('2030-01-01T00:00:00Z');
const cc = parseCacheControl;

test('Cache-Control parsing: case, spaces, quoted lists, the first of duplicates, malformed numbers', () => {
  const d = cc('Max-Age=60, no-cache="set-cookie, x", private, max-age=5,,s-maxage="30"');
  assert.equal(d.get('max-age'), '60');
  assert.equal(d.get('no-cache'), 'set-cookie, x');
  assert.equal(d.get('private'), true);
  assert.equal(d.get('s-maxage'), '30');
  assert.equal(freshnessLifetime(200, cc('max-age=abc'), {}, H, NOW), 0);
});

test('storability for a shared cache', () => {
  assert.equal(storability(200, cc('max-age=60'), {}, STATUSES), undefined);
  assert.equal(storability(200, cc('no-store, max-age=60'), {}, STATUSES), 'no-store');
  assert.equal(storability(200, cc('private, max-age=60'), {}, STATUSES), 'private');
  assert.equal(storability(200, cc('private="x", max-age=60'), {}, STATUSES), 'private');
  assert.equal(storability(500, cc('max-age=60'), {}, STATUSES), 'status');
  assert.equal(storability(200, cc('max-age=60'), { vary: 'Accept, *' }, STATUSES), 'vary-star');
  assert.equal(storability(200, cc(''), {}, STATUSES), 'no-freshness');
  assert.equal(storability(200, cc(''), { 'last-modified': 'Mon, 01 Jan 2029 00:00:00 GMT' }, STATUSES), undefined, 'heuristic');
  assert.equal(storability(200, cc('public'), {}, STATUSES), undefined);
  assert.equal(storability(200, cc('no-cache'), {}, STATUSES), undefined, 'stored, always revalidated');
  assert.equal(storability(200, cc(''), { expires: 'Thu, 01 Jan 2037 00:00:00 GMT' }, STATUSES), undefined);
});

test('freshness lifetime: s-maxage, then max-age, then Expires − Date, then the heuristic (10 %, capped)', () => {
  assert.equal(freshnessLifetime(200, cc('max-age=10, s-maxage=99'), {}, H, NOW), 99);
  assert.equal(freshnessLifetime(200, cc('max-age=10'), { expires: new Date(NOW + 500_000).toUTCString() }, H, NOW), 10);
  assert.equal(freshnessLifetime(200, cc(''), { expires: new Date(NOW + 500_000).toUTCString() }, H, NOW), 500);
  assert.equal(freshnessLifetime(200, cc(''), { expires: 'garbage' }, H, NOW), 0);
  const fiveDaysAgo = new Date(NOW - 5 * 86_400_000).toUTCString();
  assert.equal(freshnessLifetime(200, cc(''), { 'last-modified': fiveDaysAgo }, H, NOW), 43_200);
  const yearAgo = new Date(NOW - 365 * 86_400_000).toUTCString();
  assert.equal(freshnessLifetime(200, cc(''), { 'last-modified': yearAgo }, H, NOW), 86_400, 'capped');
  assert.equal(freshnessLifetime(302, cc(''), { 'last-modified': fiveDaysAgo }, H, NOW), 0, 'not heuristically cacheable');
});

test('age: the larger of the apparent age and Age + response delay, then resident time', () => {
  assert.equal(initialAge({ age: '30' }, NOW - 2000, NOW, NOW), 32);
  assert.equal(initialAge({}, NOW, NOW, NOW - 10_000), 10);
  assert.equal(initialAge({ age: 'x' }, NOW, NOW, NaN), 0);
  assert.equal(currentAge(32, NOW, NOW + 8_000), 40);
});

const fresh = (over: Partial<Freshness> = {}): Freshness => ({ lifetime: 60, initialAge: 0, responseTime: NOW, noCache: false, mustRevalidate: false, staleWhileRevalidate: 0, staleIfError: 0, ...over });
const req = (value: string) => requestDirectives({ 'cache-control': value });

test('verdicts: fresh, stale, no-cache, request max-age / min-fresh / max-stale / no-cache, must-revalidate, stale-while-revalidate', () => {
  assert.equal(verdict(fresh(), NO_REQUEST_DIRECTIVES, NOW + 10_000).verdict, 'fresh');
  assert.equal(verdict(fresh(), NO_REQUEST_DIRECTIVES, NOW + 61_000).verdict, 'revalidate');
  assert.equal(verdict(fresh({ noCache: true }), NO_REQUEST_DIRECTIVES, NOW).verdict, 'revalidate');
  const byReq = verdict(fresh(), req('no-cache'), NOW);
  assert.deepEqual([byReq.verdict, byReq.byRequest], ['revalidate', true]);
  assert.equal(verdict(fresh(), req('max-age=5'), NOW + 10_000).verdict, 'revalidate');
  assert.equal(verdict(fresh(), req('min-fresh=55'), NOW + 10_000).verdict, 'revalidate');
  assert.equal(verdict(fresh(), req('max-stale=30'), NOW + 80_000).verdict, 'stale-ok');
  assert.equal(verdict(fresh(), req('max-stale'), NOW + 8_000_000).verdict, 'stale-ok');
  assert.equal(verdict(fresh({ mustRevalidate: true }), req('max-stale'), NOW + 80_000).verdict, 'revalidate');
  assert.equal(verdict(fresh({ staleWhileRevalidate: 30 }), NO_REQUEST_DIRECTIVES, NOW + 80_000).verdict, 'stale-while-revalidate');
  assert.equal(verdict(fresh({ staleWhileRevalidate: 30 }), NO_REQUEST_DIRECTIVES, NOW + 95_000).verdict, 'revalidate');
  assert.equal(verdict(fresh({ staleWhileRevalidate: 30, mustRevalidate: true }), NO_REQUEST_DIRECTIVES, NOW + 80_000).verdict, 'revalidate');
  assert.equal(requestDirectives({ pragma: 'no-cache' }).noCache, true);
  assert.equal(req('no-store').noStore, true);
});

test('stale-if-error window; must-revalidate, proxy-revalidate and s-maxage forbid it', () => {
  assert.equal(staleIfErrorAllows(fresh({ staleIfError: 100 }), NOW + 150_000), true);
  assert.equal(staleIfErrorAllows(fresh({ staleIfError: 100 }), NOW + 170_000), false);
  assert.equal(staleIfErrorAllows(fresh(), NOW + 61_000), false);
  for (const d of ['max-age=1, must-revalidate, stale-if-error=99', 'max-age=1, proxy-revalidate, stale-if-error=99', 's-maxage=1, stale-if-error=99']) {
    assert.equal(staleIfErrorAllows(freshnessOf(200, cc(d), {}, H, NOW, NOW), NOW + 5000), false, d);
  }
  assert.equal(staleIfErrorAllows(freshnessOf(200, cc('max-age=1, stale-if-error=99'), {}, H, NOW, NOW), NOW + 5000), true);
});

test('client conditionals: If-None-Match (weak comparison, *, lists) before If-Modified-Since', () => {
  assert.equal(notModified({ 'if-none-match': 'W/"a"' }, '"a"', undefined), true);
  assert.equal(notModified({ 'if-none-match': '"x", "a"' }, 'W/"a"', undefined), true);
  assert.equal(notModified({ 'if-none-match': '*' }, '"a"', undefined), true);
  assert.equal(notModified({ 'if-none-match': '"b"' }, '"a"', undefined), false);
  const lm = 'Mon, 01 Jan 2029 00:00:00 GMT';
  assert.equal(notModified({ 'if-modified-since': lm }, undefined, lm), true);
  assert.equal(notModified({ 'if-modified-since': 'Sun, 31 Dec 2028 00:00:00 GMT' }, undefined, lm), false);
  assert.equal(notModified({ 'if-none-match': '"b"', 'if-modified-since': lm }, '"a"', lm), false, 'If-None-Match wins');
});

test('Vary: names normalised and sorted, * never matches, values normalised', () => {
  assert.deepEqual(varyNames('Accept-Encoding, accept'), ['accept', 'accept-encoding']);
  assert.equal(varyNames('accept, *'), '*');
  assert.equal(varyValues(['accept'], { accept: 'a,  b' }), varyValues(['accept'], { accept: 'a, b' }));
  assert.notEqual(varyValues(['accept'], {}), varyValues(['accept'], { accept: '' }));
});

test('the key: query include/exclude, headers, partitions', () => {
  const k = { headers: ['x-lang'], include: undefined, exclude: new Set(['utm']), perConsumer: false };
  assert.equal(keyQuery('?a=1&utm=2&b', k), '?a=1&b');
  assert.equal(keyQuery('?utm=2', k), '');
  assert.equal(keyQuery('?a=1&b=2', { ...k, exclude: undefined, include: new Set(['b']) }), '?b=2');
  const ctx = fakeContext({ path: '/p', query: '?a=1', headers: { host: 'API.example', 'x-lang': 'en' } });
  assert.equal(baseKey(ctx, k), 'GET api.example/p?a=1|h:x-lang=en');
  assert.equal(partitionOf(ctx, k), '');
  ctx.consumer = { id: 'c1' };
  assert.equal(partitionOf(ctx, k), '|c:c1');
  ctx.anonymous = true;
  assert.equal(partitionOf(ctx, k), '', 'an anonymous fallback is not authenticated');
  assert.equal(partitionOf(ctx, { ...k, perConsumer: true }), '|c:c1');
  const withAuth = fakeContext({ headers: { authorization: 'Bearer x' } });
  assert.match(partitionOf(withAuth, k), /^\|a:[\w-]{22}$/);
  assert.doesNotMatch(partitionOf(withAuth, k), /Bearer/);
});

test('compile: redis needs gateway.redis; equal configs share one store (reloads keep the cache)', () => {
  assert.throws(() => compileConf(proxyCache, { backend: 'redis' }), /backend "redis" needs gateway\.redis/);
  const a = compileConf(proxyCache, { max_entry_bytes: 1000 });
  const b = compileConf(proxyCache, { max_entry_bytes: 1000 });
  const c = compileConf(proxyCache, { max_entry_bytes: 2000 });
  assert.equal(a.state, b.state);
  assert.notEqual(a.state, c.state);
  assert.throws(() => compileConf(proxyCache, { statuses: [99] }));
});
