// Keeps the error registry and docs/errors.md in step: every code has a section with its status
// and title, and the page documents no code that does not exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERRORS, PROBLEM_TYPE_BASE, problemType, type ErrorCode } from './registry.ts';
import { problemBody } from './problem.ts';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

test('every registry code is documented with its status and title, and nothing else is', () => {
  const sections = [...doc.matchAll(/^### `([a-z0-9-]+)`\n+\*\*(\d{3}) ([^*]+)\*\*/gm)].map((m) => ({ code: m[1]!, status: Number(m[2]), title: m[3]!.trim() }));
  const documented = new Set(sections.map((s) => s.code));
  for (const [code, def] of Object.entries(ERRORS)) {
    const s = sections.find((x) => x.code === code);
    assert.ok(s, `docs/errors.md has no section for ${code}`);
    assert.equal(s.status, def.status, `${code}: status in docs`);
    assert.equal(s.title, def.title, `${code}: title in docs`);
  }
  for (const code of documented) assert.ok(code in ERRORS, `docs/errors.md documents unknown code ${code}`);
});

test('problem bodies carry the RFC 9457 members and a stable type URI', () => {
  const body = problemBody('upstream-timeout', { instance: '/x', requestId: 'r1' });
  assert.deepEqual(Object.keys(body), ['type', 'title', 'status', 'detail', 'instance', 'request_id']);
  assert.equal(body.type, `${PROBLEM_TYPE_BASE}upstream-timeout`);
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    assert.match(problemType(code), /^https:\/\/portcullis\.dev\/problems\/[a-z0-9-]+$/);
    assert.ok(ERRORS[code].status >= 400 && ERRORS[code].status <= 599);
  }
});
