import Type, { type Static } from 'typebox';

const Coordinate = Type.String({ pattern: '^[_A-Za-z][_0-9A-Za-z]*\\.[_A-Za-z][_0-9A-Za-z]*$', description: 'A schema coordinate: Type.field, e.g. Query.shipments.' });
const Sha256Hex = Type.String({ pattern: '^[0-9a-f]{64}$' });
const ArgumentName = Type.String({ pattern: '^[_A-Za-z][_0-9A-Za-z]*$' });

export const GraphqlSchema = Type.Object({
  schema: Type.Optional(Type.String({ minLength: 1, maxLength: 2 * 1024 * 1024, description: 'The service’s schema (SDL) inline. Default: the service’s `graphql.schema`, else the latest `graphql-sdl` document stored for the service (admin API upload or introspection).' })),
  max_body_bytes: Type.Integer({ minimum: 256, maximum: 16 * 1024 * 1024, default: 1024 * 1024, description: 'Largest POST body (413 above). The body is buffered and parsed by the gateway.' }),
  max_tokens: Type.Integer({ minimum: 10, maximum: 1_000_000, default: 10_000, description: 'Largest operation document in lexical tokens (the parser stops there).' }),
  max_depth: Type.Integer({ minimum: 1, maximum: 1000, default: 12, description: 'Deepest nesting of selection sets, fragments expanded; introspection fields are not counted.' }),
  max_aliases: Type.Integer({ minimum: 0, maximum: 100_000, default: 30, description: 'Most aliased fields in the operation, fragments expanded.' }),
  max_root_fields: Type.Integer({ minimum: 1, maximum: 10_000, default: 20, description: 'Most fields selected at the root of the operation, fragments expanded.' }),
  max_cost: Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: 5000, description: 'Highest estimated cost of the operation (docs/graphql.md#cost).' }),
  costs: Type.Object({
    scalar: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'Cost of a field of scalar or enum type.' }),
    object: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 1, description: 'Cost of a field of object, interface or union type.' }),
    fields: Type.Record(Coordinate, Type.Integer({ minimum: 0, maximum: 1_000_000 }), { default: {}, description: 'Cost of particular fields (Type.field → cost), replacing the default of their kind.' }),
  }, { additionalProperties: false, default: {} }),
  list: Type.Object({
    size_arguments: Type.Array(ArgumentName, { default: ['first', 'last', 'limit'], maxItems: 16, description: 'Arguments that say how many items a list field returns; the largest given one is the multiplier.' }),
    default_size: Type.Integer({ minimum: 1, maximum: 100_000, default: 10, description: 'Multiplier of a list field without a size argument.' }),
  }, { additionalProperties: false, default: {} }),
  introspection: Type.Object({
    allow: Type.Boolean({ default: true, description: 'Allow __schema and __type queries.' }),
    plans: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'When not empty: only callers subscribed on one of these plans (for this service) may introspect.' }),
  }, { additionalProperties: false, default: {} }),
  deny: Type.Array(Type.Object({
    groups: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Consumer groups the rule applies to; "*" for every caller.' }),
    fields: Type.Array(Coordinate, { minItems: 1, description: 'Fields those callers may not select (Type.field).' }),
  }, { additionalProperties: false }), { default: [], maxItems: 256, description: 'Fields refused per consumer group.' }),
  persisted_queries: Type.Object({
    apq: Type.Boolean({ default: true, description: 'Automatic persisted queries (Apollo APQ): clients may send only extensions.persistedQuery.sha256Hash for a query this worker has seen.' }),
    cache_size: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: 'Queries each worker remembers for APQ (least recently used are forgotten).' }),
    allow_list: Type.Boolean({ default: false, description: 'Only the operations in `operations` run (sent by hash or in full); everything else is refused.' }),
    operations: Type.Record(Sha256Hex, Type.String({ minLength: 1, maxLength: 256 * 1024 }), { default: {}, description: 'Registered operations: SHA-256 (hex) of the document → the document.' }),
  }, { additionalProperties: false, default: {} }),
  document_cache_size: Type.Integer({ minimum: 0, maximum: 100_000, default: 1000, description: 'Parsed and checked documents kept per instance, by query text (0 = none).' }),
}, { additionalProperties: false });

export type GraphqlConfig = Static<typeof GraphqlSchema>;
