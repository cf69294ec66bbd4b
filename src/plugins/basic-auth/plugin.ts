// basic-auth: username and password (RFC 7617) checked against the consumer's scrypt hash. scrypt
// is deliberately slow (tens of ms, on the thread pool), so a successful check is remembered for a
// minute under a hash of the presented credentials: a client sending the same header on every
// request pays for scrypt once a minute, not per request. Every failure answers the same 401.
import { createHash } from 'node:crypto';
import { verifyPassword } from '../../core/identity/secrets.ts';
import { removeHeader, type HeaderValue } from '../../core/pipeline/context.ts';
import { definePlugin } from '../../core/pipeline/plugin.ts';
import { isAuthenticated, setConsumer, unauthenticated } from '../shared/consumer-headers.ts';
import { BasicAuthSchema, type BasicAuthConfig } from './schema.ts';

const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX = 10_000;

/** Presented credentials (hashed: the cache never holds a password) → when the check expires. */
const verified = new Map<string, number>();

function remember(key: string, now: number): void {
  if (verified.size >= VERIFIED_MAX) {
    // Oldest first (Map keeps insertion order): drop a slice rather than one per insert.
    let drop = VERIFIED_MAX / 10;
    for (const k of verified.keys()) {
      verified.delete(k);
      if (--drop === 0) break;
    }
  }
  verified.set(key, now + VERIFIED_TTL_MS);
}

/** Username and password from `Authorization: Basic …`, or undefined when absent or malformed. */
export function parseBasic(header: HeaderValue | undefined): { username: string; password: string } | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(value ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export const basicAuth = definePlugin<typeof BasicAuthSchema, BasicAuthConfig>({
  name: 'basic-auth',
  version: '1.0.0',
  description: 'Authenticates consumers by username and password (HTTP Basic), verified against scrypt hashes.',
  priority: 1100,
  configSchema: BasicAuthSchema,
  authenticates: true,
  handlers: {
    async access(ctx, conf) {
      const presented = parseBasic(ctx.headers.authorization);
      // Cleared even when another plugin authenticated: the password never goes upstream.
      if (presented && conf.hide_credentials) removeHeader(ctx.upstream.headers, 'authorization');
      if (isAuthenticated(ctx)) return;
      const now = Date.now();
      const match = presented ? ctx.identities.basicAuth(presented.username, now) : undefined;
      if (presented && match?.secretHash) {
        const key = createHash('sha256').update(`${match.credentialId}\u0000${match.secretHash}\u0000${presented.password}`).digest('base64url');
        const until = verified.get(key);
        if ((until !== undefined && until > now) || await verifyPassword(presented.password, match.secretHash)) {
          if (until === undefined || until <= now) remember(key, now);
          setConsumer(ctx, match.consumer, match.credentialId);
          return;
        }
      }
      return unauthenticated(ctx, conf.anonymous, `Basic realm="${conf.realm}", charset="UTF-8"`);
    },
  },
});
