import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { requestSizeLimiting } from './plugin.ts';

test('sets the route body limit in bytes for the gateway to enforce', () => {
  const ctx = fakeContext();
  assert.equal(requestSizeLimiting.handlers.access!(ctx, compileConf(requestSizeLimiting, { allowed_payload_size: 2, size_unit: 'kilobytes' })), undefined);
  assert.equal(ctx.upstream.maxBodyBytes, 2048);
  const ctx2 = fakeContext();
  requestSizeLimiting.handlers.access!(ctx2, compileConf(requestSizeLimiting, { allowed_payload_size: 3 }));
  assert.equal(ctx2.upstream.maxBodyBytes, 3 * 1024 * 1024, 'megabytes by default');
});

test('require_content_length refuses chunked bodies', () => {
  const conf = compileConf(requestSizeLimiting, { allowed_payload_size: 1, require_content_length: true });
  assert.deepEqual(requestSizeLimiting.handlers.access!(fakeContext({ headers: { 'transfer-encoding': 'chunked' } }), conf)?.valueOf(), { problem: 'bad-request', detail: 'A Content-Length header is required for request bodies on this route.' });
  assert.equal(requestSizeLimiting.handlers.access!(fakeContext({ headers: { 'content-length': '5' } }), conf), undefined);
});
