import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { ipRestriction } from './plugin.ts';

const verdict = (raw: unknown, ip: string) => ipRestriction.handlers.access!(fakeContext({ clientIp: ip }), compileConf(ipRestriction, raw));

test('allow list: only listed clients pass', () => {
  const conf = { allow: ['10.0.0.0/8', '2001:db8::/32'] };
  assert.equal(verdict(conf, '10.1.2.3'), undefined);
  assert.equal(verdict(conf, '::ffff:10.1.2.3'), undefined);
  assert.equal(verdict(conf, '2001:db8::5'), undefined);
  assert.deepEqual(verdict(conf, '192.168.0.1'), { problem: 'forbidden', detail: 'Your IP address is not allowed.' });
});

test('deny wins over allow; deny-only lets the rest through', () => {
  assert.ok(verdict({ allow: ['10.0.0.0/8'], deny: ['10.0.0.1'] }, '10.0.0.1'));
  assert.equal(verdict({ deny: ['127.0.0.1'] }, '127.0.0.2'), undefined);
  assert.deepEqual(verdict({ deny: ['::1'], message: 'Go away.' }, '::1'), { problem: 'forbidden', detail: 'Go away.' });
});

test('bad config is refused at compile time', () => {
  assert.throws(() => compileConf(ipRestriction, {}), /at least one/);
  assert.throws(() => compileConf(ipRestriction, { allow: ['10.0.0.0/40'] }), /allow\[0\]/);
});
