// Consumer credentials. Secrets go in once and never come out: API keys are stored as SHA-256
// (looked up by hash on the hot path later), passwords as scrypt. The key is in the 201 answer only.
import Type from 'typebox';
import { recordPlatformEvent } from '../../webhooks/platform-events.ts';
import { validate } from '../../core/config/validate.ts';
import { API_KEY_PREFIX, apiKeyLookup, generateApiKey, generateOAuthClient, hashPassword } from '../../core/identity/secrets.ts';
import { CredentialInputSchema, CredentialSchema, CredentialUpdateSchema, type CredentialInput } from '../../core/entities/schemas.ts';
import { uuidv7 } from '../../store/ids.ts';
import type { CredentialRow } from '../../store/schema.ts';
import type { ConfigService } from '../config-service.ts';
import { WriteValidationError } from '../config-service.ts';
import { ApiProblem, CURSOR_PARAM, LIMIT_PARAM, Timestamp, Uuid, etagOf, expectedVersion, pageBody, pageParams, pageSchema, type OpInput, type Operation } from './types.ts';

const ResponseSchema = Type.Object({ id: Uuid, ...CredentialSchema.properties, created_at: Timestamp, updated_at: Timestamp, version: Type.Integer() }, { title: 'Credential' });
const CreatedSchema = Type.Object({
  ...ResponseSchema.properties,
  key: Type.Optional(Type.String({ description: 'key-auth: the API key. Shown this once; only its hash is stored.' })),
  client_id: Type.Optional(Type.String({ description: 'oauth2: the client id (also shown as display).' })),
  client_secret: Type.Optional(Type.String({ description: 'oauth2: the client secret. Shown this once; only its hash is stored.' })),
  rotated_from: Type.Optional(Type.String({ description: 'Rotation: the id of the credential this one replaces.' })),
  old_expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'Rotation: when the replaced key stops working.' })),
}, { title: 'CreatedCredential' });
const RotateSchema = Type.Object({
  overlap_seconds: Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 86400, description: 'How long the old key keeps working (default a day; 0 ends it now).' }),
}, { additionalProperties: false, title: 'RotateCredential' });

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

const actorOf = (input: OpInput) => ({ name: input.principal?.user ?? 'anonymous', requestId: input.requestId });

export function credentialOperations(service: ConfigService): Operation[] {
  const store = service.store;
  const find = async (id: string) => {
    const row = await store.read().getCredential(id);
    if (!row) throw new ApiProblem('not-found', `no credential "${id}"`);
    return row;
  };
  const audit = (tx: Parameters<Parameters<typeof store.write>[0]>[0], input: OpInput, action: string, id: string, before: CredentialRow | null, after: CredentialRow | null) => tx.appendAudit({
    actor: actorOf(input).name, action, entity: 'credential', entity_id: id, entity_key: (after ?? before)!.display,
    before: before ? JSON.stringify(presentCredential(before)) : null, after: after ? JSON.stringify(presentCredential(after)) : null, request_id: input.requestId,
  });
  return [
    {
      id: 'list-credentials', method: 'GET', path: '/admin/credentials', tag: 'Credential', role: 'viewer',
      summary: 'List credentials (never their secrets)',
      query: [LIMIT_PARAM, CURSOR_PARAM, { name: 'consumer', description: 'Only this consumer’s credentials.', schema: Type.String() }],
      responses: { 200: { description: 'One page.', schema: pageSchema(ResponseSchema) } },
      async handler(input) {
        const page = await store.read().listCredentials({ ...pageParams(input.query), ...(input.query.consumer !== undefined ? { consumer: input.query.consumer } : {}) });
        return { body: pageBody(page, presentCredential) };
      },
    },
    {
      id: 'create-credential', method: 'POST', path: '/admin/credentials', tag: 'Credential', role: 'editor', write: true,
      summary: 'Create a credential for a consumer',
      description: 'key-auth: omit `key` to have one generated (`pk_live_…`); the answer shows it once. basic-auth: `username` and `password` (scrypt-hashed). oauth2: a generated `client_id` and `client_secret` (shown once) for the client-credentials grant.',
      body: CredentialInputSchema,
      responses: { 201: { description: 'Created.', schema: CreatedSchema, etag: true } },
      problems: ['conflict'],
      async handler(input) {
        const v = validate<CredentialInput>(CredentialInputSchema, input.body);
        if (!v.ok) throw new WriteValidationError(v.issues);
        const c = v.value;
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
        const row = await store.write(async (tx) => {
          if (!await tx.getByKey('consumer', c.consumer)) fail('/consumer', `no consumer is named "${c.consumer}"`);
          const inserted = await tx.insertCredential({ id: uuidv7(), consumer: c.consumer, type: c.type, lookup, secret_hash: secretHash, display, data: JSON.stringify({ tags: c.tags, ...(c.client_name !== undefined ? { client_name: c.client_name } : {}), ...(c.scopes !== undefined ? { scopes: c.scopes } : {}) }), expires_at: c.expires_at ?? null, revoked_at: null });
          await audit(tx, input, 'create', inserted.id, null, inserted);
          return inserted;
        }, { bump: true });
        const secret = c.type === 'oauth2' ? { client_id: clientId, client_secret: key } : key !== undefined ? { key } : {};
        return { status: 201, body: { ...presentCredential(row), ...secret }, headers: { etag: etagOf(row.version), location: `/admin/credentials/${row.id}`, 'cache-control': 'no-store' } };
      },
    },
    {
      id: 'get-credential', method: 'GET', path: '/admin/credentials/{id}', tag: 'Credential', role: 'viewer',
      summary: 'Read a credential (without its secret)',
      responses: { 200: { description: 'The credential.', schema: ResponseSchema, etag: true } },
      problems: ['not-found'],
      async handler(input) {
        const row = await find(input.params.id!);
        return { body: presentCredential(row), headers: { etag: etagOf(row.version) } };
      },
    },
    {
      id: 'patch-credential', method: 'PATCH', path: '/admin/credentials/{id}', tag: 'Credential', role: 'editor', write: true,
      summary: 'Set expiry, revoke, or retag a credential',
      body: CredentialUpdateSchema,
      responses: { 200: { description: 'Updated.', schema: ResponseSchema, etag: true } },
      problems: ['not-found', 'precondition-failed'],
      async handler(input) {
        const v = validate<{ expires_at?: string | null; revoked?: boolean; tags?: string[]; scopes?: string[] | null }>(CredentialUpdateSchema, input.body);
        if (!v.ok) throw new WriteValidationError(v.issues);
        const current = await find(input.params.id!);
        if (current.revoked_at !== null && v.value.revoked === false) fail('/revoked', 'a revoked credential stays revoked; create a new one');
        if (v.value.scopes !== undefined && current.type !== 'oauth2') fail('/scopes', 'only oauth2 credentials have scopes');
        const patch: Partial<Pick<CredentialRow, 'expires_at' | 'revoked_at' | 'data'>> = {};
        if (v.value.expires_at !== undefined) patch.expires_at = v.value.expires_at;
        if (v.value.revoked === true && current.revoked_at === null) patch.revoked_at = new Date().toISOString();
        if (v.value.tags !== undefined || v.value.scopes !== undefined) {
          const { scopes: previous, ...data } = JSON.parse(current.data) as { scopes?: string[] };
          // undefined: keep the scopes; null: any scope from now on (stored as none).
          const scopes = v.value.scopes === undefined ? previous : v.value.scopes ?? undefined;
          patch.data = JSON.stringify({ ...data, ...(v.value.tags !== undefined ? { tags: v.value.tags } : {}), ...(scopes !== undefined ? { scopes } : {}) });
        }
        const row = await store.write(async (tx) => {
          const updated = await tx.updateCredential(current.id, patch, expectedVersion(input.headers, current.version) ?? current.version);
          await audit(tx, input, 'update', current.id, current, updated);
          return updated;
        }, { bump: true });
        return { body: presentCredential(row), headers: { etag: etagOf(row.version) } };
      },
    },
    {
      id: 'rotate-credential', method: 'POST', path: '/admin/credentials/{id}/rotate', tag: 'Credential', role: 'editor', write: true,
      summary: 'Rotate an API key or OAuth2 client: a new one now, the old one kept for an overlap window',
      description: 'Creates a new credential of the same type for the same consumer (key-auth: a key; oauth2: a client id and secret, with the same name and scopes; shown once) and makes the old one expire after `overlap_seconds` (sooner if it already expires earlier), so clients can switch without downtime.',
      body: RotateSchema, bodyRequired: false,
      responses: { 201: { description: 'The new credential, with its key.', schema: CreatedSchema, etag: true } },
      problems: ['not-found', 'precondition-failed'],
      async handler(input) {
        const v = validate<{ overlap_seconds: number }>(RotateSchema, input.body ?? {});
        if (!v.ok) throw new WriteValidationError(v.issues);
        const current = await find(input.params.id!);
        if (current.type !== 'key-auth' && current.type !== 'oauth2') fail('', 'only key-auth and oauth2 credentials rotate; create a new basic-auth credential instead');
        if (current.revoked_at !== null) fail('', 'a revoked credential cannot be rotated');
        const client = current.type === 'oauth2' ? generateOAuthClient() : undefined;
        const key = client ? client.clientSecret : generateApiKey();
        const fresh = client
          ? { lookup: client.clientId, secret_hash: apiKeyLookup(client.clientSecret), display: client.clientId }
          : { lookup: apiKeyLookup(key), secret_hash: null, display: `${key.slice(0, API_KEY_PREFIX.length + 4)}…` };
        const overlapEnds = new Date(Date.now() + v.value.overlap_seconds * 1000).toISOString();
        const expiresAt = current.expires_at !== null && current.expires_at < overlapEnds ? current.expires_at : overlapEnds;
        const created = await store.write(async (tx) => {
          const old = await tx.updateCredential(current.id, { expires_at: expiresAt }, expectedVersion(input.headers, current.version) ?? current.version);
          await audit(tx, input, 'update', current.id, current, old);
          const inserted = await tx.insertCredential({ id: uuidv7(), consumer: current.consumer, type: current.type, ...fresh, data: current.data, expires_at: null, revoked_at: null });
          await audit(tx, input, 'create', inserted.id, null, inserted);
          await recordPlatformEvent(tx, 'credential.rotated', `consumer:${current.consumer}`, { consumer: current.consumer, credential_id: inserted.id, replaced_credential_id: current.id, type: current.type, old_expires_at: expiresAt }, `credential.rotated:${inserted.id}`);
          return inserted;
        }, { bump: true });
        const secret = client ? { client_id: client.clientId, client_secret: key } : { key };
        return { status: 201, body: { ...presentCredential(created), ...secret, rotated_from: current.id, old_expires_at: expiresAt }, headers: { etag: etagOf(created.version), location: `/admin/credentials/${created.id}`, 'cache-control': 'no-store' } };
      },
    },
    {
      id: 'delete-credential', method: 'DELETE', path: '/admin/credentials/{id}', tag: 'Credential', role: 'editor', write: true,
      summary: 'Delete a credential',
      responses: { 204: { description: 'Deleted.' } },
      problems: ['not-found', 'precondition-failed'],
      async handler(input) {
        const current = await find(input.params.id!);
        await store.write(async (tx) => {
          await tx.deleteCredential(current.id, expectedVersion(input.headers, current.version) ?? current.version);
          await audit(tx, input, 'delete', current.id, current, null);
        }, { bump: true });
        return { status: 204 };
      },
    },
  ];
}

