import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeTarget } from './normalize.ts';

const norm = (t: string, keepSemicolons = false) => normalizeTarget(t, { keepSemicolons });
const path = (t: string, keep = false) => {
  const r = norm(t, keep);
  return r.ok ? r.path : `!${r.reason}`;
};

test('clean paths pass through untouched, query kept verbatim', () => {
  assert.deepEqual(norm('/api/v1/things?x=%2F&y=a+b'), { ok: true, path: '/api/v1/things', query: '?x=%2F&y=a+b' });
  assert.equal(path('/'), '/');
  assert.equal(path('/file.json'), '/file.json');
});

test('dot segments and duplicate slashes are resolved', () => {
  assert.equal(path('/a/./b'), '/a/b');
  assert.equal(path('/a/b/../c'), '/a/c');
  assert.equal(path('//a///b//'), '/a/b/');
  assert.equal(path('/a/%2e%2e/b'), '/b');
  assert.equal(path('/a/.%2E/b'), '/b');
  assert.equal(path('/a/..'), '/');
});

test('climbing above the root is refused', () => {
  assert.equal(path('/../etc/passwd'), '!invalid-path');
  assert.equal(path('/a/../../b'), '!invalid-path');
  assert.equal(path('/%2e%2e/x'), '!invalid-path');
});

test('unreserved escapes are decoded, others upper-cased, dangerous ones refused', () => {
  assert.equal(path('/%7Euser/%61bc'), '/~user/abc');
  assert.equal(path('/a%20b/%c3%a9'), '/a%20b/%C3%A9');
  for (const bad of ['/a%2Fb', '/a%2fb', '/a%5Cb', '/a%00b', '/a%zz', '/a%4', '/a\\b', '/a;jsessionid=1', '/a%3Bb']) {
    assert.equal(path(bad), '!invalid-path', bad);
  }
  assert.equal(path('/a;v=1/b', true), '/a;v=1/b');
});

test('only origin-form targets are accepted', () => {
  assert.equal(path('http://evil.example/x'), '!absolute-form');
  assert.equal(path('*'), '!invalid-path');
  assert.equal(path('example.com:443'), '!invalid-path');
  assert.equal(path('/a#frag'), '!invalid-path');
});
