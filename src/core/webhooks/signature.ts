// Standard Webhooks signatures (symmetric scheme `v1`): HMAC-SHA256 over `id.timestamp.body` with a
// `whsec_`-prefixed base64 secret, sent as a space-separated list so that several secrets can sign
// at once during a rotation. Used by the delivery worker (signing) and the webhook-verify plugin.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** The spec's bounds on a secret: 24 to 64 random bytes. */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;
const NEW_SECRET_BYTES = 32;

export class WebhookSecretError extends Error {}

/** A fresh signing secret, serialised as the spec says (`whsec_` + base64). */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(NEW_SECRET_BYTES).toString('base64');
}

/** The key bytes of a `whsec_` secret; refuses anything that is not 24-64 bytes of base64. */
export function secretKey(secret: string): Buffer {
  const text = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : undefined;
  if (text === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new WebhookSecretError(`a signing secret is "${SECRET_PREFIX}" followed by base64`);
  const key = Buffer.from(text, 'base64');
  if (key.byteLength < MIN_SECRET_BYTES || key.byteLength > MAX_SECRET_BYTES) throw new WebhookSecretError(`a signing secret holds ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes, not ${key.byteLength}`);
  return key;
}

/** The raw HMAC of one message under one key. */
function mac(key: Buffer, id: string, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

/** `v1,<base64>` for one secret. */
export function sign(secret: string | Buffer, id: string, timestamp: number, body: string | Uint8Array): string {
  const key = typeof secret === 'string' ? secretKey(secret) : secret;
  return `v1,${mac(key, id, timestamp, body).toString('base64')}`;
}

/** The `webhook-signature` header value: one signature per secret, space-separated. */
export function signatureHeader(secrets: readonly (string | Buffer)[], id: string, timestamp: number, body: string | Uint8Array): string {
  return secrets.map((s) => sign(s, id, timestamp, body)).join(' ');
}

/**
 * Whether any `v1` signature in the header is the HMAC of the message under any of the keys.
 * Every comparison is constant-time; other schemes (`v1a`) and malformed entries are skipped.
 */
export function verifySignatureHeader(header: string, keys: readonly Buffer[], id: string, timestamp: number, body: string | Uint8Array): boolean {
  const offered: Buffer[] = [];
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const sig = Buffer.from(entry.slice(comma + 1), 'base64');
    if (sig.byteLength === 32) offered.push(sig);
  }
  if (offered.length === 0) return false;
  let ok = false;
  for (const key of keys) {
    const expected = mac(key, id, timestamp, body);
    for (const sig of offered) ok = timingSafeEqual(expected, sig) || ok;
  }
  return ok;
}
