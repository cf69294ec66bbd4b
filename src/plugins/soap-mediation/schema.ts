// soap-mediation's config: one SOAP operation, described by the element trees of its request and
// response (what `portcullis import wsdl` writes from the WSDL's XSD types), plus WS-Security.
import { SecretString } from '../../core/config/secret-fields.ts';
import Type, { type Static } from 'typebox';

/** XSD simple types the mediation converts; any other simple type is carried as a string. */
export const XSD_TYPES = [
  'string', 'normalizedString', 'token', 'anyURI', 'QName', 'base64Binary', 'hexBinary',
  'date', 'dateTime', 'time', 'duration', 'gYear', 'gYearMonth',
  'boolean',
  'byte', 'short', 'int', 'long', 'integer', 'nonNegativeInteger', 'positiveInteger', 'nonPositiveInteger', 'negativeInteger',
  'unsignedByte', 'unsignedShort', 'unsignedInt', 'unsignedLong',
  'decimal', 'float', 'double',
] as const;
export type XsdType = typeof XSD_TYPES[number];

/**
 * One element of an operation's message. `fields` (the children of a complexType sequence, in
 * order) makes it complex; otherwise `type` is its simple type. Nested fields are checked against
 * this same schema by the plugin's compile (TypeBox here stays non-recursive for the docs).
 */
export const ElementModelSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9._-]{0,127}$', description: 'Element local name (also its JSON member name).' }),
  namespace: Type.String({ maxLength: 1024, default: '', description: 'Element namespace URI ("" for an unqualified element).' }),
  type: Type.Unsafe<XsdType>(Type.Union(XSD_TYPES.map((t) => Type.Literal(t)), { default: 'string', description: 'XSD simple type (ignored when fields are given).' })),
  fields: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 500, description: 'Child elements in sequence order (each an element model like this one).' })),
  min_occurs: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 1 }),
  max_occurs: Type.Integer({ minimum: -1, maximum: 1_000_000, default: 1, description: '-1 is unbounded; anything but 1 is a JSON array.' }),
  nillable: Type.Boolean({ default: false, description: 'JSON null is sent as xsi:nil="true" (and read back as null).' }),
  enumeration: Type.Optional(Type.Array(Type.String(), { maxItems: 1000, description: 'Allowed values (an XSD enumeration restriction).' })),
}, { additionalProperties: false });

export type ElementModelConfig = Static<typeof ElementModelSchema>;

export const WsSecuritySchema = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 256 }),
  password: SecretString({ minLength: 1, maxLength: 1024, description: 'Sent to the upstream only (never logged); sealed at rest in store mode; keep a config file private.' }),
  password_type: Type.Union([Type.Literal('PasswordDigest'), Type.Literal('PasswordText')], { default: 'PasswordDigest', description: 'PasswordDigest sends Base64(SHA-1(nonce + created + password)); PasswordText sends the password itself (only over TLS).' }),
}, { additionalProperties: false, description: 'A WS-Security UsernameToken header on every request to the upstream.' });

export const SoapMediationSchema = Type.Object({
  operation: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9._-]{0,127}$', description: 'The operation name (for messages and logs).' }),
  soap_version: Type.Union([Type.Literal('1.1'), Type.Literal('1.2')], { default: '1.1', description: 'The SOAP version spoken to the upstream.' }),
  action: Type.String({ maxLength: 1024, default: '', description: 'The SOAPAction (1.1) or action parameter (1.2) sent upstream.' }),
  request: ElementModelSchema,
  response: ElementModelSchema,
  ws_security: Type.Optional(WsSecuritySchema),
  max_body_bytes: Type.Integer({ minimum: 2, maximum: 16 * 1024 * 1024, default: 1024 * 1024, description: 'Largest JSON request body (413 above).' }),
}, { additionalProperties: false });
