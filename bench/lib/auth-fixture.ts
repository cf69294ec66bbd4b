// Credentials for the authenticated targets of bench/run.sh (portcullis-key-auth, portcullis-jwt).
// Usage: node bench/lib/auth-fixture.ts DIR
// Writes into DIR (created, mode 0700; files 0600, replaced on each run):
//   public.pem   the RS256 verification key (SPKI PEM), configured as a static key of the jwt plugin
//   private.pem  the signing key (PKCS#8 PEM), only kept so that more tokens can be made by hand
//   token.txt    a JWT signed RS256: iss https://bench.portcullis.test, sub bench, iat now, exp +10 years
//   apikey.txt   an API key (pk_live_ + 24 random bytes, base64url), stored hashed by seed-key-auth.ts
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from 'jose';

const BENCH_ISSUER = 'https://bench.portcullis.test';
const BENCH_CONSUMER = 'bench';
const TEN_YEARS_S = 10 * 365 * 24 * 3600;

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node bench/lib/auth-fixture.ts DIR');
  process.exit(2);
}

mkdirSync(dir, { recursive: true, mode: 0o700 });
const write = (name: string, text: string): void => {
  const file = join(dir, name);
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
};

const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
const now = Math.floor(Date.now() / 1000);
const token = await new SignJWT({})
  .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
  .setIssuer(BENCH_ISSUER)
  .setSubject(BENCH_CONSUMER)
  .setIssuedAt(now)
  .setExpirationTime(now + TEN_YEARS_S)
  .sign(privateKey);
const apiKey = `pk_live_${randomBytes(24).toString('base64url')}`;

write('public.pem', await exportSPKI(publicKey));
write('private.pem', await exportPKCS8(privateKey));
write('token.txt', `${token}\n`);
write('apikey.txt', `${apiKey}\n`);
console.log(`auth fixture in ${dir}: RS256 key pair, token for sub=${BENCH_CONSUMER} (exp +10 years), API key ${apiKey.slice(0, 12)}…`);
