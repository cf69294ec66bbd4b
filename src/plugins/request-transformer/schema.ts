import Type, { type Static } from 'typebox';
import { HeaderNameSchema, HeaderValueSchema, mapWithCredentials, QueryNameSchema, QueryValueSchema } from '../shared/schema.ts';

// Values set under credential names (Authorization, X-API-Key, access_token…) are upstream
// credentials: secrets, sealed at rest (shared/schema.ts).
const headerMap = () => mapWithCredentials(HeaderNameSchema, HeaderValueSchema, { default: {}, additionalProperties: false });
const queryMap = () => mapWithCredentials(QueryNameSchema, QueryValueSchema, { default: {} });
const edits = () => Type.Object({ headers: headerMap(), querystring: queryMap() }, { additionalProperties: false, default: {} });

export const RequestTransformerSchema = Type.Object({
  remove: Type.Object({
    headers: Type.Array(HeaderNameSchema, { default: [] }),
    querystring: Type.Array(QueryNameSchema, { default: [] }),
  }, { additionalProperties: false, default: {} }),
  rename: Type.Object({ headers: Type.Record(HeaderNameSchema, HeaderNameSchema, { default: {}, additionalProperties: false }), querystring: Type.Record(QueryNameSchema, QueryNameSchema, { default: {} }) }, { additionalProperties: false, default: {} }),
  replace: Type.Object({
    headers: headerMap(),
    querystring: queryMap(),
    uri: Type.Optional(Type.String({ pattern: '^/[^\\s?#]*$', description: 'Upstream path; {param} inserts a route parameter.' })),
  }, { additionalProperties: false, default: {} }),
  add: edits(),
  append: edits(),
}, { additionalProperties: false });

export type RequestTransformerConfig = Static<typeof RequestTransformerSchema>;
