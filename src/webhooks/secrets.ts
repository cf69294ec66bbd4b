// Endpoint signing secrets at rest: sealed under the node's master key (AES-256-GCM), bound to the
// endpoint they belong to. A rotation puts a new secret first and gives the old ones an expiry, so
// both sign during the overlap and receivers can switch without missing a delivery.
import { seal, unseal, type MasterKey } from '../core/identity/sealed.ts';
import { generateSecret, secretKey } from '../core/webhooks/signature.ts';
import type { SealedSecret } from '../store/webhooks/records.ts';

const context = (endpointId: string) => `webhook-endpoint:${endpointId}`;

export function sealSecret(master: MasterKey, endpointId: string, secret: string, now: Date, expiresAt: string | null = null): SealedSecret {
  return { sealed: seal(master.key, secret, context(endpointId)), created_at: now.toISOString(), expires_at: expiresAt };
}

/** The secrets that still sign at `now` (not past the expiry a rotation gave them), newest first. */
export function validSecrets(secrets: readonly SealedSecret[], now: Date = new Date()): SealedSecret[] {
  return secrets.filter((s) => s.expires_at === null || Date.parse(s.expires_at) > now.getTime());
}

/** The secrets still valid at `now`, newest first, in the clear. */
export function openSecrets(master: MasterKey, endpointId: string, secrets: readonly SealedSecret[], now: Date): string[] {
  return validSecrets(secrets, now).map((s) => unseal(master.key, s.sealed, context(endpointId)));
}

/** Signing keys of the valid secrets (what the worker signs with). */
export function signingKeys(master: MasterKey, endpointId: string, secrets: readonly SealedSecret[], now: Date): Buffer[] {
  return openSecrets(master, endpointId, secrets, now).map(secretKey);
}

/**
 * The secrets after a rotation: `next` (or a new random one) first; every still-valid old secret
 * expires `overlapMs` from now (or keeps an earlier expiry); expired ones are dropped.
 */
export function rotateSecrets(master: MasterKey, endpointId: string, secrets: readonly SealedSecret[], now: Date, overlapMs: number, next: string = generateSecret()): { secrets: SealedSecret[]; secret: string } {
  secretKey(next);
  const until = new Date(now.getTime() + overlapMs).toISOString();
  const kept: SealedSecret[] = overlapMs <= 0 ? [] : validSecrets(secrets, now)
    .map((s) => ({ ...s, expires_at: s.expires_at !== null && s.expires_at < until ? s.expires_at : until }));
  return { secrets: [sealSecret(master, endpointId, next, now), ...kept], secret: next };
}
