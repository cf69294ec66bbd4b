// How secrets are made and kept: API keys (random, shown once, stored as SHA-256: they carry 192
// bits, so a slow hash adds nothing) and passwords (scrypt, salted, compared in constant time).
import { hash as digest, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'pk_live_';

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(24).toString('base64url');
}

// crypto.hash: the one-shot form, about twice as fast as createHash for a key-sized input.
export const apiKeyLookup = (key: string) => digest('sha256', key, 'hex');

/** Whether `secret` hashes to `storedHash` (SHA-256 hex), compared in constant time. */
export function secretMatchesHash(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(apiKeyLookup(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export const OAUTH_CLIENT_ID_PREFIX = 'pc_client_';
export const OAUTH_CLIENT_SECRET_PREFIX = 'pcs_';

/** An OAuth2 client: a public id and a 256-bit secret (stored as SHA-256, like an API key). */
export function generateOAuthClient(): { clientId: string; clientSecret: string } {
  return { clientId: OAUTH_CLIENT_ID_PREFIX + randomBytes(12).toString('base64url'), clientSecret: OAUTH_CLIENT_SECRET_PREFIX + randomBytes(32).toString('base64url') };
}

interface ScryptParams { N: number; r: number; p: number; maxmem: number }
const SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function scrypt(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, params, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** Runs on libuv's thread pool: the event loop keeps serving while a password is checked. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const params = { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem };
  // Parameters come from our own store, but a tampered row must not make us burn memory or hang.
  if (!Number.isInteger(params.N) || params.N > 1 << 20 || params.r > 32 || params.p > 16) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, params);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
