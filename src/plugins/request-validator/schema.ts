import Type from 'typebox';

const JsonSchemaObject = Type.Object({}, { additionalProperties: true, description: 'A JSON Schema (draft 2020-12).' });

export const RequestValidatorSchema = Type.Object({
  openapi: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'An inline OpenAPI 3.0 or 3.1 document. Without it (and without `schemas`), the latest spec stored for the service by `portcullis import openapi` is used.' })),
  schemas: Type.Optional(Type.Object({
    path: Type.Optional(JsonSchemaObject),
    query: Type.Optional(JsonSchemaObject),
    headers: Type.Optional(JsonSchemaObject),
    body: Type.Optional(JsonSchemaObject),
  }, { additionalProperties: false, description: 'JSON Schemas given directly (no OpenAPI document): path (the route template parameters), query and headers (objects of parameter name to value; header names lower-case), body (the JSON body). Each applies to every request of the route.' })),
  base_path: Type.Optional(Type.String({ pattern: '^(/[^/?#]+)*/?$', description: 'Path prefix of the upstream path that the spec paths are relative to (default: the path of each `servers` URL, tried longest first, then none).' })),
  unknown_operations: Type.Union([Type.Literal('reject'), Type.Literal('allow')], { default: 'reject', description: 'A request matching no operation of the spec: reject (404 not-found, or 405 method-not-allowed when only the method is unknown) or allow (forwarded unvalidated).' }),
  locations: Type.Array(Type.Union([Type.Literal('path'), Type.Literal('query'), Type.Literal('header'), Type.Literal('body')]), { default: ['path', 'query', 'header', 'body'], uniqueItems: true, description: 'What is validated.' }),
  body_limit_bytes: Type.Integer({ minimum: 1, maximum: 64 * 1024 * 1024, default: 1024 * 1024, description: 'Largest request body buffered for validation; larger bodies get 413 payload-too-large.' }),
  max_errors: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'At most this many violations are listed in a 400 answer.' }),
  validate_responses: Type.Union([Type.Literal('off'), Type.Literal('log-only')], { default: 'off', description: 'log-only: check upstream responses (status, headers, JSON body up to 1 MiB) against the operation and log a warning per invalid one; the response is never changed.' }),
}, { additionalProperties: false });
