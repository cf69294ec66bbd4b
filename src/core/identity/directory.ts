// Who is calling: consumers and their credentials, compiled into lookup tables at snapshot time
// so that authentication on the hot path is a hash and a map lookup, never a database query.
// Only hashes are held (SHA-256 of API keys, scrypt of passwords); they come from the store.
import { apiKeyLookup } from './secrets.ts';
import type { Consumer } from '../pipeline/context.ts';
import type { TokenIssuer } from './token-issuer.ts';
import { NO_ENTITLEMENTS, type Entitlements } from './entitlements.ts';

/** A credential as the gateway gets it from the store: no secret, only its hash. */
export interface CredentialRecord {
  readonly id: string;
  readonly consumer: string;
  readonly type: string;
  /** key-auth: SHA-256 hex of the key; basic-auth: the username. */
  readonly lookup: string;
  /** basic-auth: the scrypt hash (`scrypt$N$r$p$salt$hash`). */
  readonly secret_hash: string | null;
  readonly expires_at: string | null;
  readonly revoked_at: string | null;
  /** oauth2: the scopes the client may be granted (absent: any). */
  readonly scopes?: readonly string[];
}

export interface ConsumerRecord {
  readonly name: string;
  readonly custom_id?: string;
  readonly groups: readonly string[];
}

export interface CredentialMatch {
  readonly consumer: Consumer;
  readonly credentialId: string;
  readonly secretHash: string | null;
  /** oauth2: the scopes the client may be granted (absent: any). */
  readonly scopes?: readonly string[];
}

export interface IdentityDirectory {
  /** The consumer an API key belongs to, if the key is known, unexpired and not revoked. */
  apiKey(key: string, now: number): CredentialMatch | undefined;
  /** A basic-auth credential by username (the password is checked by the caller). */
  basicAuth(username: string, now: number): CredentialMatch | undefined;
  /** An OAuth2 client by client_id (`secretHash`: SHA-256 hex of the secret, for the caller to compare). */
  oauthClient(clientId: string, now: number): CredentialMatch | undefined;
  consumer(name: string): Consumer | undefined;
  /** A consumer by the id it has in the API owner's own systems (`custom_id`). */
  consumerByCustomId(customId: string): Consumer | undefined;
  /** The built-in OAuth2 server's tokens (when it is enabled). */
  readonly tokenIssuer: TokenIssuer | undefined;
  /** Consumers' plans per service (from active subscriptions). */
  readonly entitlements: Entitlements;
  readonly size: number;
}

interface Entry {
  readonly match: CredentialMatch;
  readonly expiresAt: number;
}


export function compileIdentities(consumers: readonly ConsumerRecord[], credentials: readonly CredentialRecord[], tokenIssuer?: TokenIssuer, entitlements: Entitlements = NO_ENTITLEMENTS): IdentityDirectory {
  const byName = new Map<string, Consumer>();
  const byCustomId = new Map<string, Consumer>();
  for (const c of consumers) {
    const consumer = Object.freeze({ id: c.name, username: c.name, ...(c.custom_id !== undefined ? { customId: c.custom_id } : {}), groups: Object.freeze([...c.groups]) });
    byName.set(c.name, consumer);
    if (c.custom_id !== undefined) byCustomId.set(c.custom_id, consumer);
  }
  const keys = new Map<string, Entry>();
  const users = new Map<string, Entry>();
  const clients = new Map<string, Entry>();
  for (const cred of credentials) {
    const consumer = byName.get(cred.consumer);
    // Revoked credentials are left out; so are those of a consumer that no longer exists.
    if (!consumer || cred.revoked_at !== null) continue;
    const entry: Entry = {
      match: Object.freeze({ consumer, credentialId: cred.id, secretHash: cred.secret_hash, ...(cred.scopes ? { scopes: Object.freeze([...cred.scopes]) } : {}) }),
      expiresAt: cred.expires_at === null ? Number.POSITIVE_INFINITY : Date.parse(cred.expires_at),
    };
    if (cred.type === 'key-auth') keys.set(cred.lookup, entry);
    else if (cred.type === 'basic-auth') users.set(cred.lookup, entry);
    else if (cred.type === 'oauth2') clients.set(cred.lookup, entry);
  }
  const live = (e: Entry | undefined, now: number) => (e !== undefined && now < e.expiresAt ? e.match : undefined);
  return {
    apiKey: (key, now) => live(keys.get(apiKeyLookup(key)), now),
    basicAuth: (username, now) => live(users.get(username), now),
    oauthClient: (clientId, now) => live(clients.get(clientId), now),
    consumer: (name) => byName.get(name),
    consumerByCustomId: (customId) => byCustomId.get(customId),
    tokenIssuer,
    entitlements,
    size: keys.size + users.size + clients.size,
  };
}

export const EMPTY_DIRECTORY: IdentityDirectory = compileIdentities([], []);
