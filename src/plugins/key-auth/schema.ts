import Type, { type Static } from 'typebox';

const Name = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]{1,64}$' });

export const KeyAuthSchema = Type.Object({
  key_names: Type.Array(Name, { minItems: 1, maxItems: 8, default: ['apikey', 'x-api-key'], description: 'Header names and query parameters the key is read from, in this order.' }),
  key_in_header: Type.Boolean({ default: true, description: 'Read the key from a request header.' }),
  key_in_query: Type.Boolean({ default: true, description: 'Read the key from a query parameter.' }),
  hide_credentials: Type.Boolean({ default: true, description: 'Remove the key before the request goes upstream.' }),
  anonymous: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'Consumer used when no valid key is presented (the request then goes on as that consumer instead of 401).' })),
}, { additionalProperties: false });

export type KeyAuthConfig = Static<typeof KeyAuthSchema>;
