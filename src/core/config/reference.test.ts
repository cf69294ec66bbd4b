import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigSchema } from './schema.ts';
import { REFERENCE_FILE, renderConfigReference } from './reference.ts';

const FIX = 'run `npx node src/core/config/reference.ts --write`';

test(`${REFERENCE_FILE} is what the schema renders`, () => {
  let committed: string;
  try {
    committed = readFileSync(new URL(`../../../${REFERENCE_FILE}`, import.meta.url), 'utf8');
  } catch {
    assert.fail(`${REFERENCE_FILE} is missing: ${FIX}`);
  }
  if (committed !== renderConfigReference()) assert.fail(`${REFERENCE_FILE} is out of date with src/core/config/schema.ts: ${FIX}`);
});

test('every field of every object in the schema has a row', () => {
  const page = renderConfigReference();
  const walk = (s: Record<string, unknown>): void => {
    if (s.properties && typeof s.properties === 'object') {
      for (const [name, child] of Object.entries(s.properties as Record<string, Record<string, unknown>>)) {
        assert.ok(page.includes(`| \`${name}\` |`), `no row for ${name}`);
        walk(child);
      }
    } else if (s.type === 'array' && s.items && typeof s.items === 'object') walk(s.items as Record<string, unknown>);
  };
  walk(ConfigSchema as unknown as Record<string, unknown>);
});

test('defaults, required fields, enums and shared objects are rendered', () => {
  const page = renderConfigReference();
  assert.match(page, /\| `max_header_bytes` \| integer, 1024 to 1048576 \| `61440` \(60 KiB\) \|/);
  assert.match(page, /\| `url` \| string, format `http-url` \| \*\*required\*\* \|/);
  assert.match(page, /\| `algorithm` \| one of `round-robin`, `least-connections`, `consistent-hash` \| `round-robin` \|/);
  assert.match(page, /\| `hash_header` \| [^|]*(\\\|[^|]*)*\| — \|/, 'an optional field without default');
  // The plugin instance object is documented once, under the top-level plugins[].
  assert.equal(page.match(/^## `plugins\[\]`$/gm)?.length, 1);
  assert.ok(!page.includes('## `routes[].plugins[]`'));
  assert.match(page, /Also used for `services\[\]\.plugins\[\]` and `routes\[\]\.plugins\[\]`\./);
  // Anchors in links point at headings that exist.
  for (const [, target] of page.matchAll(/\]\(#([^)]+)\)/g)) {
    const headings = [...page.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
    assert.ok(headings.includes(target!), `dangling anchor #${target}`);
  }
});
