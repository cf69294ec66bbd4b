import Type, { type Static } from 'typebox';
import { HeaderNameSchema } from '../shared/schema.ts';
import { SecretString } from '../../core/config/secret-fields.ts';

/** Visible ASCII and space (RFC 6749's VSCHAR plus space): what client ids and secrets are made of. */
const ClientCredential = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, pattern: '^[\\x20-\\x7e]+$', description });

/** RFC 6749 scope-token: no space, `"` or `\`, so it can be quoted in WWW-Authenticate as is. */
const ScopeToken = Type.String({ pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]{1,128}$' });

export const OAuth2IntrospectionSchema = Type.Object({
  introspection_url: Type.String({ format: 'http-url', description: 'The IdP\'s RFC 7662 introspection endpoint.' }),
  client_id: ClientCredential(256, 'Client id the gateway authenticates to the introspection endpoint with (client_secret_basic).'),
  client_secret: SecretString({ minLength: 1, maxLength: 1024, pattern: '^[\\x20-\\x7e]+$', description: 'Client secret sent with client_id. Sealed at rest in store mode; never logged.' }),
  token_type_hint: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', default: 'access_token', description: 'Sent as token_type_hint.' }),
  timeout_ms: Type.Integer({ minimum: 10, maximum: 30_000, default: 2000, description: 'Time allowed for one introspection call, connection to body.' }),
  cache_ttl_seconds: Type.Integer({ minimum: 0, maximum: 3600, default: 30, description: 'How long an active result is reused (never past the token\'s exp); 0 = no cache.' }),
  negative_cache_ttl_seconds: Type.Integer({ minimum: 0, maximum: 3600, default: 5, description: 'How long an inactive result is reused; 0 = not cached.' }),
  max_cache_entries: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: 'Cached results kept per instance (and worker); least recently used go first.' }),
  consumer_claim: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', default: 'sub', description: 'Introspection response member naming the consumer (`sub`, or `client_id` for machine clients).' }),
  consumer_by: Type.Union([Type.Literal('name'), Type.Literal('custom_id')], { default: 'name', description: 'Whether consumer_claim holds a consumer\'s name or its custom_id.' }),
  scopes: Type.Array(ScopeToken, { maxItems: 32, uniqueItems: true, default: [], description: 'Scopes the token must all grant (else 403).' }),
  header_names: Type.Array(HeaderNameSchema, { minItems: 1, maxItems: 8, default: ['authorization'], description: 'Headers a `Bearer` token is read from, in this order.' }),
  hide_credentials: Type.Boolean({ default: true, description: 'Remove the bearer token before the request goes upstream.' }),
  anonymous: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'Consumer used when no valid token is presented (instead of 401).' })),
}, { additionalProperties: false });

export type OAuth2IntrospectionConfig = Static<typeof OAuth2IntrospectionSchema>;
