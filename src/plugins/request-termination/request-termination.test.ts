import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { requestTermination } from './plugin.ts';

const answer = (raw: unknown) => requestTermination.handlers.access!(fakeContext(), compileConf(requestTermination, raw));

test('default: 503 maintenance problem, with an optional detail and Retry-After', () => {
  assert.deepEqual(answer({}), { problem: 'maintenance', detail: undefined, headers: {} });
  assert.deepEqual(answer({ message: 'Back at 14:00 UTC.', retry_after: 600 }), { problem: 'maintenance', detail: 'Back at 14:00 UTC.', headers: { 'retry-after': '600' } });
});

test('custom body with its own status and content type', () => {
  assert.deepEqual(answer({ status_code: 200, body: '{"ok":true}', content_type: 'application/json' }), { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
  assert.throws(() => compileConf(requestTermination, { status_code: 418 }), /needs a custom body/);
});
