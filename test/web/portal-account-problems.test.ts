// The account forms' handling of problem documents, the password rule and the ?next= target.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../web/src/api/client.ts';
import { formProblems, passwordProblem, pointerField, safeNext } from '../../web/src/portal/account/problems.ts';

test('field errors land on the fields the form has; the rest in the summary', () => {
  const err = new ApiError(400, { title: 'Validation Failed', detail: 'the body is invalid', errors: [{ pointer: '/password', detail: 'too short' }, { pointer: '/password', detail: 'second' }, { pointer: '/extra', detail: 'not allowed' }] });
  assert.deepEqual(formProblems(err, ['email', 'password']), { fields: { password: 'too short' }, summary: 'password: second extra: not allowed' });
  assert.deepEqual(formProblems(new ApiError(400, { detail: 'bad', errors: [{ pointer: '/email', detail: 'not an email' }] }), ['email']), { fields: { email: 'not an email' }, summary: undefined });
});

test('a problem without field errors is the summary; other failures too', () => {
  assert.deepEqual(formProblems(new ApiError(401, { title: 'Invalid Credentials', detail: 'wrong email or password' }), ['email']), { fields: {}, summary: 'wrong email or password' });
  assert.equal(formProblems(new ApiError(400, { errors: [{ pointer: '', detail: 'whole body' }] }), ['email']).summary, 'whole body');
  assert.equal(formProblems(new Error('offline'), []).summary, 'offline');
});

test('pointer fields unescape ~1 and ~0', () => {
  assert.equal(pointerField('/a~1b/0'), 'a/b');
  assert.equal(pointerField('/x~0y'), 'x~y');
  assert.equal(pointerField(''), '');
});

test('the password rule', () => {
  assert.match(passwordProblem('short')!, /at least 12 characters \(this one has 5\)/);
  assert.equal(passwordProblem('twelve chars'), undefined);
});

test('?next= only goes to a path on this site', () => {
  assert.equal(safeNext('/apps?x=1'), '/apps?x=1');
  assert.equal(safeNext(null), '/');
  assert.equal(safeNext('https://evil.example/'), '/');
  assert.equal(safeNext('//evil.example/'), '/');
  assert.equal(safeNext('/\\evil.example/'), '/');
  assert.equal(safeNext('javascript:alert(1)'), '/');
});
