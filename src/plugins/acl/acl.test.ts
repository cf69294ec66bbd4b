import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Consumer, RequestContext } from '../../core/pipeline/context.ts';
import { setConsumer } from '../shared/consumer-headers.ts';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { acl, aclAllows } from './plugin.ts';

const FORBIDDEN = { problem: 'forbidden' };
const UNAUTHORIZED = { problem: 'unauthorized', headers: { 'www-authenticate': 'Key realm="portcullis"' } };

const consumer = (name: string, groups?: string[]): Consumer => ({ id: name, username: name, ...(groups ? { groups } : {}) });

function run(raw: unknown, who: Consumer | undefined, anonymous = false): { result: unknown; ctx: RequestContext } {
  const ctx = fakeContext({ headers: { 'x-consumer-groups': 'spoofed' } });
  if (who) setConsumer(ctx, who, anonymous ? undefined : 'cred-1', anonymous);
  const result = acl.handlers.access!(ctx, compileConf(acl, raw));
  return { result, ctx };
}

const verdict = (raw: unknown, who: Consumer | undefined) => run(raw, who).result;

test('allow: only consumers in an allowed group pass', () => {
  const conf = { allow: ['partners', 'staff'] };
  assert.equal(verdict(conf, consumer('acme', ['partners'])), undefined);
  assert.equal(verdict(conf, consumer('eve', ['gold', 'staff'])), undefined);
  assert.deepEqual(verdict(conf, consumer('bob', ['gold'])), FORBIDDEN);
  assert.deepEqual(verdict(conf, consumer('bob', [])), FORBIDDEN);
  assert.deepEqual(verdict(conf, consumer('bob')), FORBIDDEN, 'no groups at all');
  // Group names are matched exactly.
  assert.deepEqual(verdict(conf, consumer('bob', ['Partners'])), FORBIDDEN);
});

test('deny wins over allow', () => {
  const conf = { allow: ['partners'], deny: ['suspended'] };
  assert.equal(verdict(conf, consumer('acme', ['partners'])), undefined);
  assert.deepEqual(verdict(conf, consumer('acme', ['partners', 'suspended'])), FORBIDDEN);
  assert.deepEqual(verdict(conf, consumer('acme', ['suspended', 'partners'])), FORBIDDEN);
  // The same group in both lists: denied.
  assert.deepEqual(verdict({ allow: ['partners'], deny: ['partners'] }, consumer('acme', ['partners'])), FORBIDDEN);
});

test('deny only (empty allow): anyone not denied passes, with or without groups', () => {
  const conf = { deny: ['blocked'] };
  assert.equal(verdict(conf, consumer('acme', ['partners'])), undefined);
  assert.equal(verdict(conf, consumer('bob', [])), undefined);
  assert.equal(verdict(conf, consumer('bob')), undefined);
  assert.deepEqual(verdict(conf, consumer('mallory', ['blocked'])), FORBIDDEN);
});

test('no consumer: 401, not 403 (no authentication plugin identified anyone)', () => {
  assert.deepEqual(verdict({ allow: ['partners'] }, undefined), UNAUTHORIZED);
  assert.deepEqual(verdict({ deny: ['blocked'] }, undefined), UNAUTHORIZED);
});

test('an anonymous consumer is judged by its own groups', () => {
  const guest = consumer('guest', ['public']);
  assert.equal(run({ allow: ['public'] }, guest, true).result, undefined);
  assert.deepEqual(run({ allow: ['partners'] }, guest, true).result, FORBIDDEN);
  assert.deepEqual(run({ deny: ['public'] }, guest, true).result, FORBIDDEN);
  assert.equal(run({ deny: ['blocked'] }, consumer('guest'), true).result, undefined);
});

test('hide_groups_header: X-Consumer-Groups is not sent upstream; otherwise it is', () => {
  const acme = consumer('acme', ['partners', 'gold']);
  const shown = run({ allow: ['partners'] }, acme).ctx;
  assert.equal(shown.upstream.headers['x-consumer-groups'], 'partners, gold');
  const hidden = run({ allow: ['partners'], hide_groups_header: true }, acme).ctx;
  assert.equal(hidden.upstream.headers['x-consumer-groups'], undefined);
  assert.equal(hidden.upstream.headers['x-consumer-username'], 'acme', 'only the groups header goes');
  assert.deepEqual(hidden.consumer?.groups, ['partners', 'gold'], 'the consumer itself is untouched');
});

test('aclAllows: the decision on its own', () => {
  const conf = compileConf(acl, { allow: ['a'], deny: ['d'] });
  assert.equal(aclAllows(['a'], conf), true);
  assert.equal(aclAllows(['x', 'a'], conf), true);
  assert.equal(aclAllows(['a', 'd'], conf), false);
  assert.equal(aclAllows([], conf), false);
  const denyOnly = compileConf(acl, { deny: ['d'] });
  assert.equal(aclAllows([], denyOnly), true);
  assert.equal(aclAllows(['d'], denyOnly), false);
});

test('compile: an empty config is refused, as are bad group names and unknown fields', () => {
  assert.throws(() => compileConf(acl, {}), /at least one "allow" or "deny" group/);
  assert.throws(() => compileConf(acl, { allow: [], deny: [] }), /at least one/);
  assert.throws(() => compileConf(acl, { hide_groups_header: true }), /at least one/);
  assert.throws(() => compileConf(acl, { allow: ['bad group'] }), /allow/);
  assert.throws(() => compileConf(acl, { allow: ['a', 'a'] }), /allow/);
  assert.throws(() => compileConf(acl, { allow: ['a'], groups: ['b'] }), /groups/);
  const conf = compileConf(acl, { allow: ['a'] });
  assert.deepEqual([...conf.allow], ['a']);
  assert.deepEqual([...conf.deny], []);
  assert.equal(conf.hideGroups, false);
});
