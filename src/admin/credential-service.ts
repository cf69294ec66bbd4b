// Consumer credentials: the one place they are created, changed, rotated and deleted, for the
// admin API (src/admin/api/credentials.ts) and the developer portal alike. Secrets go in once and
// never come out: API keys are stored as SHA-256 (looked up by hash on the hot path), passwords as
// scrypt, OAuth2 client secrets as SHA-256. The generated secret is returned to the caller once.
import { recordPlatformEvent } from '../webhooks/platform-events.ts';
import { API_KEY_PREFIX, apiKeyLookup, generateApiKey, generateOAuthClient, hashPassword } from '../core/identity/secrets.ts';
import type { CredentialInput } from '../core/entities/schemas.ts';
import { uuidv7 } from '../store/ids.ts';
import type { Store, StoreSession } from '../store/ports.ts';
import type { CredentialRow } from '../store/schema.ts';
import { NotFoundError, WriteValidationError, type Actor } from './config-service.ts';

export function presentCredential(row: CredentialRow): Record<string, unknown> {
  const data = JSON.parse(row.data) as { tags?: string[]; client_name?: string; scopes?: string[] };
  return {
    id: row.id, consumer: row.consumer, type: row.type, display: row.display,
    ...(row.expires_at ? { expires_at: row.expires_at } : {}), ...(row.revoked_at ? { revoked_at: row.revoked_at } : {}),
    ...(data.client_name !== undefined ? { client_name: data.client_name } : {}),
    ...(data.scopes !== undefined ? { scopes: data.scopes } : {}),
    tags: data.tags ?? [], created_at: row.created_at, updated_at: row.updated_at, version: row.version,
  };
}

function fail(pointer: string, message: string): never {
  throw new WriteValidationError([{ pointer, path: pointer.slice(1), message }]);
}

/** The secret a create or rotate issued: shown once. */
export type IssuedSecret = { key: string } | { client_id: string; client_secret: string } | Record<string, never>;

export interface CredentialPatch { expires_at?: string | null; revoked?: boolean; tags?: string[]; scopes?: string[] | null }

export class CredentialService {
  readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  async get(id: string): Promise<CredentialRow> {
    const row = await this.store.read().getCredential(id);
    if (!row) throw new NotFoundError(`no credential "${id}"`);
    return row;
  }

  #audit(tx: StoreSession, actor: Actor, action: string, id: string, before: CredentialRow | null, after: CredentialRow | null) {
    return tx.appendAudit({
      actor: actor.name, action, entity: 'credential', entity_id: id, entity_key: (after ?? before)!.display,
      before: before ? JSON.stringify(presentCredential(before)) : null, after: after ? JSON.stringify(presentCredential(after)) : null, request_id: actor.requestId ?? null,
    });
  }

  /** Creates a credential (its input already schema-validated); the secret comes back this once. */
  async create(c: CredentialInput, actor: Actor): Promise<{ row: CredentialRow; secret: IssuedSecret }> {
    let key: string | undefined;
    let clientId: string | undefined;
    let lookup: string;
    let secretHash: string | null = null;
    let display: string;
    if (c.client_name !== undefined && c.type !== 'oauth2') fail('/client_name', 'only oauth2 credentials have a client_name');
    if (c.scopes !== undefined && c.type !== 'oauth2') fail('/scopes', 'only oauth2 credentials have scopes');
    if (c.type === 'key-auth') {
      if (c.username !== undefined || c.password !== undefined) fail('/username', 'key-auth credentials take no username or password');
      key = c.key ?? generateApiKey();
      lookup = apiKeyLookup(key);
      // Enough to recognise a key in a list, never enough to matter: the platform prefix plus 4
      // characters of a generated key; 4 characters of a key brought along.
      display = key.startsWith(API_KEY_PREFIX) && c.key === undefined ? `${key.slice(0, API_KEY_PREFIX.length + 4)}…` : `${key.slice(0, 4)}…`;
    } else if (c.type === 'oauth2') {
      if (c.key !== undefined || c.username !== undefined || c.password !== undefined) fail(c.key !== undefined ? '/key' : c.username !== undefined ? '/username' : '/password', 'oauth2 credentials are generated: send only consumer, type and optionally client_name and scopes');
      const client = generateOAuthClient();
      clientId = client.clientId;
      key = client.clientSecret;
      lookup = clientId;
      secretHash = apiKeyLookup(client.clientSecret);
      display = clientId;
    } else {
      if (c.key !== undefined) fail('/key', 'basic-auth credentials take username and password, not key');
      if (c.username === undefined) fail('/username', 'is required for basic-auth');
      if (c.password === undefined) fail('/password', 'is required for basic-auth');
      lookup = c.username;
      display = c.username;
      secretHash = await hashPassword(c.password);
    }
    const row = await this.store.write(async (tx) => {
      if (!await tx.getByKey('consumer', c.consumer)) fail('/consumer', `no consumer is named "${c.consumer}"`);
      const inserted = await tx.insertCredential({ id: uuidv7(), consumer: c.consumer, type: c.type, lookup, secret_hash: secretHash, display, data: JSON.stringify({ tags: c.tags, ...(c.client_name !== undefined ? { client_name: c.client_name } : {}), ...(c.scopes !== undefined ? { scopes: c.scopes } : {}) }), expires_at: c.expires_at ?? null, revoked_at: null });
      await this.#audit(tx, actor, 'create', inserted.id, null, inserted);
      return inserted;
    }, { bump: true });
    const secret: IssuedSecret = c.type === 'oauth2' ? { client_id: clientId!, client_secret: key! } : key !== undefined ? { key } : {};
    return { row, secret };
  }

  /** Sets expiry, revokes (for good), retags or rescopes; `expected` is the If-Match version. */
  async update(id: string, patchIn: CredentialPatch, expected: number | undefined, actor: Actor): Promise<CredentialRow> {
    const current = await this.get(id);
    if (current.revoked_at !== null && patchIn.revoked === false) fail('/revoked', 'a revoked credential stays revoked; create a new one');
    if (patchIn.scopes !== undefined && current.type !== 'oauth2') fail('/scopes', 'only oauth2 credentials have scopes');
    const patch: Partial<Pick<CredentialRow, 'expires_at' | 'revoked_at' | 'data'>> = {};
    if (patchIn.expires_at !== undefined) patch.expires_at = patchIn.expires_at;
    if (patchIn.revoked === true && current.revoked_at === null) patch.revoked_at = new Date().toISOString();
    if (patchIn.tags !== undefined || patchIn.scopes !== undefined) {
      const { scopes: previous, ...data } = JSON.parse(current.data) as { scopes?: string[] };
      // undefined: keep the scopes; null: any scope from now on (stored as none).
      const scopes = patchIn.scopes === undefined ? previous : patchIn.scopes ?? undefined;
      patch.data = JSON.stringify({ ...data, ...(patchIn.tags !== undefined ? { tags: patchIn.tags } : {}), ...(scopes !== undefined ? { scopes } : {}) });
    }
    const row = await this.store.write(async (tx) => {
      const updated = await tx.updateCredential(current.id, patch, expected ?? current.version);
      await this.#audit(tx, actor, 'update', current.id, current, updated);
      return updated;
    }, { bump: true });
    return row;
  }

  /**
   * Rotates a key-auth or oauth2 credential: a new one of the same type for the same consumer now,
   * the old one expiring after the overlap (sooner if it already expires earlier).
   */
  async rotate(id: string, overlapSeconds: number, expected: number | undefined, actor: Actor, now = Date.now()): Promise<{ row: CredentialRow; secret: IssuedSecret; rotatedFrom: string; oldExpiresAt: string }> {
    const current = await this.get(id);
    if (current.type !== 'key-auth' && current.type !== 'oauth2') fail('', 'only key-auth and oauth2 credentials rotate; create a new basic-auth credential instead');
    if (current.revoked_at !== null) fail('', 'a revoked credential cannot be rotated');
    const client = current.type === 'oauth2' ? generateOAuthClient() : undefined;
    const key = client ? client.clientSecret : generateApiKey();
    const fresh = client
      ? { lookup: client.clientId, secret_hash: apiKeyLookup(client.clientSecret), display: client.clientId }
      : { lookup: apiKeyLookup(key), secret_hash: null, display: `${key.slice(0, API_KEY_PREFIX.length + 4)}…` };
    const overlapEnds = new Date(now + overlapSeconds * 1000).toISOString();
    const expiresAt = current.expires_at !== null && current.expires_at < overlapEnds ? current.expires_at : overlapEnds;
    const created = await this.store.write(async (tx) => {
      const old = await tx.updateCredential(current.id, { expires_at: expiresAt }, expected ?? current.version);
      await this.#audit(tx, actor, 'update', current.id, current, old);
      const inserted = await tx.insertCredential({ id: uuidv7(), consumer: current.consumer, type: current.type, ...fresh, data: current.data, expires_at: null, revoked_at: null });
      await this.#audit(tx, actor, 'create', inserted.id, null, inserted);
      await recordPlatformEvent(tx, 'credential.rotated', `consumer:${current.consumer}`, { consumer: current.consumer, credential_id: inserted.id, replaced_credential_id: current.id, type: current.type, old_expires_at: expiresAt }, `credential.rotated:${inserted.id}`);
      return inserted;
    }, { bump: true });
    const secret: IssuedSecret = client ? { client_id: client.clientId, client_secret: key } : { key };
    return { row: created, secret, rotatedFrom: current.id, oldExpiresAt: expiresAt };
  }

  async remove(id: string, expected: number | undefined, actor: Actor): Promise<void> {
    const current = await this.get(id);
    await this.store.write(async (tx) => {
      await tx.deleteCredential(current.id, expected ?? current.version);
      await this.#audit(tx, actor, 'delete', current.id, current, null);
    }, { bump: true });
  }
}
