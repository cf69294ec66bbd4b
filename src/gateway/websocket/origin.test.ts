import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOrigins } from './origin.ts';
import { relayedCloseCode, sendableCloseCode, violationCloseCode } from './close-codes.ts';

test('an empty list or "*" accepts any Origin and none', () => {
  for (const check of [compileOrigins([]), compileOrigins(['https://a.example', '*'])]) {
    assert.ok(check(undefined));
    assert.ok(check('https://anything.example'));
  }
});

test('exact origins: scheme, host and port must match; default ports and case do not matter', () => {
  const check = compileOrigins(['https://App.example.com', 'http://localhost:3000']);
  assert.ok(check('https://app.example.com'));
  assert.ok(check('https://app.example.com:443'));
  assert.ok(check('http://localhost:3000'));
  assert.ok(!check('http://app.example.com'));
  assert.ok(!check('https://app.example.com:8443'));
  assert.ok(!check('http://localhost:3001'));
  assert.ok(!check(undefined), 'a listed-origins route refuses a handshake without Origin');
  assert.ok(!check('null'));
});

test('wildcard subdomains match any depth, never the bare domain or a look-alike', () => {
  const check = compileOrigins(['https://*.example.com']);
  assert.ok(check('https://a.example.com'));
  assert.ok(check('https://a.b.example.com'));
  assert.ok(!check('https://example.com'));
  assert.ok(!check('https://evilexample.com'));
  assert.ok(!check('https://example.com.evil.net'));
  assert.ok(!check('http://a.example.com'));
});

test('"null" (sandboxed documents) only when listed', () => {
  assert.ok(compileOrigins(['null'])('null'));
  assert.ok(!compileOrigins(['https://a.example'])('null'));
});

test('close codes: reserved ones are mapped, sendable ones pass, violations by error code', () => {
  assert.equal(relayedCloseCode(1005, 'client'), 1000);
  assert.equal(relayedCloseCode(1006, 'client'), 1011);
  assert.equal(relayedCloseCode(1006, 'upstream'), 1001);
  assert.equal(relayedCloseCode(1015, 'client'), 1011);
  assert.equal(relayedCloseCode(4001, 'upstream'), 4001);
  assert.equal(relayedCloseCode(1008, 'client'), 1008);
  for (const c of [1004, 1005, 1006, 1015, 2999, 5000]) assert.ok(!sendableCloseCode(c), String(c));
  assert.equal(violationCloseCode('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'), 1009);
  assert.equal(violationCloseCode('WS_ERR_INVALID_UTF8'), 1007);
  assert.equal(violationCloseCode('WS_ERR_INVALID_OPCODE'), 1002);
});
