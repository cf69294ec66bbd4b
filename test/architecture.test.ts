// Imports flow one way (DESIGN.md §2): core ← plugins ← gateway; core ← store; admin, portal,
// webhooks and telemetry build on core and store; cli sits on top; nothing imports cli or web.
// The admin and portal APIs also build on webhooks (they are its REST face); webhooks never
// imports them. The portal builds on admin (its ConfigService and operation machinery), never the reverse.
// This test fails when an import breaks that direction, or when core reaches for I/O.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

const ALLOWED: Record<string, readonly string[]> = {
  core: ['core'],
  plugins: ['core', 'plugins', 'telemetry'],  // telemetry: plugins count their own outcomes (metrics)
  store: ['core', 'store'],
  telemetry: ['core', 'store', 'telemetry'],
  gateway: ['core', 'plugins', 'telemetry', 'gateway'],
  admin: ['core', 'store', 'telemetry', 'plugins', 'webhooks', 'admin'],
  portal: ['core', 'store', 'telemetry', 'plugins', 'webhooks', 'admin', 'portal'],  // admin: ConfigService and the operation machinery
  webhooks: ['core', 'store', 'telemetry', 'webhooks'],
  cli: ['core', 'plugins', 'gateway', 'store', 'admin', 'portal', 'webhooks', 'telemetry', 'cli'],
};

// The data-plane stores (counters for rate limits and quotas, the HTTP cache, the Redis connection
// they share) never touch the config database: plugins and the gateway may use them directly.
const DATA_PLANE_STORES = ['store/counters/', 'store/cache/', 'store/redis/'];
const isDataPlaneStore = (target: string) => DATA_PLANE_STORES.some((p) => relative(SRC, target).startsWith(p));

// core is pure: no servers, drivers or HTTP clients (node:net is allowed for its isIP helpers).
const CORE_FORBIDDEN = /^(node:(http|https|http2|dgram|cluster|child_process|worker_threads)|undici|fastify|pg|ioredis|pino)/;

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* tsFiles(full);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) yield full;
  }
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

const layerOf = (file: string) => relative(SRC, file).split('/')[0]!;

test('imports respect the layer direction', () => {
  const violations: string[] = [];
  for (const file of tsFiles(SRC)) {
    const from = layerOf(file);
    const allowed = ALLOWED[from];
    assert.ok(allowed, `src/${from} is not a known layer: add it to DESIGN.md and this test`);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(SRC)) { violations.push(`${relative(SRC, file)} imports outside src: ${spec}`); continue; }
        const to = layerOf(target);
        if (!allowed.includes(to) && !((from === 'plugins' || from === 'gateway') && isDataPlaneStore(target))) violations.push(`${relative(SRC, file)} (${from}) imports ${to}: ${spec}`);
      } else if (from === 'core' && CORE_FORBIDDEN.test(spec)) {
        violations.push(`${relative(SRC, file)}: core must stay pure but imports ${spec}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('the checker sees real imports (guards against a regex that matches nothing)', () => {
  const file = join(SRC, 'gateway', 'exchange.ts');
  assert.ok(importsOf(file).includes('../core/router/normalize.ts'));
});
