// Consumer credentials. Secrets go in once and never come out: API keys are stored as SHA-256
// (looked up by hash on the hot path later), passwords as scrypt. The key is in the 201 answer only.
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import Type from 'typebox';
import { validate } from '../../core/config/validate.ts';
import { CredentialInputSchema, CredentialSchema, CredentialUpdateSchema, type CredentialInput } from '../../core/entities/schemas.ts';
import { uuidv7 } from '../../store/ids.ts';
import type { CredentialRow } from '../../store/schema.ts';
import type { ConfigService } from '../config-service.ts';
import { WriteValidationError } from '../config-service.ts';
import { ApiProblem, CURSOR_PARAM, LIMIT_PARAM, Timestamp, Uuid, etagOf, expectedVersion, pageBody, pageParams, pageSchema, type OpInput, type Operation } from './types.ts';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export const API_KEY_PREFIX = 'pk_live_';

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(24).toString('base64url');
}

export const apiKeyLookup = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return timingSafeEqual(actual, expected);
}

const ResponseSchema = Type.Object({ id: Uuid, ...CredentialSchema.properties, created_at: Timestamp, updated_at: Timestamp, version: Type.Integer() }, { title: 'Credential' });
const CreatedSchema = Type.Object({ ...ResponseSchema.properties, key: Type.Optional(Type.String({ description: 'key-auth: the API key. Shown this once; only its hash is stored.' })) }, { title: 'CreatedCredential' });

export function presentCredential(row: CredentialRow): Record<string, unknown> {
  const data = JSON.parse(row.data) as { tags?: string[] };
  return {
    id: row.id, consumer: row.consumer, type: row.type, display: row.display,
    ...(row.expires_at ? { expires_at: row.expires_at } : {}), ...(row.revoked_at ? { revoked_at: row.revoked_at } : {}),
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
      description: 'key-auth: omit `key` to have one generated (`pk_live_…`); the answer shows it once. basic-auth: `username` and `password` (scrypt-hashed).',
      body: CredentialInputSchema,
      responses: { 201: { description: 'Created.', schema: CreatedSchema, etag: true } },
      problems: ['conflict'],
      async handler(input) {
        const v = validate<CredentialInput>(CredentialInputSchema, input.body);
        if (!v.ok) throw new WriteValidationError(v.issues);
        const c = v.value;
        let key: string | undefined;
        let lookup: string;
        let secretHash: string | null = null;
        let display: string;
        if (c.type === 'key-auth') {
          if (c.username !== undefined || c.password !== undefined) fail('/username', 'key-auth credentials take no username or password');
          key = c.key ?? generateApiKey();
          lookup = apiKeyLookup(key);
          // Enough to recognise a key in a list, never enough to matter: the platform prefix plus 4
          // characters of a generated key; 4 characters of a key brought along.
          display = key.startsWith(API_KEY_PREFIX) && c.key === undefined ? `${key.slice(0, API_KEY_PREFIX.length + 4)}…` : `${key.slice(0, 4)}…`;
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
          const inserted = await tx.insertCredential({ id: uuidv7(), consumer: c.consumer, type: c.type, lookup, secret_hash: secretHash, display, data: JSON.stringify({ tags: c.tags }), expires_at: c.expires_at ?? null, revoked_at: null });
          await audit(tx, input, 'create', inserted.id, null, inserted);
          return inserted;
        }, { bump: true });
        return { status: 201, body: { ...presentCredential(row), ...(key !== undefined ? { key } : {}) }, headers: { etag: etagOf(row.version), location: `/admin/credentials/${row.id}`, 'cache-control': 'no-store' } };
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
        const v = validate<{ expires_at?: string | null; revoked?: boolean; tags?: string[] }>(CredentialUpdateSchema, input.body);
        if (!v.ok) throw new WriteValidationError(v.issues);
        const current = await find(input.params.id!);
        if (current.revoked_at !== null && v.value.revoked === false) fail('/revoked', 'a revoked credential stays revoked; create a new one');
        const patch: Partial<Pick<CredentialRow, 'expires_at' | 'revoked_at' | 'data'>> = {};
        if (v.value.expires_at !== undefined) patch.expires_at = v.value.expires_at;
        if (v.value.revoked === true && current.revoked_at === null) patch.revoked_at = new Date().toISOString();
        if (v.value.tags !== undefined) patch.data = JSON.stringify({ ...JSON.parse(current.data) as object, tags: v.value.tags });
        const row = await store.write(async (tx) => {
          const updated = await tx.updateCredential(current.id, patch, expectedVersion(input.headers, current.version) ?? current.version);
          await audit(tx, input, 'update', current.id, current, updated);
          return updated;
        }, { bump: true });
        return { body: presentCredential(row), headers: { etag: etagOf(row.version) } };
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

