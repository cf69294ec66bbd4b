// Secrets the portal hands out (session ids, CSRF tokens, mailed link tokens): 256 random bits,
// base64url. The store keeps only the SHA-256 of those that authenticate.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export const newSecret = (): string => randomBytes(32).toString('base64url');
export const secretHash = (secret: string): string => hash('sha256', secret, 'hex');

/** Constant-time equality of two strings (false for different lengths). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Emails as stored and compared: trimmed, lower-cased. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();
