// Secrets at rest that must come back out (signing keys): AES-256-GCM under the node's master key.
// The additional data binds a ciphertext to the row it belongs to, so a sealed value copied into
// another row does not open. The master key's fingerprint is stored beside each sealed value, so
// a node started with another key says so clearly instead of failing on a tag mismatch.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const MASTER_KEY_BYTES = 32;

export class SealError extends Error {}

/** The key that seals secrets at rest, with its public fingerprint. */
export interface MasterKey {
  readonly key: Uint8Array;
  readonly fingerprint: string;
}

/** A short, public identifier of a master key (not enough to learn anything about it). */
export function masterKeyFingerprint(masterKey: Uint8Array): string {
  return createHmac('sha256', masterKey).update('portcullis master key fingerprint').digest('hex').slice(0, 16);
}

/**
 * A random master key that lives as long as the process: for stores that live no longer (the
 * in-memory mirror of DB-less mode, the throwaway stores the API documents are generated from).
 */
export function ephemeralMasterKey(): MasterKey {
  const key = randomBytes(MASTER_KEY_BYTES);
  return { key, fingerprint: masterKeyFingerprint(key) };
}

/** `v1.<base64url(iv | tag | ciphertext)>` */
export function seal(masterKey: Uint8Array, plaintext: string, context: string): string {
  if (masterKey.byteLength !== MASTER_KEY_BYTES) throw new SealError(`the master key must be ${MASTER_KEY_BYTES} bytes`);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url')}`;
}

export function unseal(masterKey: Uint8Array, sealed: string, context: string): string {
  const [version, body] = sealed.split('.');
  if (version !== VERSION || body === undefined) throw new SealError('not a sealed value');
  const raw = Buffer.from(body, 'base64url');
  if (raw.byteLength < IV_BYTES + TAG_BYTES) throw new SealError('sealed value too short');
  try {
    const decipher = createDecipheriv('aes-256-gcm', masterKey, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SealError('the sealed value does not open with this master key (wrong key, or tampered)');
  }
}
