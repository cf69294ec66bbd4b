// The three signature schemes webhook-verify understands: where each puts its signature and
// timestamp, how the signed bytes are made, and what identifies one delivery for the replay memory.
//   standard  webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of id.ts.body>
//             (the maths is core/webhooks/signature.ts, shared with the delivery worker)
//   github    X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>; no timestamp
//   stripe    Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of t.body>[,v1=…]
// Every comparison is constant-time (timingSafeEqual on 32-byte buffers), and every configured
// key is tried against every offered signature, so the time taken says nothing about which matched.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { HeaderMap, HeaderValue } from '../../core/pipeline/context.ts';
import { secretKey, verifySignatureHeader, WebhookSecretError } from '../../core/webhooks/signature.ts';

export type SchemeName = 'standard' | 'github' | 'stripe';

/** A delivery's signed parts as read from its headers; nothing is verified yet. */
export type Delivery =
  | { readonly scheme: 'standard'; readonly id: string; readonly timestamp: number; readonly signature: string }
  | { readonly scheme: 'github'; readonly timestamp: undefined; readonly signature: Buffer }
  | { readonly scheme: 'stripe'; readonly timestamp: number; readonly signatures: readonly Buffer[] };

/** Why a delivery could not be read: which header is missing or malformed (named as senders spell it). */
export interface HeaderFault {
  readonly fault: 'missing' | 'malformed';
  readonly header: string;
}

/** The header a scheme's signature travels in, as its senders spell it. */
export const SIGNATURE_HEADER: Readonly<Record<SchemeName, string>> = {
  standard: 'webhook-signature',
  github: 'X-Hub-Signature-256',
  stripe: 'Stripe-Signature',
};

/** GitHub and Stripe secrets are used as typed; shorter ones are too easy to guess. */
export const MIN_PLAIN_SECRET_LENGTH = 16;
const SHA256_BYTES = 32;
const UNIX_SECONDS = /^\d{1,12}$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
/** Message ids longer than this are hashed before they become replay-memory keys. */
const MAX_PLAIN_ID = 64;

/**
 * The HMAC keys of the configured secrets, parsed once at compile time, or a message saying which
 * secret is unusable (never echoing it). standard: the bytes a `whsec_` secret encodes; github and
 * stripe: the secret's UTF-8 bytes as given (a Stripe `whsec_…` secret is NOT base64-decoded).
 */
export function keysOf(scheme: SchemeName, secrets: readonly string[]): Buffer[] | string {
  const keys: Buffer[] = [];
  for (let i = 0; i < secrets.length; i++) {
    const secret = secrets[i]!;
    let key: Buffer;
    if (scheme === 'standard') {
      try {
        key = secretKey(secret);
      } catch (err) {
        if (err instanceof WebhookSecretError) return `secrets[${i}]: ${err.message}`;
        throw err;
      }
    } else {
      if (secret.length < MIN_PLAIN_SECRET_LENGTH) return `secrets[${i}]: a ${scheme} secret has at least ${MIN_PLAIN_SECRET_LENGTH} characters`;
      key = Buffer.from(secret, 'utf8');
    }
    const same = keys.findIndex((k) => k.equals(key));
    if (same !== -1) return `secrets[${i}]: the same secret as secrets[${same}]`;
    keys.push(key);
  }
  return keys;
}

const single = (v: HeaderValue | undefined): string | undefined | null => (v === undefined ? undefined : typeof v === 'string' ? v : null);

/** Reads the signed parts of a delivery from its headers (lower-case names). */
export function readDelivery(scheme: SchemeName, headers: HeaderMap): Delivery | HeaderFault {
  switch (scheme) {
    case 'standard': return readStandard(headers);
    case 'github': return readGithub(headers);
    case 'stripe': return readStripe(headers);
  }
}

/** Standard Webhooks headers; Svix sends the same scheme under svix-* names. */
function readStandard(headers: HeaderMap): Delivery | HeaderFault {
  const id = single(headers['webhook-id'] ?? headers['svix-id']);
  if (id === undefined || id === '') return { fault: 'missing', header: 'webhook-id' };
  if (id === null) return { fault: 'malformed', header: 'webhook-id' };
  const ts = single(headers['webhook-timestamp'] ?? headers['svix-timestamp']);
  if (ts === undefined || ts === '') return { fault: 'missing', header: 'webhook-timestamp' };
  if (ts === null || !UNIX_SECONDS.test(ts)) return { fault: 'malformed', header: 'webhook-timestamp' };
  const signature = single(headers['webhook-signature'] ?? headers['svix-signature']);
  if (signature === undefined || signature === '') return { fault: 'missing', header: 'webhook-signature' };
  if (signature === null) return { fault: 'malformed', header: 'webhook-signature' };
  return { scheme: 'standard', id, timestamp: Number(ts), signature };
}

function readGithub(headers: HeaderMap): Delivery | HeaderFault {
  const value = single(headers['x-hub-signature-256']);
  if (value === undefined || value === '') return { fault: 'missing', header: SIGNATURE_HEADER.github };
  if (value === null || !value.startsWith('sha256=') || !HEX_SHA256.test(value.slice(7))) return { fault: 'malformed', header: SIGNATURE_HEADER.github };
  return { scheme: 'github', timestamp: undefined, signature: Buffer.from(value.slice(7), 'hex') };
}

/** `t=<unix>,v1=<hex>[,v1=<hex>…]`; other items (v0, unknown schemes) are ignored, as Stripe's libraries do. */
function readStripe(headers: HeaderMap): Delivery | HeaderFault {
  const value = single(headers['stripe-signature']);
  if (value === undefined || value === '') return { fault: 'missing', header: SIGNATURE_HEADER.stripe };
  const malformed: HeaderFault = { fault: 'malformed', header: SIGNATURE_HEADER.stripe };
  if (value === null) return malformed;
  let t: number | undefined;
  const signatures: Buffer[] = [];
  for (const item of value.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const name = item.slice(0, eq).trim();
    const v = item.slice(eq + 1).trim();
    if (name === 't') {
      if (t !== undefined || !UNIX_SECONDS.test(v)) return malformed;
      t = Number(v);
    } else if (name === 'v1' && HEX_SHA256.test(v)) {
      signatures.push(Buffer.from(v, 'hex'));
    }
  }
  if (t === undefined || signatures.length === 0) return malformed;
  return { scheme: 'stripe', timestamp: t, signatures };
}

/** Whether a signed timestamp (seconds) is too far from now (ms): older, or ahead of the clock. */
export function outOfTolerance(timestampSeconds: number, nowMs: number, toleranceMs: number): 'old' | 'ahead' | undefined {
  const age = nowMs - timestampSeconds * 1000;
  return age > toleranceMs ? 'old' : -age > toleranceMs ? 'ahead' : undefined;
}

/** Whether one of the delivery's signatures is the HMAC of its signed bytes under one of the keys. */
export function verifyDelivery(d: Delivery, keys: readonly Buffer[], body: Buffer): boolean {
  switch (d.scheme) {
    case 'standard': return verifySignatureHeader(d.signature, keys, d.id, d.timestamp, body);
    case 'github': return anyMatches(keys, [d.signature], '', body);
    case 'stripe': return anyMatches(keys, d.signatures, `${d.timestamp}.`, body);
  }
}

/** HMAC-SHA256(key, prefix + body) against every offered 32-byte signature, for every key. */
function anyMatches(keys: readonly Buffer[], offered: readonly Buffer[], prefix: string, body: Buffer): boolean {
  let ok = false;
  for (const key of keys) {
    const expected = createHmac('sha256', key).update(prefix).update(body).digest();
    for (const sig of offered) if (sig.byteLength === SHA256_BYTES) ok = timingSafeEqual(expected, sig) || ok;
  }
  return ok;
}

/**
 * What makes a verified delivery the same delivery again, built only from SIGNED content, so that
 * a replay cannot dodge the memory by editing an unsigned header:
 * - standard: webhook-id and webhook-timestamp. A sender's retry is re-signed with a new timestamp
 *   and passes (the upstream dedupes retries by webhook-id, which it receives); an identical copy
 *   of any attempt is a replay.
 * - stripe: t and the body. Not the v1 value: during a secret roll Stripe sends one v1 per secret,
 *   and a replay that drops one of them would otherwise look new.
 * - github: the body alone. GitHub signs nothing else (X-GitHub-Delivery is unsigned, so a replay
 *   could carry any delivery id); two deliveries with byte-identical bodies are one delivery here.
 */
export function messageId(d: Delivery, body: Buffer): string {
  switch (d.scheme) {
    case 'standard': return d.id.length > MAX_PLAIN_ID ? `s${d.timestamp}#${digest(d.id)}` : `s${d.timestamp}.${d.id}`;
    case 'github': return `g${digest(body)}`;
    case 'stripe': return `t${d.timestamp}.${digest(body)}`;
  }
}

const digest = (data: string | Buffer) => createHash('sha256').update(data).digest('base64url');
