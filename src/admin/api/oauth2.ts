// The built-in OAuth2 server's signing keys: list them (public halves only) and rotate by hand.
// Scheduled rotation needs nothing from here; this is for "now", e.g. a key that may have leaked.
import Type from 'typebox';
import { validate } from '../../core/config/validate.ts';
import type { ConfigService } from '../config-service.ts';
import { WriteValidationError } from '../config-service.ts';
import { present, type SigningKeys } from '../signing-keys.ts';
import { ApiProblem, Timestamp, type OpInput, type Operation } from './types.ts';

const KeySchema = Type.Object({
  kid: Type.String({ description: 'Key id: the RFC 7638 thumbprint of the public key.' }),
  alg: Type.String(),
  public_jwk: Type.Object({}, { additionalProperties: true, description: 'The public key (what the JWKS endpoint publishes).' }),
  sealed_with: Type.String({ description: 'Fingerprint of the master key its private half is sealed with.' }),
  created_at: Timestamp,
  sign_from: Timestamp,
  sign_until: Timestamp,
  publish_until: Timestamp,
}, { title: 'SigningKey' });
const RotateSchema = Type.Object({
  retire_previous: Type.Boolean({ default: false, description: 'Also unpublish every older key now, so tokens they signed stop working (for a key that may have leaked). Otherwise they stay published until their tokens have expired.' }),
}, { additionalProperties: false, title: 'RotateSigningKey' });

const actorOf = (input: OpInput) => input.principal?.user ?? 'anonymous';

export function oauth2Operations(service: ConfigService, keys: SigningKeys | undefined): Operation[] {
  const settings = async () => (await service.load()).config.gateway.oauth2_server;
  return [
    {
      id: 'list-signing-keys', method: 'GET', path: '/admin/oauth2/keys', tag: 'OAuth2 server', role: 'viewer',
      summary: 'List the OAuth2 server’s signing keys (public halves)',
      responses: { 200: { description: 'Every stored key, oldest first.', schema: Type.Object({ data: Type.Array(KeySchema), current_master_key: Type.Optional(Type.String()) }) } },
      async handler() {
        const rows = await service.store.read().listSigningKeys();
        return { body: { data: rows.map(present), ...(keys ? { current_master_key: keys.fingerprint } : {}) } };
      },
    },
    {
      id: 'rotate-signing-key', method: 'POST', path: '/admin/oauth2/keys/rotate', tag: 'OAuth2 server', role: 'admin', write: true,
      summary: 'Rotate the OAuth2 server’s signing key now',
      description: 'Makes a new key that signs every token from now on. Older keys stay published until their tokens have expired, unless `retire_previous` unpublishes them at once.',
      body: RotateSchema, bodyRequired: false,
      responses: { 201: { description: 'The new key.', schema: KeySchema } },
      problems: ['conflict'],
      async handler(input) {
        const v = validate<{ retire_previous: boolean }>(RotateSchema, input.body ?? {});
        if (!v.ok) throw new WriteValidationError(v.issues);
        const current = await settings();
        if (!keys || !current.enabled) throw new ApiProblem('conflict', 'the OAuth2 server is not enabled (gateway.oauth2_server.enabled)');
        const row = await keys.rotate(current, { retirePrevious: v.value.retire_previous, actor: actorOf(input), requestId: input.requestId });
        return { status: 201, body: present(row) };
      },
    },
  ];
}
