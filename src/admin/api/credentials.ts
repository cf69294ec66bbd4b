// Consumer credentials over the admin API. The logic (hashing, generation, rotation, audit) is
// the CredentialService's, shared with the developer portal; this file is the HTTP face.
import Type from 'typebox';
import { validate } from '../../core/config/validate.ts';
import { CredentialInputSchema, CredentialSchema, CredentialUpdateSchema, type CredentialInput } from '../../core/entities/schemas.ts';
import type { ConfigService } from '../config-service.ts';
import { WriteValidationError } from '../config-service.ts';
import { CredentialService, presentCredential, type CredentialPatch } from '../credential-service.ts';
import { CURSOR_PARAM, LIMIT_PARAM, Timestamp, Uuid, etagOf, expectedVersion, pageBody, pageParams, pageSchema, type OpInput, type Operation } from './types.ts';

export { presentCredential };

export const CredentialResponseSchema = Type.Object({ id: Uuid, ...CredentialSchema.properties, created_at: Timestamp, updated_at: Timestamp, version: Type.Integer() }, { title: 'Credential' });
const ResponseSchema = CredentialResponseSchema;
export const CreatedCredentialSchema = Type.Object({
  ...ResponseSchema.properties,
  key: Type.Optional(Type.String({ description: 'key-auth: the API key. Shown this once; only its hash is stored.' })),
  client_id: Type.Optional(Type.String({ description: 'oauth2: the client id (also shown as display).' })),
  client_secret: Type.Optional(Type.String({ description: 'oauth2: the client secret. Shown this once; only its hash is stored.' })),
  rotated_from: Type.Optional(Type.String({ description: 'Rotation: the id of the credential this one replaces.' })),
  old_expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'Rotation: when the replaced key stops working.' })),
}, { title: 'CreatedCredential' });
const CreatedSchema = CreatedCredentialSchema;
export const RotateCredentialSchema = Type.Object({
  overlap_seconds: Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 86400, description: 'How long the old key keeps working (default a day; 0 ends it now).' }),
}, { additionalProperties: false, title: 'RotateCredential' });
const RotateSchema = RotateCredentialSchema;

const actorOf = (input: OpInput) => ({ name: input.principal?.user ?? 'anonymous', requestId: input.requestId });

export function credentialOperations(service: ConfigService): Operation[] {
  const store = service.store;
  const credentials = new CredentialService(store);
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
        const { row, secret } = await credentials.create(v.value, actorOf(input));
        return { status: 201, body: { ...presentCredential(row), ...secret }, headers: { etag: etagOf(row.version), location: `/admin/credentials/${row.id}`, 'cache-control': 'no-store' } };
      },
    },
    {
      id: 'get-credential', method: 'GET', path: '/admin/credentials/{id}', tag: 'Credential', role: 'viewer',
      summary: 'Read a credential (without its secret)',
      responses: { 200: { description: 'The credential.', schema: ResponseSchema, etag: true } },
      problems: ['not-found'],
      async handler(input) {
        const row = await credentials.get(input.params.id!);
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
        const v = validate<CredentialPatch>(CredentialUpdateSchema, input.body);
        if (!v.ok) throw new WriteValidationError(v.issues);
        const current = await credentials.get(input.params.id!);
        const row = await credentials.update(current.id, v.value, expectedVersion(input.headers, current.version), actorOf(input));
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
        const current = await credentials.get(input.params.id!);
        const { row: created, secret, oldExpiresAt: expiresAt } = await credentials.rotate(current.id, v.value.overlap_seconds, expectedVersion(input.headers, current.version), actorOf(input));
        return { status: 201, body: { ...presentCredential(created), ...secret, rotated_from: current.id, old_expires_at: expiresAt }, headers: { etag: etagOf(created.version), location: `/admin/credentials/${created.id}`, 'cache-control': 'no-store' } };
      },
    },
    {
      id: 'delete-credential', method: 'DELETE', path: '/admin/credentials/{id}', tag: 'Credential', role: 'editor', write: true,
      summary: 'Delete a credential',
      responses: { 204: { description: 'Deleted.' } },
      problems: ['not-found', 'precondition-failed'],
      async handler(input) {
        const current = await credentials.get(input.params.id!);
        await credentials.remove(current.id, expectedVersion(input.headers, current.version), actorOf(input));
        return { status: 204 };
      },
    },
  ];
}

