import Type, { type Static } from 'typebox';

export const BasicAuthSchema = Type.Object({
  hide_credentials: Type.Boolean({ default: true, description: 'Remove the Authorization header before the request goes upstream.' }),
  anonymous: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'Consumer used when no valid credentials are presented (instead of 401).' })),
  realm: Type.String({ pattern: '^[\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]{1,64}$', default: 'portcullis', description: 'Realm named in WWW-Authenticate.' }),
}, { additionalProperties: false });

export type BasicAuthConfig = Static<typeof BasicAuthSchema>;
