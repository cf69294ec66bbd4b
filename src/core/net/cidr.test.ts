import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CidrSet, parseCidr, parseIp } from './cidr.ts';

const set = (...blocks: string[]) => new CidrSet(blocks.map((b) => parseCidr(b)!));

test('IPv4 blocks and single addresses', () => {
  const s = set('10.0.0.0/8', '192.168.1.7');
  assert.ok(s.contains('10.255.1.2'));
  assert.ok(s.contains('192.168.1.7'));
  assert.ok(!s.contains('192.168.1.8'));
  assert.ok(!s.contains('11.0.0.1'));
  assert.ok(set('0.0.0.0/0').contains('8.8.8.8'));
});

test('IPv6 blocks, compressed forms and zones', () => {
  const s = set('2001:db8::/32', '::1');
  assert.ok(s.contains('2001:db8:0:0:0:0:0:1'));
  assert.ok(s.contains('2001:DB8::abcd'));
  assert.ok(s.contains('::1'));
  assert.ok(s.contains('fe80::1%eth0') === false);
  assert.ok(!s.contains('2001:db9::1'));
});

test('IPv4-mapped IPv6 addresses match IPv4 rules (and the other way round)', () => {
  assert.ok(set('127.0.0.0/8').contains('::ffff:127.0.0.1'));
  assert.ok(set('::ffff:10.0.0.0/104').contains('10.1.2.3'));
  assert.deepEqual(parseIp('::ffff:192.0.2.1'), parseIp('192.0.2.1'));
});

test('garbage is refused', () => {
  for (const bad of ['', 'abc', '10.0.0.0/33', '10.0.0.0/-1', '1.2.3.4/8/8', '::1/129', '256.1.1.1', '10.0.0.0/x']) assert.equal(parseCidr(bad), undefined, bad);
  assert.ok(!set('10.0.0.0/8').contains('not-an-ip'));
  assert.ok(!set('10.0.0.0/8').contains(undefined));
});
