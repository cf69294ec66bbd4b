import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConf, fakeContext, sentHeaders } from '../test-helpers.ts';
import { responseTransformer } from './plugin.ts';

function run(raw: unknown, headers: Record<string, string>, body: string) {
  const conf = compileConf(responseTransformer, raw);
  const ctx = fakeContext();
  ctx.response = { status: 200, headers: { ...headers } };
  responseTransformer.handlers['upstream-response']!(ctx, conf);
  const out = responseTransformer.handlers['response-body']!(ctx, conf, Buffer.from(body));
  return { headers: sentHeaders(ctx.response.headers), body: out === undefined ? undefined : out.toString() };
}

test('header edits', () => {
  const r = run({ remove: { headers: ['server'] }, add: { headers: { 'X-Frame-Options': 'DENY' } }, rename: { headers: { 'x-up': 'x-down' } } }, { server: 'nginx', 'x-up': '1' }, '');
  assert.deepEqual(r.headers, { 'x-frame-options': 'DENY', 'x-down': '1' });
});

test('JSON body keys: remove, rename, replace, add', () => {
  const r = run({ remove: { json: ['internal'] }, rename: { json: { old: 'new' } }, replace: { json: { status: 'ok' } }, add: { json: { added: [1] } } }, { 'content-type': 'application/json; charset=utf-8' }, '{"internal":1,"old":2,"status":"x"}');
  assert.deepEqual(JSON.parse(r.body!), { new: 2, status: 'ok', added: [1] });
});

test('non-JSON, encoded, invalid or non-object bodies are left alone', () => {
  const conf = { add: { json: { a: 1 } } };
  assert.equal(run(conf, { 'content-type': 'text/plain' }, '{}').body, undefined);
  assert.equal(run(conf, { 'content-type': 'application/json', 'content-encoding': 'gzip' }, '{}').body, undefined);
  assert.equal(run(conf, { 'content-type': 'application/json' }, '{broken').body, undefined);
  assert.equal(run(conf, { 'content-type': 'application/json' }, '[1,2]').body, undefined);
  assert.equal(run(conf, { 'content-type': 'application/problem+json' }, '{}').body, '{"a":1}');
});

test('the body is only buffered when JSON edits are configured', () => {
  const headersOnly = compileConf(responseTransformer, { add: { headers: { a: '1' } } });
  assert.equal(responseTransformer.needsResponseBody!(headersOnly), false);
  assert.equal(responseTransformer.needsResponseBody!(compileConf(responseTransformer, { remove: { json: ['x'] } })), true);
});
