import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMasterKey, MASTER_KEY_FILE } from './master-key.ts';

const MODULE = fileURLToPath(new URL('./master-key.ts', import.meta.url));

test('nodes starting at once on one state directory all get the same, complete key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = `import { loadMasterKey } from ${JSON.stringify(MODULE)}; console.log(loadMasterKey(${JSON.stringify(dir)}, {}).fingerprint);`;
  const run = () => new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout.trim())));
  });
  const fingerprints = await Promise.all(Array.from({ length: 8 }, run));
  assert.equal(new Set(fingerprints).size, 1, 'one key for all');
  assert.deepEqual(readdirSync(dir), [MASTER_KEY_FILE], 'no temporary files left behind');
  assert.equal(statSync(join(dir, MASTER_KEY_FILE)).mode & 0o777, 0o600);
  assert.equal(loadMasterKey(dir, {}).fingerprint, fingerprints[0]);
});

test('a damaged key file is refused, not replaced', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, MASTER_KEY_FILE), 'not a key\n');
  assert.throws(() => loadMasterKey(dir, {}), /damaged/);
});
