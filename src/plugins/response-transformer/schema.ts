import Type, { type Static } from 'typebox';
import { HeaderNameSchema, HeaderValueSchema } from '../shared/schema.ts';

const JsonKey = Type.String({ minLength: 1, maxLength: 256 });
const headerMap = () => Type.Record(HeaderNameSchema, HeaderValueSchema, { default: {}, additionalProperties: false });
const jsonMap = () => Type.Record(JsonKey, Type.Unknown(), { default: {}, description: 'Top-level JSON keys of an object body.' });

export const ResponseTransformerSchema = Type.Object({
  remove: Type.Object({ headers: Type.Array(HeaderNameSchema, { default: [] }), json: Type.Array(JsonKey, { default: [] }) }, { additionalProperties: false, default: {} }),
  rename: Type.Object({ headers: Type.Record(HeaderNameSchema, HeaderNameSchema, { default: {}, additionalProperties: false }), json: Type.Record(JsonKey, JsonKey, { default: {} }) }, { additionalProperties: false, default: {} }),
  replace: Type.Object({ headers: headerMap(), json: jsonMap() }, { additionalProperties: false, default: {} }),
  add: Type.Object({ headers: headerMap(), json: jsonMap() }, { additionalProperties: false, default: {} }),
  append: Type.Object({ headers: headerMap() }, { additionalProperties: false, default: {} }),
}, { additionalProperties: false });

export type ResponseTransformerConfig = Static<typeof ResponseTransformerSchema>;
