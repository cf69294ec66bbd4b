import Type, { type Static } from 'typebox';
import { HeaderNameSchema, QueryNameSchema } from '../shared/schema.ts';
import { ScopeTokenSchema } from '../../core/entities/schemas.ts';
import { SecretString } from '../../core/config/secret-fields.ts';

/** Signature algorithms a token may use. `none` is not one of them, ever. */
export const ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Printable ASCII without spaces: an issuer ends up in an upstream header (X-Credential-Identifier). */
const PRINTABLE = '^[\\x21-\\x7e]+$';
const ClaimName = (description?: string, def?: string) => Type.String({ minLength: 1, maxLength: 256, pattern: PRINTABLE, ...(description ? { description } : {}), ...(def ? { default: def } : {}) });
/** RFC 6749 §3.3 scope-token. */
const ScopeToken = ScopeTokenSchema;
const CookieName = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]{1,64}$' });

/** A JSON Web Key (RFC 7517); checked in full when the config is compiled. */
const JwkSchema = Type.Object({
  kty: Type.String({ minLength: 1, maxLength: 16 }),
  kid: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  k: Type.Optional(SecretString({ minLength: 1, maxLength: 16384, description: 'The shared secret of an oct (HS) key, base64url.' })),
}, { additionalProperties: true });

const StaticKeySchema = Type.Union([
  // A shared secret is sealed at rest; a PEM public key is not secret and stays readable.
  SecretString({ minLength: 1, maxLength: 16384, description: 'A PEM public key (-----BEGIN PUBLIC KEY-----), or for HS algorithms a shared secret (UTF-8, at least 32 bytes).' }, 'unless-pem'),
  JwkSchema,
]);

const IssuerConfigSchema = Type.Object({
  issuer: Type.String({ minLength: 1, maxLength: 512, pattern: PRINTABLE, description: 'The `iss` value of the tokens this entry verifies.' }),
  audiences: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { minItems: 1, maxItems: 16, description: 'The `aud` claim must contain one of these.' })),
  algorithms: Type.Array(Type.Union(ALGORITHMS.map((a) => Type.Literal(a))), { minItems: 1, maxItems: ALGORITHMS.length, uniqueItems: true, description: 'The algorithms this issuer signs with: all HS, or all asymmetric.' }),
  keys: Type.Optional(Type.Array(StaticKeySchema, { minItems: 1, maxItems: 16, description: 'Static verification keys.' })),
  jwks_uri: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://', description: 'Where the issuer publishes its JSON Web Key Set.' })),
  consumer_claim: ClaimName('The claim that names the consumer.', 'sub'),
  consumer_by: Type.Union([Type.Literal('name'), Type.Literal('custom_id')], { default: 'name', description: 'Whether that claim holds the consumer\'s name or its custom_id.' }),
  clock_skew_seconds: Type.Integer({ minimum: 0, maximum: 600, default: 60, description: 'Leeway for exp, nbf and iat.' }),
  max_token_age_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000, description: 'Tokens must carry an iat at most this old.' })),
  required_claims: Type.Array(ClaimName(), { default: ['exp'], maxItems: 16, uniqueItems: true, description: 'Claims every token must carry. Default ["exp"]: a token that never expires is refused; [] accepts one.' }),
}, { additionalProperties: false });

export const JwtSchema = Type.Object({
  issuers: Type.Array(IssuerConfigSchema, { default: [], maxItems: 16, description: 'The (external) issuers whose tokens are accepted.' }),
  builtin_issuer: Type.Boolean({ default: true, description: 'Also accept access tokens of the built-in OAuth2 server (gateway.oauth2_server) when it is enabled: no keys to configure. The consumer is the one owning the token\'s OAuth2 client.' }),
  scopes: Type.Optional(Type.Array(ScopeToken, { minItems: 1, maxItems: 32, uniqueItems: true, description: 'Scopes the token must all have (scope or scp claim); else 403.' })),
  header_names: Type.Array(HeaderNameSchema, { maxItems: 8, default: ['authorization'], description: 'Headers the token is read from (Authorization: Bearer scheme only).' }),
  query_names: Type.Array(QueryNameSchema, { maxItems: 8, default: [], description: 'Query parameters the token is read from.' }),
  cookie_names: Type.Array(CookieName, { maxItems: 8, default: [], description: 'Cookies the token is read from.' }),
  hide_credentials: Type.Boolean({ default: true, description: 'Remove the token before the request goes upstream.' }),
  anonymous: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'Consumer used when no valid token is presented (instead of 401).' })),
}, { additionalProperties: false });

export type JwtConfig = Static<typeof JwtSchema>;
export type IssuerConfig = Static<typeof IssuerConfigSchema>;
