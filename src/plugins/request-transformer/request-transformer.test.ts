import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConf, fakeContext, sentHeaders } from '../test-helpers.ts';
import { requestTransformer } from './plugin.ts';

const apply = (raw: unknown, ctxOver: Parameters<typeof fakeContext>[0] = {}) => {
  const conf = compileConf(requestTransformer, raw);
  const ctx = fakeContext(ctxOver);
  requestTransformer.handlers['upstream-request']!(ctx, conf);
  return ctx.upstream;
};

test('headers: remove → rename → replace → add → append, case-insensitive names', () => {
  const up = apply({
    remove: { headers: ['X-Drop'] },
    rename: { headers: { 'X-Old': 'X-New' } },
    replace: { headers: { 'X-Keep': 'replaced', 'X-Absent': 'never' } },
    add: { headers: { 'X-Keep': 'not-added', 'X-Added': 'yes' } },
    append: { headers: { 'X-Keep': 'second' } },
  }, { headers: { 'x-drop': '1', 'x-old': 'o', 'x-keep': 'k' } });
  assert.deepEqual(sentHeaders(up.headers), { 'x-new': 'o', 'x-keep': ['replaced', 'second'], 'x-added': 'yes' });
});

test('query: same order of edits; untouched query stays byte-identical', () => {
  assert.equal(apply({ remove: { querystring: ['secret'] }, rename: { querystring: { a: 'b' } }, add: { querystring: { c: '3' } }, append: { querystring: { d: '4' } } }, { query: '?secret=1&a=1&a=2' }).query, '?b=1&b=2&c=3&d=4');
  assert.equal(apply({ add: { headers: { x: '1' } } }, { query: '?q=%2F+x' }).query, '?q=%2F+x');
  assert.equal(apply({ remove: { querystring: ['q'] } }, { query: '?q=1' }).query, '');
});

test('replace.uri sets the upstream path with route parameters', () => {
  assert.equal(apply({ replace: { uri: '/v2/shipments/{id}/track' } }, { params: { id: 'PC42' } }).path, '/v2/shipments/PC42/track');
  assert.equal(apply({ replace: { uri: '/static' } }).path, '/static');
});

test('config refuses header injection and bad names', () => {
  assert.throws(() => compileConf(requestTransformer, { add: { headers: { 'x-a': 'v\r\nInjected: 1' } } }));
  assert.throws(() => compileConf(requestTransformer, { add: { headers: { 'bad name': 'v' } } }));
  assert.throws(() => compileConf(requestTransformer, { replace: { uri: 'no-slash' } }));
});
