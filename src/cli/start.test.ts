// `portcullis start` installs its SIGTERM/SIGINT handlers before it logs "portcullis is running":
// that line is what supervisors and tests wait for before they signal, and a SIGTERM that beats the
// handlers takes the default action (death by signal: no drain, no store close). Checked at the
// moment the line is logged, so the test does not depend on winning a race.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { parseStartArgs } from './args.ts';
import { runStart } from './start.ts';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

test('the signal handlers are in place when "portcullis is running" is logged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-start-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const configFile = join(dir, 'portcullis.yaml');
  writeFileSync(configFile, 'services: []\nroutes: []\n');
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  t.after(() => {
    for (const s of SIGNALS) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l);
  });
  let handlersAtRunning: Record<string, number> | undefined;
  const logger = pino({
    base: {},
    hooks: {
      logMethod(args, method) {
        if (args.some((a) => a === 'portcullis is running')) {
          handlersAtRunning = Object.fromEntries(SIGNALS.map((s) => [s, process.listenerCount(s) - before.get(s)!.size]));
        }
        method.apply(this, args);
      },
    },
  }, new Writable({ write(_chunk, _enc, done) { done(); } }));
  const args = parseStartArgs(['--config', configFile, '--port', '0', '--admin-port', '0', '--host', '127.0.0.1', '--workers', '1'], {});
  const platform = await runStart(args, logger);
  try {
    assert.deepEqual(handlersAtRunning, { SIGTERM: 1, SIGINT: 1, SIGHUP: 1 });
  } finally {
    await platform.shutdown();
  }
});
