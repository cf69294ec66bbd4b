// Builds the web app into dist/web unless the build is already newer than every file under web/
// (npm's prestart/pretest run this, so a fresh clone gets a build and a warm one pays nothing).
// After Vite, every text asset gets .br and .gz siblings so the admin server never compresses
// per request. `--force` rebuilds regardless.
import { existsSync, readdirSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const WEB = fileURLToPath(new URL('.', import.meta.url));
const OUT = fileURLToPath(new URL('../dist/web/', import.meta.url));
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|webmanifest)$/;

function newest(dir: string): number {
  let latest = 0;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = statSync(full);
    latest = Math.max(latest, st.isDirectory() ? newest(full) : st.mtimeMs);
  }
  return latest;
}

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* files(full);
    else yield full;
  }
}

// Files outside web/ the bundle is made from: the console imports the admin API's schemas, the
// portal pages the portal API's.
const INPUTS_OUTSIDE = [fileURLToPath(new URL('../docs/admin-openapi.json', import.meta.url)), fileURLToPath(new URL('../docs/portal-openapi.json', import.meta.url))];

export function isUpToDate(): boolean {
  const index = join(OUT, 'index.html');
  if (!existsSync(index)) return false;
  const latest = Math.max(newest(WEB), ...INPUTS_OUTSIDE.filter((f) => existsSync(f)).map((f) => statSync(f).mtimeMs));
  return statSync(index).mtimeMs >= latest;
}

export function precompress(dir: string): number {
  let count = 0;
  for (const file of files(dir)) {
    if (!COMPRESSIBLE.test(file)) continue;
    const body = readFileSync(file);
    if (body.length < 256) continue; // not worth a second request path
    writeFileSync(file + '.gz', gzipSync(body, { level: 9 }));
    writeFileSync(file + '.br', brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }));
    count++;
  }
  return count;
}

export async function buildWeb(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(WEB, 'vite.config.ts'), logLevel: 'warn' });
  const compressed = precompress(OUT);
  console.log(`web app built into dist/web (${compressed} files precompressed)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes('--force') && isUpToDate()) {
    console.log('web app is up to date (dist/web)');
  } else {
    await buildWeb();
  }
}
