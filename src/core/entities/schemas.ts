// Schemas of the entities that are not part of the data plane's own config (consumers, plans,
// products, subscriptions, credentials, admin users). Written once: they validate the config file,
// admin API bodies and store rows, and generate the admin OpenAPI document.
import Type, { type Static } from 'typebox';

export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
export const Name = (description = 'Identifier: letters, digits, ".", "_" and "-".') => Type.String({ pattern: NAME_PATTERN, description });
export const Tags = Type.Array(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:/=-]{0,63}$' }), { default: [], maxItems: 32, uniqueItems: true, description: 'Free labels for filtering (?tag= in the admin API).' });
const Text = (max: number, description: string) => Type.String({ maxLength: max, default: '', description });

export const ConsumerSchema = Type.Object({
  name: Name('Unique name of the application or partner.'),
  custom_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'The id of this consumer in your own systems.' })),
  groups: Type.Array(Type.String({ pattern: NAME_PATTERN }), { default: [], maxItems: 64, uniqueItems: true, description: 'Groups for access control lists.' }),
  tags: Tags,
}, { additionalProperties: false });

const Window = Type.Union([Type.Literal('second'), Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')]);
export const PlanSchema = Type.Object({
  name: Name('Unique plan name, e.g. "free" or "business".'),
  title: Text(200, 'Display name.'),
  description: Text(4000, 'What the plan offers (Markdown).'),
  rate_limits: Type.Array(Type.Object({
    window: Window,
    limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
  }, { additionalProperties: false }), { default: [], maxItems: 4, description: 'Request limits per window; all of them apply.' }),
  quota: Type.Optional(Type.Object({
    period: Type.Union([Type.Literal('day'), Type.Literal('month')]),
    limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 }),
  }, { additionalProperties: false, description: 'Allowance per calendar period.' })),
  price: Type.Object({
    model: Type.Union([Type.Literal('free'), Type.Literal('flat'), Type.Literal('per_call'), Type.Literal('tiered')], { default: 'free' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', default: 'USD', description: 'ISO 4217 code.' }),
    monthly_minor: Type.Integer({ minimum: 0, default: 0, description: 'Flat monthly fee in minor units (cents).' }),
    per_call_minor: Type.Number({ minimum: 0, default: 0, description: 'Price per call in minor units beyond the included calls.' }),
    included_calls: Type.Integer({ minimum: 0, default: 0 }),
    tiers: Type.Array(Type.Object({
      up_to: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'Upper bound of the tier; null for the last one.' }),
      per_call_minor: Type.Number({ minimum: 0 }),
    }, { additionalProperties: false }), { default: [], maxItems: 20, description: 'Graduated tiers (model "tiered").' }),
  }, { additionalProperties: false, default: {} }),
  requires_approval: Type.Boolean({ default: false, description: 'Whether subscribing needs an admin’s approval (the portal then creates subscriptions as "pending"); a subscription written through the admin API or a file has the status it is given.' }),
  tags: Tags,
}, { additionalProperties: false });

export const ProductSchema = Type.Object({
  name: Name('Unique product name.'),
  title: Text(200, 'Display name.'),
  description: Text(20000, 'What the product is for (Markdown).'),
  services: Type.Array(Type.String({ pattern: NAME_PATTERN }), { default: [], uniqueItems: true, maxItems: 1000, description: 'Names of the services sold together in this product.' }),
  plans: Type.Array(Type.String({ pattern: NAME_PATTERN }), { default: [], uniqueItems: true, maxItems: 50, description: 'Names of the plans it can be subscribed on.' }),
  status: Type.Union([Type.Literal('draft'), Type.Literal('published'), Type.Literal('deprecated')], { default: 'draft', description: 'Only published products are listed in the portal.' }),
  tags: Tags,
}, { additionalProperties: false });

export const SubscriptionSchema = Type.Object({
  consumer: Name('Name of the subscribing consumer.'),
  product: Name('Name of the product.'),
  plan: Name('Name of one of the product’s plans.'),
  status: Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('suspended'), Type.Literal('cancelled')], { default: 'active' }),
}, { additionalProperties: false });

/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\\`. */
export const SCOPE_TOKEN_PATTERN = '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$';
export const ScopeTokenSchema = Type.String({ minLength: 1, maxLength: 256, pattern: SCOPE_TOKEN_PATTERN });

/** oauth2: the scopes a client may be granted. */
const OAuthScopes = Type.Array(ScopeTokenSchema, { maxItems: 256, uniqueItems: true, description: 'oauth2 only: the scopes this client may be granted (absent: any the server offers). A token request without `scope` gets all of them.' });

/** What a client sends to create a credential; secrets go in and never come out again. */
export const CredentialInputSchema = Type.Object({
  consumer: Name('Name of the consumer the credential belongs to.'),
  type: Type.Union([Type.Literal('key-auth'), Type.Literal('basic-auth'), Type.Literal('oauth2')], { description: 'key-auth: an API key (generated unless given); basic-auth: username and password; oauth2: a client id and secret for the client-credentials grant (both generated).' }),
  key: Type.Optional(Type.String({ minLength: 20, maxLength: 256, pattern: '^[A-Za-z0-9._~+/=-]+$', description: 'key-auth only: bring your own key (at least 20 characters). Omit to have one generated.' })),
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[^:\\s]+$', description: 'basic-auth only.' })),
  password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024, description: 'basic-auth only; stored as an scrypt hash.' })),
  client_name: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'oauth2 only: a label for the client application.' })),
  scopes: Type.Optional(OAuthScopes),
  expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'The credential stops working at this time.' })),
  tags: Tags,
}, { additionalProperties: false });

/** A stored credential as the API shows it: no secret, a recognisable prefix instead. */
export const CredentialSchema = Type.Object({
  consumer: Type.String(),
  type: Type.String(),
  display: Type.String({ description: 'Key prefix (key-auth), username (basic-auth) or client id (oauth2).' }),
  client_name: Type.Optional(Type.String()),
  scopes: Type.Optional(OAuthScopes),
  expires_at: Type.Optional(Type.String({ format: 'date-time' })),
  revoked_at: Type.Optional(Type.String({ format: 'date-time' })),
  tags: Tags,
}, { additionalProperties: false });

export const CredentialUpdateSchema = Type.Object({
  expires_at: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
  revoked: Type.Optional(Type.Boolean({ description: 'true revokes the credential for good.' })),
  scopes: Type.Optional(Type.Union([OAuthScopes, Type.Null()], { description: 'oauth2 only: the scopes the client may be granted; null allows any.' })),
  tags: Type.Optional(Tags),
}, { additionalProperties: false });

export const ADMIN_ROLES = ['admin', 'editor', 'viewer'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];
export const AdminUserSchema = Type.Object({
  name: Name('Unique user name.'),
  email: Type.Optional(Type.String({ maxLength: 320, pattern: '^[^@\\s]+@[^@\\s]+$' })),
  role: Type.Union(ADMIN_ROLES.map((r) => Type.Literal(r)), { description: 'admin: everything; editor: config and consumers; viewer: read only.' }),
}, { additionalProperties: false });

export const AdminTokenInputSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 128, description: 'What the token is for.' }),
  expires_at: Type.Optional(Type.String({ format: 'date-time' })),
}, { additionalProperties: false });

export type Consumer = Static<typeof ConsumerSchema>;
export type Plan = Static<typeof PlanSchema>;
export type Product = Static<typeof ProductSchema>;
export type Subscription = Static<typeof SubscriptionSchema>;
export type CredentialInput = Static<typeof CredentialInputSchema>;
export type AdminUser = Static<typeof AdminUserSchema>;

/** EDI document types: X12 transaction set ids (850, 856...) or EDIFACT message types (ORDERS...). */
export const EdiDocumentType = Type.String({ pattern: '^([0-9]{3}|[A-Z]{6})$', description: 'X12 transaction set id (e.g. 850, 856) or EDIFACT message type (e.g. ORDERS, DESADV).' });

/** A company exchanging EDI documents through the gateway (docs/edi.md#trading-partners). */
export const TradingPartnerSchema = Type.Object({
  name: Name('Unique name of the trading partner.'),
  title: Text(200, 'Display name.'),
  x12: Type.Optional(Type.Object({
    qualifier: Type.String({ pattern: '^[A-Za-z0-9]{2}$', description: 'Interchange id qualifier (ISA05 when it sends, ISA07 when it receives), e.g. ZZ, 01, 12.' }),
    id: Type.String({ pattern: '^[A-Za-z0-9][ -~]{0,14}$', description: 'Interchange id (ISA06 / ISA08), without the padding.' }),
  }, { additionalProperties: false, description: 'Its X12 interchange identity.' })),
  edifact: Type.Optional(Type.Object({
    id: Type.String({ pattern: '^[A-Za-z0-9][ -~]{0,34}$', description: 'Interchange sender / recipient identification (UNB02.1 / UNB03.1), e.g. a GLN.' }),
    qualifier: Type.String({ pattern: '^[A-Za-z0-9]{0,4}$', default: '', description: 'Partner identification code qualifier (UNB02.2), e.g. 14 for a GLN; "" when it sends none.' }),
  }, { additionalProperties: false, description: 'Its EDIFACT interchange identity.' })),
  document_types: Type.Array(EdiDocumentType, { default: [], maxItems: 100, uniqueItems: true, description: 'What it may send (inbound) or be sent (outbound). Empty: nothing.' }),
  routes: Type.Array(Type.String({ pattern: NAME_PATTERN }), { default: [], maxItems: 100, uniqueItems: true, description: 'Routes (with the edi plugin) it may use. Empty: none.' }),
  consumer: Type.Optional(Type.String({ pattern: NAME_PATTERN, description: 'The consumer its requests must be authenticated as (an authentication plugin on the route sets it). The sender id in the envelope is only a claim: without this, anyone who can reach the route can send as this partner.' })),
  acknowledgement: Type.Union([Type.Literal('always'), Type.Literal('on-error'), Type.Literal('never')], { default: 'always', description: 'When the gateway answers with a functional acknowledgement (997 / CONTRL): for every document, only for rejected ones, or never. A route can override it.' }),
  enabled: Type.Boolean({ default: true, description: 'false refuses its documents (403) without deleting it.' }),
  tags: Tags,
}, { additionalProperties: false });

export type TradingPartner = Static<typeof TradingPartnerSchema>;
