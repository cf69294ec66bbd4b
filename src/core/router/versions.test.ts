import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig } from '../config/load.ts';
import type { ConfigIssue } from '../config/errors.ts';
import { checkVersions, lifecycleOf } from '../snapshot/versions.ts';
import { Router } from './router.ts';
import { mediaTypeSelector, type VersionSelector } from './versions.ts';

const v = (selector: VersionSelector, name: string, isDefault = false) => ({ selector, name, isDefault });
const build = (defs: { value: string; paths?: string[]; version?: ReturnType<typeof v> }[]) =>
  new Router(defs.map((d) => ({ hosts: [], paths: d.paths ?? ['/orders'], methods: [], headers: {}, priority: 0, ...d })));
const at = (r: Router<string>, opts: { headers?: Record<string, string>; query?: string; path?: string } = {}) =>
  r.match('GET', 'api.example.com', opts.path ?? '/orders/1', (n) => opts.headers?.[n], opts.query ?? '')?.value;

const HEADER: VersionSelector = { by: 'header', name: 'api-version' };

test('header versions: the named version, the default when none is named, nothing for an unknown one', () => {
  const r = build([{ value: 'v1', version: v(HEADER, '1', true) }, { value: 'v2', version: v(HEADER, '2') }]);
  assert.equal(at(r, { headers: { 'api-version': '2' } }), 'v2');
  assert.equal(at(r, { headers: { 'api-version': ' 1 ' } }), 'v1');
  assert.equal(at(r), 'v1');
  assert.equal(at(r, { headers: { 'api-version': '3' } }), undefined);
  // Declaration order does not matter.
  const reversed = build([{ value: 'v2', version: v(HEADER, '2') }, { value: 'v1', version: v(HEADER, '1', true) }]);
  assert.equal(at(reversed), 'v1');
  assert.equal(at(reversed, { headers: { 'api-version': '2' } }), 'v2');
});

test('query versions and an unversioned fallback route on the same paths', () => {
  const q: VersionSelector = { by: 'query', name: 'version' };
  const r = build([{ value: 'any' }, { value: 'v2', version: v(q, '2') }, { value: 'v1', version: v(q, '1') }]);
  assert.equal(at(r, { query: '?a=1&version=2' }), 'v2');
  assert.equal(at(r, { query: '?version=1' }), 'v1');
  assert.equal(at(r, { query: '?versions=2' }), 'any');
  assert.equal(at(r, { query: '?version=9' }), 'any');
  assert.equal(at(r), 'any');
});

test('media-type versions from Accept (first matching range), parameters ignored, case-insensitive', () => {
  const m = mediaTypeSelector('application/vnd.example.v{version}+json');
  const r = build([{ value: 'v1', version: v(m, '1', true) }, { value: 'v2', version: v(m, '2') }]);
  assert.equal(at(r, { headers: { accept: 'text/html, application/vnd.example.v2+json; q=0.9' } }), 'v2');
  assert.equal(at(r, { headers: { accept: 'Application/VND.Example.V2+JSON' } }), 'v2');
  assert.equal(at(r, { headers: { accept: 'application/json' } }), 'v1');
  assert.equal(at(r, { headers: { accept: 'application/vnd.example.v+json' } }), 'v1');
});

test('path versions are plain paths; a longer literal path still wins over a versioned shorter one', () => {
  const r = build([{ value: 'v1', paths: ['/v1/orders'] }, { value: 'v2', paths: ['/v2/orders'] }, { value: 'hdr', paths: ['/'], version: v(HEADER, '3') }]);
  assert.equal(at(r, { path: '/v2/orders/1' }), 'v2');
  assert.equal(at(r, { path: '/v1/orders', headers: { 'api-version': '3' } }), 'v1');
  assert.equal(at(r, { path: '/other', headers: { 'api-version': '3' } }), 'hdr');
});

const routes = (list: Record<string, unknown>[]) => checkConfig({ services: [{ name: 's', targets: [{ url: 'http://127.0.0.1:1' }] }], routes: list.map((r, i) => ({ name: `r${i}`, service: 's', paths: ['/orders'], ...r })) }).routes;
const issuesOf = (list: Record<string, unknown>[]) => { const issues: ConfigIssue[] = []; checkVersions(routes(list), issues); return issues.map((i) => `${i.pointer}: ${i.message}`); };

test('ambiguous or inconsistent versions are rejected with pointers', () => {
  assert.deepEqual(issuesOf([{ version: { name: '1', by: 'header', default: true } }, { version: { name: '2', by: 'header' } }]), []);
  assert.deepEqual(issuesOf([{ version: { name: '1', by: 'header', default: true } }, { version: { name: '1', by: 'header' } }]), ['/routes/1/version/name: version "1" is also served by route "r0" on the same paths']);
  assert.deepEqual(issuesOf([{ version: { name: '1', by: 'header', default: true } }, { version: { name: '2', by: 'header', default: true } }]), ['/routes/1/version/default: route "r0" is already the default version for these paths']);
  assert.deepEqual(issuesOf([{ version: { name: '1', by: 'header' } }, { version: { name: '2', by: 'query' } }]), ['/routes/1/version/by: routes with the same hosts, paths and methods must select their version the same way (route "r0" uses header header:api-version)']);
  assert.deepEqual(issuesOf([{ version: { name: '1', by: 'header', header: 'X-V' } }, { version: { name: '2', by: 'header' } }]).length, 1);
  assert.deepEqual(issuesOf([{ version: { name: '1', by: 'path', default: true } }]), ['/routes/0/version/default: a path version cannot be the default: give the route the unversioned paths too, or use another selector']);
  assert.deepEqual(issuesOf([{ version: { name: '1', by: 'media-type' } }]), ['/routes/0/version/media_type: by: media-type needs media_type, e.g. application/vnd.example.v{version}+json']);
  assert.deepEqual(issuesOf([{ version: { name: '1', by: 'header', deprecated_at: '2030-01-02T00:00:00Z', sunset_at: '2030-01-01T00:00:00Z' } }]), ['/routes/0/version/sunset_at: must not be before deprecated_at']);
  // Different paths are different groups.
  assert.deepEqual(issuesOf([{ version: { name: '1', by: 'header' } }, { paths: ['/other'], version: { name: '1', by: 'header' } }]), []);
  // The schema refuses a bad date and a media type without its placeholder.
  assert.throws(() => routes([{ version: { name: '1', by: 'header', sunset_at: 'next year' } }]), /sunset_at/);
  assert.throws(() => routes([{ version: { name: '1', by: 'media-type', media_type: 'application/json' } }]), /media_type/);
});

test('lifecycle headers: Deprecation as @unix-seconds, Sunset as an HTTP-date, Link relations', () => {
  const life = lifecycleOf({ name: '1', by: 'header', header: 'API-Version', query: 'version', default: false, deprecated_at: '2025-01-01T00:00:00Z', sunset_at: '2026-06-30T23:59:59Z', link: 'https://docs.example.com/migrate', sunset_link: 'https://docs.example.com/sunset' });
  assert.deepEqual(life?.headers, {
    deprecation: '@1735689600',
    sunset: 'Tue, 30 Jun 2026 23:59:59 GMT',
    link: '<https://docs.example.com/migrate>; rel="deprecation", <https://docs.example.com/sunset>; rel="sunset"',
  });
  assert.equal(life?.sunsetAt, Date.parse('2026-06-30T23:59:59Z'));
  assert.equal(lifecycleOf({ name: '2', by: 'header', header: 'API-Version', query: 'version', default: false }), undefined);
});
