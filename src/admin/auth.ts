// Admin API authentication: bearer tokens with a role (admin > editor > viewer). Tokens are
// 256-bit random strings shown once; the store keeps only their SHA-256 (a slow hash adds nothing
// for secrets with this much entropy). The row id is derived from the hash, so a lookup finds the
// row and the full hash is then compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ADMIN_ROLES, type AdminRole } from '../core/entities/schemas.ts';
import { DuplicateKeyError, type Store } from '../store/ports.ts';

export const TOKEN_PREFIX = 'pcat_';
export const MIN_TOKEN_LENGTH = 24;

export interface Principal {
  readonly user: string;
  readonly userId: string;
  readonly role: AdminRole;
  readonly tokenId: string;
}

export function generateAdminToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function tokenId(hash: string): string {
  return hash.slice(0, 32);
}

const RANK: Record<AdminRole, number> = { viewer: 0, editor: 1, admin: 2 };
export const roleAllows = (role: AdminRole, needed: AdminRole) => RANK[role] >= RANK[needed];
export const isRole = (v: unknown): v is AdminRole => typeof v === 'string' && (ADMIN_ROLES as readonly string[]).includes(v);

export class AdminAuth {
  readonly #store: Store;
  readonly #touched = new Map<string, number>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** The principal for an `Authorization` header value, or undefined (every failure alike). */
  async authenticate(header: string | undefined): Promise<Principal | undefined> {
    const match = /^Bearer[ ]+([\x21-\x7e]{1,512})$/i.exec(header ?? '');
    if (!match) return undefined;
    const hash = tokenHash(match[1]!);
    const session = this.#store.read();
    const row = await session.getAdminToken(tokenId(hash));
    if (!row) return undefined;
    const a = Buffer.from(row.secret_hash, 'hex');
    const b = Buffer.from(hash, 'hex');
    if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
    if (row.expires_at !== null && Date.parse(row.expires_at) <= Date.now()) return undefined;
    const user = await session.getAdminUser(row.user_id);
    if (!user || !isRole(user.role)) return undefined;
    this.#touch(row.id);
    return { user: user.name, userId: user.id, role: user.role, tokenId: row.id };
  }

  // last_used_at is informative: written at most once a minute per token, off the request path.
  #touch(id: string): void {
    const now = Date.now();
    if ((this.#touched.get(id) ?? 0) > now - 60_000) return;
    this.#touched.set(id, now);
    void this.#store.write((tx) => tx.touchAdminToken(id, new Date(now).toISOString())).catch(() => undefined);
  }

  /** Stores a token for a user and returns the secret (the only time it is seen). */
  async issue(userId: string, name: string, expiresAt: string | null, secret = generateAdminToken()): Promise<{ token: string; id: string }> {
    const hash = tokenHash(secret);
    await this.#store.write((tx) => tx.insertAdminToken({ id: tokenId(hash), user_id: userId, name, secret_hash: hash, expires_at: expiresAt }));
    return { token: secret, id: tokenId(hash) };
  }
}

/**
 * First start: with no admin user yet, create `admin` with one token, taken from
 * PORTCULLIS_ADMIN_TOKEN when set (never printed then) or generated and returned to be printed once.
 */
export async function bootstrapAdmin(store: Store, auth: AdminAuth, envToken: string | undefined): Promise<{ created: boolean; token?: string; fromEnv: boolean }> {
  if (envToken !== undefined && envToken.length < MIN_TOKEN_LENGTH) throw new Error(`PORTCULLIS_ADMIN_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters`);
  const users = await store.read().countAdminUsers();
  if (users > 0) {
    // A known env token is fine; an unknown one is ignored (the store's users decide).
    return { created: false, fromEnv: false };
  }
  let user;
  try {
    user = await store.write(async (tx) => {
      const created = await tx.insertAdminUser({ name: 'admin', email: null, role: 'admin' });
      await tx.appendAudit({ actor: 'bootstrap', action: 'create', entity: 'admin_user', entity_id: created.id, entity_key: created.name, before: null, after: JSON.stringify({ id: created.id, name: created.name, role: created.role }), request_id: null });
      return created;
    });
  } catch (err) {
    if (err instanceof DuplicateKeyError) return { created: false, fromEnv: false }; // another node won the race
    throw err;
  }
  const { token } = await auth.issue(user.id, envToken ? 'bootstrap (PORTCULLIS_ADMIN_TOKEN)' : 'bootstrap', null, envToken);
  return { created: true, fromEnv: envToken !== undefined, ...(envToken ? {} : { token }) };
}
