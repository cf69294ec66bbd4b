// The validator compilers: one without coercion (JSON bodies are typed already) and one that
// coerces parameter text to the schema's types ("42" → 42, "true" → true, "a" → ["a"]).
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

function create(coerce: boolean): Ajv2020 {
  // strict off: OpenAPI schemas carry annotations (discriminator, xml, externalDocs, x-*) that
  // are no JSON Schema keywords; unknown formats are then ignored rather than refused.
  const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false, coerceTypes: coerce ? 'array' : false, validateFormats: true });
  addFormats.default(ajv);
  // OpenAPI's own formats.
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= INT32.min && n <= INT32.max });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  ajv.addFormat('binary', true);
  ajv.addFormat('password', true);
  return ajv;
}

export interface Compilers {
  readonly body: Ajv2020;
  readonly params: Ajv2020;
}

export function newCompilers(): Compilers {
  return { body: create(false), params: create(true) };
}
