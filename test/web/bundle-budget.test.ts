// The portal's first load stays small: the JavaScript the landing page loads (the entry named by
// index.html, the landing route's chunk, and every chunk they import statically) is under 200 KB
// gzipped. Measured on the real production build (built first when missing or stale), from Vite's
// manifest, so a lazily loaded route (the console) does not count and a static import of it would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildWeb, isUpToDate } from '../../web/build.ts';

const OUT = fileURLToPath(new URL('../../dist/web/', import.meta.url));
const BUDGET_BYTES = 200 * 1024;

interface ManifestChunk { file: string; isEntry?: boolean; imports?: string[]; dynamicImports?: string[]; src?: string }

test('the landing page loads under 200 KB of gzipped JavaScript, and not the console', { timeout: 120_000 }, async () => {
  if (!isUpToDate()) await buildWeb();
  const manifest = JSON.parse(readFileSync(join(OUT, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  const entry = Object.entries(manifest).find(([, c]) => c.isEntry);
  assert.ok(entry, 'the manifest names the entry');
  const landing = Object.keys(manifest).find((k) => k.endsWith('src/portal/Portal.tsx'));
  assert.ok(landing, 'the portal landing route is its own chunk');
  assert.ok(entry[1].dynamicImports?.some((d) => d === landing) || Object.values(manifest).some((c) => c.dynamicImports?.includes(landing)), 'the landing route is loaded lazily');

  const loaded = new Set<string>();
  const visit = (key: string) => {
    if (loaded.has(key)) return;
    loaded.add(key);
    for (const dep of manifest[key]?.imports ?? []) visit(dep);
  };
  visit(entry[0]);
  visit(landing);
  const index = readFileSync(join(OUT, 'index.html'), 'utf8');
  assert.ok(index.includes(`/${manifest[entry[0]]!.file}`), 'index.html loads the entry chunk');
  assert.doesNotMatch(index, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script in index.html (the CSP forbids them)');

  let total = 0;
  const sizes: string[] = [];
  for (const key of loaded) {
    const file = manifest[key]!.file;
    const gz = gzipSync(readFileSync(join(OUT, file))).length;
    total += gz;
    sizes.push(`${file}: ${(gz / 1024).toFixed(1)} KB`);
  }
  assert.ok([...loaded].every((k) => !k.includes('src/console/')), `the console is not part of the first load: ${[...loaded].join(', ')}`);
  assert.ok(total < BUDGET_BYTES, `landing JavaScript is ${(total / 1024).toFixed(1)} KB gzipped (budget 200 KB): ${sizes.join('; ')}`);
  console.log(`landing page JavaScript: ${(total / 1024).toFixed(1)} KB gzipped (${sizes.join('; ')})`);
});
