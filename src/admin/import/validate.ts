// Checks a spec with swagger-parser and turns what it throws into one line per problem.
//
// swagger-parser stops at the first kind of trouble: broken $refs are reported before, and instead
// of, schema errors; Swagger 2.0 semantic checks stop at the first finding. To report as much as
// possible in one go, a failed run that only got as far as the $refs is followed by a schema-only
// run on the un-dereferenced document (the OpenAPI schemas accept $ref objects anywhere).
//
// External $refs are never followed: with an object to validate, swagger-parser resolves relative
// ones against the process's working directory and fetches http ones, which would let a spec
// read local files or reach internal hosts. They are left in place and reported as a warning.
import SwaggerParser from '@apidevtools/swagger-parser';
import { OpenApiImportError } from './errors.ts';
import { isObject, locate, pointerTokens, type Json } from './location.ts';

interface AjvError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly message?: string;
}

interface RefError {
  readonly message: string;
  readonly path?: unknown;
  readonly code?: string;
}

const NO_EXTERNAL = { resolve: { external: false } };

/**
 * Validates `document` (not modified) and returns it with its internal $refs resolved. Throws
 * OpenApiImportError with every problem found, `known` (already found by the caller) first.
 */
export async function validateWithSwaggerParser(document: Json, known: readonly string[] = []): Promise<Json> {
  let failure: unknown;
  try {
    // swagger-parser dereferences in place: it gets its own copy.
    const checked = await SwaggerParser.validate(structuredClone(document) as never, { ...NO_EXTERNAL, continueOnError: true } as SwaggerParser.Options);
    if (known.length === 0) return checked as unknown as Json;
  } catch (err) {
    failure = err;
  }
  const problems = [...known];
  if (failure !== undefined) {
    problems.push(...problemsOf(failure, document));
    if (isRefErrorGroup(failure)) {
      try {
        const schemaOnly = { ...NO_EXTERNAL, dereference: { excludedPathMatcher: () => true }, validate: { spec: false } };
        await SwaggerParser.validate(structuredClone(document) as never, schemaOnly as SwaggerParser.Options);
      } catch (err) {
        problems.push(...problemsOf(err, document));
      }
    }
  }
  throw new OpenApiImportError(unique(problems));
}

const unique = (lines: readonly string[]) => [...new Set(lines)];

function isRefErrorGroup(err: unknown): err is { errors: RefError[] } {
  return err instanceof Error && Array.isArray((err as { errors?: unknown }).errors);
}

function problemsOf(err: unknown, document: Json): string[] {
  if (isRefErrorGroup(err)) return err.errors.map((e) => describeRefError(e, document));
  const details = (err as { details?: unknown } | undefined)?.details;
  if (Array.isArray(details) && details.length > 0) return describeAjvErrors(details as AjvError[], document);
  const message = err instanceof Error ? err.message : String(err);
  // No structured details: the message may still list "#/pointer text" lines (swagger-parser's format).
  const listed = [...message.matchAll(/^\s*#(\/\S*)? (.+)$/gm)].map((m) => `${locate(document, pointerTokens(m[1] ?? ''))}: ${m[2]}`);
  if (listed.length > 0) return listed;
  return [locateSpecFinding(message.split('\n', 1)[0]!.replace(/^Validation failed\.\s*/, ''))];
}

/** Swagger 2.0 findings name the place as "/paths" + path + "/get…": `paths./a/{id}.get: …`. */
function locateSpecFinding(text: string): string {
  const m = /^\/paths(\/.*?)\/(get|put|post|delete|options|head|patch)((?:\/[^\s/]+)*) (.+)$/.exec(text);
  if (!m) return text;
  const rest = m[3]!.split('/').filter(Boolean).map((t) => `.${t}`).join('');
  return `paths.${m[1]}.${m[2]}${rest}: ${m[4]}`;
}

function describeRefError(e: RefError, document: Json): string {
  const where = Array.isArray(e.path) ? locate(document, e.path.map(String)) : '(document)';
  const missing = /^Missing \$ref pointer "([^"]*)"\. Token "([^"]*)" does not exist/.exec(e.message);
  if (missing) return `${where}: $ref "${missing[1]}" points to nothing ("${missing[2]}" does not exist)`;
  return `${where}: ${e.message}`;
}

// --- ajv errors -------------------------------------------------------------------------------
//
// The OpenAPI schemas are full of oneOf/anyOf ("a Parameter or a Reference", "in: path, query,
// header or cookie", "schema xor content"), and ajv with allErrors reports every alternative that
// failed. The rules below keep what tells the author what to fix. Where ajv names the branch in
// schemaPath (the 3.x schemas), alternatives are told apart by it; the Swagger 2.0 schema's
// errors carry no branch (schemaPath restarts at each $ref), so the rules also work from the
// values in the document.

const BRANCH = /^(.*\/(?:oneOf|anyOf))\/(\d+)\//;
const isCombinator = (e: AjvError) => e.keyword === 'oneOf' || e.keyword === 'anyOf';
const isDiscriminator = (e: AjvError) => e.keyword === 'enum' || e.keyword === 'const';
const within = (e: AjvError, instancePath: string) => e.instancePath === instancePath || e.instancePath.startsWith(`${instancePath}/`);
const parentOf = (pointer: string) => pointer.slice(0, pointer.lastIndexOf('/'));

/** Fields a Swagger 2.0 non-body parameter may have, which the body alternative calls "additional". */
const NON_BODY_FIELDS = new Set(['type', 'format', 'items', 'collectionFormat', 'default', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'enum', 'multipleOf', 'allowEmptyValue']);

function describeAjvErrors(all: readonly AjvError[], document: Json): string[] {
  const valueAt = (pointer: string) => pointerTokens(pointer).reduce<unknown>((node, t) => (node !== null && typeof node === 'object' ? (node as Json)[t] : undefined), document);
  // `if` only says "must match the then/else schema"; that branch reports the real error.
  let errors = all.filter((e) => e.keyword !== 'if');
  errors = dropReferenceAlternative(errors);
  errors = pickAlternatives(errors);
  errors = dropTakenDiscriminators(errors, valueAt);
  errors = dropBodyAlternative(errors, valueAt);
  const lines: string[] = [];
  const merged = new Set<AjvError>();
  for (const e of errors) {
    if (merged.has(e)) continue;
    // A value that misses every alternative's discriminator: one line with all the allowed values.
    if (e.keyword === 'enum') {
      const same = errors.filter((o) => o.keyword === 'enum' && o.instancePath === e.instancePath);
      same.forEach((o) => merged.add(o));
      const allowed = [...new Set(same.flatMap((o) => (Array.isArray(o.params.allowedValues) ? o.params.allowedValues : [])))];
      lines.push(`${locate(document, pointerTokens(e.instancePath))}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
      continue;
    }
    // "schema xor content": each alternative misses its own required property.
    const branch = BRANCH.exec(e.schemaPath);
    if (e.keyword === 'required' && branch && e.schemaPath === `${branch[0]}required`) {
      const siblings = errors.filter((o) => o.keyword === 'required' && o.instancePath === e.instancePath && o.schemaPath.startsWith(`${branch[1]}/`) && /^\/\d+\/required$/.test(o.schemaPath.slice(branch[1]!.length)));
      if (siblings.length > 1) {
        siblings.forEach((o) => merged.add(o));
        lines.push(`${locate(document, pointerTokens(e.instancePath))}: needs one of ${siblings.map((o) => `"${String(o.params.missingProperty)}"`).join(' or ')}`);
        continue;
      }
    }
    // A failed oneOf / not says nothing the errors under it do not say better.
    if ((isCombinator(e) || e.keyword === 'not') && errors.some((o) => o !== e && !isCombinator(o) && o.keyword !== 'not' && within(o, e.instancePath))) continue;
    lines.push(describeAjvError(e, document));
  }
  return lines;
}

/**
 * "must have required property '$ref'" is the Reference alternative, which the author did not
 * mean when the value is wrong in other ways. In Swagger 2.0 that alternative also calls every
 * key of the value "additional"; ajv reports those right after.
 */
function dropReferenceAlternative(errors: AjvError[]): AjvError[] {
  const dropped = new Set<AjvError>();
  errors.forEach((e, i) => {
    if (e.keyword !== 'required' || e.params.missingProperty !== '$ref') return;
    if (!errors.some((o) => o !== e && !isCombinator(o) && within(o, e.instancePath))) return;
    dropped.add(e);
    for (let j = i + 1; j < errors.length && errors[j]!.keyword === 'additionalProperties' && errors[j]!.instancePath === e.instancePath; j++) dropped.add(errors[j]!);
  });
  return errors.filter((e) => !dropped.has(e));
}

/**
 * For each oneOf/anyOf whose branches schemaPath names, the alternatives that failed on a
 * discriminator (`in: query` when the value says `in: path`) were not meant; if some
 * alternative got past its discriminators, only its errors are kept. If none did, only the
 * discriminator errors are kept: the value itself is wrong.
 */
function pickAlternatives(errors: AjvError[]): AjvError[] {
  const dropped = new Set<AjvError>();
  for (const combinator of errors.filter(isCombinator)) {
    const branches = new Map<string, AjvError[]>();
    const prefix = `${combinator.schemaPath}/`;
    for (const e of errors) {
      if (!e.schemaPath.startsWith(prefix) || !within(e, combinator.instancePath)) continue;
      const index = /^\d+/.exec(e.schemaPath.slice(prefix.length))?.[0];
      if (index !== undefined) branches.set(index, [...(branches.get(index) ?? []), e]);
    }
    if (branches.size < 2) continue;
    const list = [...branches.values()];
    const missed = list.filter((b) => b.some(isDiscriminator));
    if (missed.length === 0) continue;
    if (missed.length < list.length) missed.flat().forEach((e) => dropped.add(e));
    else list.flat().filter((e) => !isDiscriminator(e)).forEach((e) => dropped.add(e));
  }
  return errors.filter((e) => !dropped.has(e));
}

/** Discriminators whose full set of values is known, by where they sit: swagger 2.0 / 3.x. */
const DISCRIMINATORS: readonly { readonly at: RegExp; readonly v2: readonly string[]; readonly v3: readonly string[] }[] = [
  { at: /\/parameters\/[^/]+\/in$/, v2: ['body', 'header', 'formData', 'query', 'path'], v3: ['path', 'query', 'header', 'cookie'] },
  { at: /^\/(?:securityDefinitions|components\/securitySchemes)\/[^/]+\/type$/, v2: ['basic', 'apiKey', 'oauth2'], v3: ['apiKey', 'http', 'oauth2', 'openIdConnect', 'mutualTLS'] },
];

/**
 * Without branch names: several enum errors on one value are several alternatives' discriminators.
 * If the value is one of the allowed values, some alternative took it and these errors are noise.
 * Where the full set of values is known and the value is not in it, the errors around it are the
 * noise instead: nothing about the object can be said until that value is fixed.
 */
function dropTakenDiscriminators(errors: AjvError[], valueAt: (pointer: string) => unknown): AjvError[] {
  const dropped = new Set<AjvError>();
  const swagger2 = valueAt('/swagger') !== undefined;
  const byPath = Map.groupBy(errors.filter((e) => e.keyword === 'enum'), (e) => e.instancePath);
  for (const [path, group] of byPath) {
    if (group.length < 2) continue;
    const value = valueAt(path);
    const known = DISCRIMINATORS.find((d) => d.at.test(path));
    const allowed = known ? (swagger2 ? known.v2 : known.v3) : group.flatMap((e) => (Array.isArray(e.params.allowedValues) ? e.params.allowedValues : []));
    if (allowed.some((v) => v === value)) group.forEach((e) => dropped.add(e));
    else if (known) errors.filter((e) => e.keyword !== 'enum' && within(e, parentOf(path))).forEach((e) => dropped.add(e));
  }
  return errors.filter((e) => !dropped.has(e));
}

/** A Swagger 2.0 non-body parameter is also checked as a body parameter ("schema is required"). */
function dropBodyAlternative(errors: AjvError[], valueAt: (pointer: string) => unknown): AjvError[] {
  return errors.filter((e) => {
    if (!/\/parameters\/\d+$/.test(e.instancePath)) return true;
    const param = valueAt(e.instancePath);
    if (!isObject(param) || typeof param.in !== 'string' || param.in === 'body') return true;
    if (e.keyword === 'required' && e.params.missingProperty === 'schema' && e.schemaPath === '#/required') return false;
    return !(e.keyword === 'additionalProperties' && NON_BODY_FIELDS.has(String(e.params.additionalProperty)));
  });
}

const TYPE_NAMES: Record<string, string> = { object: 'an object', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', null: 'null' };

function describeAjvError(e: AjvError, document: Json): string {
  const tokens = pointerTokens(e.instancePath);
  const at = (extra?: string) => locate(document, extra === undefined ? tokens : [...tokens, extra]);
  const p = e.params;
  switch (e.keyword) {
    case 'required':
      return `${at(String(p.missingProperty))}: is required`;
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const key = String(p.additionalProperty ?? p.unevaluatedProperty);
      if (tokens.length === 1 && tokens[0] === 'paths') return `${at(key)}: is not a valid path (paths start with "/")`;
      if (tokens.at(-1) === 'responses') return `${at(key)}: is not a status code (such as 200, 4XX or default)`;
      return `${at(key)}: is not allowed here`;
    }
    case 'type': {
      const types = (Array.isArray(p.type) ? p.type : String(p.type).split(',')).map((t) => TYPE_NAMES[String(t)] ?? String(t));
      return `${at()}: must be ${types.join(' or ')}`;
    }
    case 'const':
      return `${at()}: must be ${JSON.stringify(p.allowedValue)}`;
    case 'pattern':
      return `${at()}: must match the pattern ${String(p.pattern)}`;
    case 'minProperties':
    case 'minItems':
      return `${at()}: needs at least ${String(p.limit)} ${Number(p.limit) === 1 ? 'entry' : 'entries'}`;
    case 'false schema':
      return `${at()}: is not allowed here`;
    default:
      return `${at()}: ${e.message ?? e.keyword}`;
  }
}

/** External $refs left in place (never followed), for a warning. */
export function externalRefs(document: unknown): string[] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  const walk = (node: unknown, tokens: string[]): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (isObject(node) && typeof node.$ref === 'string' && !node.$ref.startsWith('#')) found.push(`${locate(document, tokens)} → ${node.$ref}`);
    for (const [key, value] of Object.entries(node)) walk(value, [...tokens, key]);
  };
  walk(document, []);
  return found;
}
