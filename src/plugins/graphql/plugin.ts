// graphql: guards a GraphQL API. Each operation is parsed and validated against the service's
// schema (built once per snapshot), measured (depth, aliases, root fields, cost: analyze.ts) and
// checked against the limits, the introspection policy and the field deny rules of the caller's
// groups; persisted queries (Apollo APQ, or an allow-list) are resolved first. Refusals are GraphQL
// error responses (http.ts); the operation's cost is left on the context for rate-limiting and
// quota (`cost: graphql`). Runs after authentication and acl, before the limiters.
import { createHash } from 'node:crypto';
import {
  ExecutableDefinitionsRule, FieldsOnCorrectTypeRule, FragmentsOnCompositeTypesRule, GraphQLError, KnownArgumentNamesRule,
  KnownFragmentNamesRule, KnownOperationTypesRule, KnownTypeNamesRule, LoneAnonymousOperationRule, MaxIntrospectionDepthRule,
  NoFragmentCyclesRule, PossibleFragmentSpreadsRule, ScalarLeafsRule, UniqueFragmentNamesRule,
  buildSchema, isCompositeType, parse, specifiedRules, validate,
  type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, type ValidationRule,
} from 'graphql';
import type { PluginResponse, RequestContext } from '../../core/pipeline/context.ts';
import { definePlugin, type PluginCompileEnv } from '../../core/pipeline/plugin.ts';
import { type GraphqlFacts } from './cost.ts';
import { Analyzer, FragmentCycleError, selectOperation, type CostModel, type OperationMeasure } from './analyze.ts';
import { graphqlError, isJsonBody, paramsFromBody, paramsFromQuery, ParamError, type ErrorKind, type GraphqlErrorItem, type GraphqlParams } from './http.ts';
import { Lru } from './lru.ts';
import { countOperation, operationLabel } from './metrics.ts';
import { GraphqlSchema, type GraphqlConfig } from './schema.ts';

interface OperationEntry {
  readonly op: OperationDefinitionNode;
  /** Figures that hold for any variables (undefined when a size argument is a variable). */
  readonly measure: OperationMeasure | undefined;
}

interface CheckedDocument {
  readonly doc: DocumentNode | undefined;
  /** Parse or validation errors: the document cannot run. */
  readonly errors: readonly GraphqlErrorItem[] | undefined;
  /** By operationName ('' for none): the operation, or why there is none. */
  readonly operations: Map<string, OperationEntry | GraphqlErrorItem>;
}

export interface GraphqlConf {
  readonly schema: GraphQLSchema | undefined;
  readonly model: CostModel;
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxRootFields: number;
  readonly maxCost: number;
  readonly maxTokens: number;
  readonly maxBodyBytes: number;
  readonly introspection: boolean;
  /** Plans allowed to introspect (undefined: everyone, when introspection is allowed). */
  readonly introspectionPlans: ReadonlySet<string> | undefined;
  readonly deny: readonly { readonly groups: ReadonlySet<string>; readonly fields: ReadonlySet<string> }[];
  /** The APQ store (undefined when APQ is off). */
  readonly apq: Lru<string> | undefined;
  /** Allow-list mode: hash → document. */
  readonly allowList: ReadonlyMap<string, string> | undefined;
  readonly documents: Lru<CheckedDocument>;
}

/**
 * The validation rules the gateway runs per new document: those its own checks rely on (fields
 * and types exist, so costs and deny rules see the real coordinates; fragments resolve, apply
 * and never cycle; arguments are known; introspection is not nested absurdly deep). The rest of
 * graphql-js's rules (variable usage, argument values, overlapping fields, defer/stream...) stay
 * with the upstream, which validates again before it executes: running all of them at the edge
 * made a cold check about 4 times slower, and OverlappingFieldsCanBeMerged is itself a known CPU
 * sink for hostile documents. Registered (allow-list) operations get every rule, at compile time.
 */
const EDGE_RULES: readonly ValidationRule[] = [
  ExecutableDefinitionsRule, KnownOperationTypesRule, LoneAnonymousOperationRule, KnownTypeNamesRule, FragmentsOnCompositeTypesRule,
  ScalarLeafsRule, FieldsOnCorrectTypeRule, UniqueFragmentNamesRule, KnownFragmentNamesRule, PossibleFragmentSpreadsRule,
  NoFragmentCyclesRule, KnownArgumentNamesRule, MaxIntrospectionDepthRule,
];

const HASH = /^[0-9a-f]{64}$/;
/**
 * Memory bounds, by query text (a parsed and validated document takes roughly ten times its text):
 * the document cache of an instance holds at most 4 MiB of query text, each worker's APQ store at
 * most 16 MiB, and neither keeps a single text above a quarter of that (it still runs, uncached).
 */
const DOCUMENT_CACHE_BYTES = 4 * 1024 * 1024;
const APQ_STORE_BYTES = 16 * 1024 * 1024;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** APQ stores outlive snapshots (a reload must not make every client re-register): one per place. */
const apqStores = new Map<string, Lru<string>>();

function apqStoreFor(env: PluginCompileEnv, size: number): Lru<string> {
  const at = env.attachedTo;
  const key = `${at?.scope ?? 'global'}:${at?.name ?? ''}:${size}`;
  let store = apqStores.get(key);
  if (store === undefined) apqStores.set(key, (store = new Lru(size, APQ_STORE_BYTES)));
  return store;
}

/** The SDL this instance checks against: its own, else the service's stored graphql-sdl document. */
function sdlOf(c: GraphqlConfig, env: PluginCompileEnv): string | undefined | { error: string } {
  if (c.schema !== undefined) return c.schema;
  if (env.service === undefined) return undefined;
  const stored = env.specOf?.(env.service);
  if (stored === undefined) return undefined;
  if (typeof stored === 'string') return { error: stored };
  if (stored.format !== 'graphql-sdl' || typeof stored.document !== 'string') return undefined;
  return stored.document;
}

function checkCoordinates(schema: GraphQLSchema, coordinates: Iterable<string>, where: string): string | undefined {
  for (const c of coordinates) {
    const [type, field] = c.split('.') as [string, string];
    const t = schema.getType(type);
    if (t === undefined || !isCompositeType(t) || !('getFields' in t)) return `${where}: the schema has no object or interface type "${type}" (${c})`;
    if (t.getFields()[field] === undefined) return `${where}: type "${type}" has no field "${field}"`;
  }
  return undefined;
}

export function compileGraphql(c: GraphqlConfig, env: PluginCompileEnv): GraphqlConf | string {
  const sdl = sdlOf(c, env);
  if (typeof sdl === 'object') return sdl.error;
  let schema: GraphQLSchema | undefined;
  if (sdl !== undefined) {
    try {
      schema = buildSchema(sdl);
    } catch (err) {
      return `the GraphQL schema is not valid: ${(err as Error).message.split('\n', 1)[0]}`;
    }
  }
  const watched = new Set(c.deny.flatMap((d) => d.fields));
  // Without a schema no field has a known parent type: deny rules could never match (a silent
  // hole), so they are refused rather than accepted; so are per-field costs.
  if (schema === undefined && (watched.size > 0 || Object.keys(c.costs.fields).length > 0)) {
    return 'deny rules and costs.fields need the service’s schema (inline, or stored through the admin API first)';
  }
  if (schema !== undefined) {
    const bad = checkCoordinates(schema, Object.keys(c.costs.fields), 'costs.fields') ?? checkCoordinates(schema, watched, 'deny');
    if (bad !== undefined) return bad;
  }
  let allowList: Map<string, string> | undefined;
  if (c.persisted_queries.allow_list) {
    allowList = new Map();
    for (const [hash, document] of Object.entries(c.persisted_queries.operations)) {
      if (sha256(document) !== hash) return `persisted_queries.operations: ${hash} is not the SHA-256 of its document`;
      try {
        const doc = parse(document, { maxTokens: c.max_tokens });
        if (schema !== undefined) {
          const errors = validate(schema, doc, specifiedRules, { maxErrors: 1 });
          if (errors.length > 0) return `persisted_queries.operations: ${hash} does not validate against the schema: ${errors[0]!.message}`;
        }
      } catch (err) {
        return `persisted_queries.operations: ${hash} cannot be parsed: ${(err as Error).message}`;
      }
      allowList.set(hash, document);
    }
    if (allowList.size === 0) return 'persisted_queries.allow_list needs at least one entry in persisted_queries.operations';
  }
  return {
    schema,
    model: {
      scalar: c.costs.scalar, object: c.costs.object, fields: new Map(Object.entries(c.costs.fields)),
      sizeArguments: c.list.size_arguments, defaultSize: c.list.default_size, watched,
    },
    maxDepth: c.max_depth, maxAliases: c.max_aliases, maxRootFields: c.max_root_fields, maxCost: c.max_cost,
    maxTokens: c.max_tokens, maxBodyBytes: c.max_body_bytes,
    introspection: c.introspection.allow,
    introspectionPlans: c.introspection.plans.length > 0 ? new Set(c.introspection.plans) : undefined,
    deny: c.deny.map((d) => ({ groups: new Set(d.groups), fields: new Set(d.fields) })),
    apq: c.persisted_queries.apq && !c.persisted_queries.allow_list ? apqStoreFor(env, c.persisted_queries.cache_size) : undefined,
    allowList,
    documents: new Lru(c.document_cache_size, DOCUMENT_CACHE_BYTES),
  };
}

/** Parses and validates a document (cached by its text). */
export function checkDocument(conf: GraphqlConf, query: string): CheckedDocument {
  const known = conf.documents.get(query);
  if (known !== undefined) return known;
  let checked: CheckedDocument;
  try {
    const doc = parse(query, { noLocation: true, maxTokens: conf.maxTokens });
    const errors = conf.schema !== undefined ? validate(conf.schema, doc, EDGE_RULES, { maxErrors: 10, hideSuggestions: true }) : [];
    checked = errors.length > 0
      ? { doc: undefined, errors: errors.map((e) => ({ message: e.message, code: 'GRAPHQL_VALIDATION_FAILED' })), operations: new Map() }
      : { doc, errors: undefined, operations: new Map() };
  } catch (err) {
    const message = err instanceof GraphQLError ? err.message : 'The document cannot be parsed.';
    checked = { doc: undefined, errors: [{ message, code: 'GRAPHQL_PARSE_FAILED' }], operations: new Map() };
  }
  conf.documents.set(query, checked, query.length);
  return checked;
}

/** The operation of a checked document and, when they do not depend on variables, its figures. */
function operationOf(conf: GraphqlConf, checked: CheckedDocument, name: string | undefined): OperationEntry | GraphqlErrorItem {
  const key = name ?? '';
  const known = checked.operations.get(key);
  if (known !== undefined) return known;
  const op = selectOperation(checked.doc!, name);
  let entry: OperationEntry | GraphqlErrorItem;
  if (typeof op === 'string') {
    entry = { message: op, code: 'OPERATION_RESOLUTION_FAILURE' };
  } else {
    const analyzer = new Analyzer(conf.schema, conf.model, checked.doc!, undefined);
    try {
      const measure = analyzer.operation(op);
      entry = { op, measure: analyzer.usedVariables ? undefined : measure };
    } catch (err) {
      if (!(err instanceof FragmentCycleError)) throw err;
      entry = { message: err.message, code: 'GRAPHQL_VALIDATION_FAILED' };
    }
  }
  // Bounded by the document's own operations (unknown names are not remembered).
  if (!('message' in entry) || name === undefined) checked.operations.set(key, entry);
  return entry;
}

interface Resolved {
  readonly query: string;
  /** The query came from a persisted store, not from the client: the upstream must receive it. */
  readonly filledIn: boolean;
  /** An APQ registration: stored once the operation has passed every check. */
  readonly register?: string;
}

function persistedHash(ext: Record<string, unknown> | undefined): string | undefined | ParamError {
  const pq = ext?.persistedQuery;
  if (pq === undefined || pq === null) return undefined;
  if (typeof pq !== 'object') return new ParamError('"extensions.persistedQuery" must be an object.');
  const { version, sha256Hash } = pq as { version?: unknown; sha256Hash?: unknown };
  if (version !== 1) return new ParamError('Unsupported persisted query version (only 1).');
  if (typeof sha256Hash !== 'string' || !HASH.test(sha256Hash)) return new ParamError('"sha256Hash" must be 64 lower-case hex digits.');
  return sha256Hash;
}

type Refusal = { kind: ErrorKind; error: GraphqlErrorItem; wellFormed?: boolean };

/** The document to run: sent, registered by APQ, or from the allow-list. */
function resolveQuery(conf: GraphqlConf, p: GraphqlParams): Resolved | Refusal {
  const hash = persistedHash(p.extensions);
  if (hash instanceof ParamError) return { kind: 'request', error: hash, wellFormed: false };
  if (conf.allowList !== undefined) {
    const h = hash ?? (p.query !== undefined ? sha256(p.query) : undefined);
    if (h === undefined) return { kind: 'request', error: { message: 'A query or a persisted query hash is required.', code: 'BAD_REQUEST' }, wellFormed: false };
    if (hash !== undefined && p.query !== undefined && sha256(p.query) !== hash) return { kind: 'request', error: { message: 'The query does not match its sha256Hash.', code: 'PERSISTED_QUERY_HASH_MISMATCH' }, wellFormed: false };
    const registered = conf.allowList.get(h);
    if (registered === undefined) return { kind: 'forbidden', error: { message: 'This operation is not registered.', code: 'PERSISTED_QUERY_NOT_IN_LIST' } };
    return { query: registered, filledIn: p.query === undefined };
  }
  if (hash !== undefined) {
    if (conf.apq === undefined) return { kind: 'request', error: { message: 'PersistedQueryNotSupported', code: 'PERSISTED_QUERY_NOT_SUPPORTED' }, wellFormed: true };
    if (p.query !== undefined) {
      if (sha256(p.query) !== hash) return { kind: 'request', error: { message: 'The query does not match its sha256Hash.', code: 'PERSISTED_QUERY_HASH_MISMATCH' }, wellFormed: false };
      return { query: p.query, filledIn: false, register: hash };
    }
    const stored = conf.apq.get(hash);
    // Apollo clients look for exactly this message, then resend the hash with the query.
    if (stored === undefined) return { kind: 'request', error: { message: 'PersistedQueryNotFound', code: 'PERSISTED_QUERY_NOT_FOUND' }, wellFormed: true };
    return { query: stored, filledIn: true };
  }
  if (p.query === undefined || p.query === '') return { kind: 'request', error: { message: 'The "query" parameter is required.', code: 'BAD_REQUEST' }, wellFormed: false };
  return { query: p.query, filledIn: false };
}

function mayIntrospect(ctx: RequestContext, conf: GraphqlConf): boolean {
  if (!conf.introspection) return false;
  if (conf.introspectionPlans === undefined) return true;
  const consumer = ctx.consumer?.id;
  if (consumer === undefined) return false;
  const plan = ctx.identities.entitlements.planFor(consumer, ctx.serviceName ?? '');
  return plan !== undefined && conf.introspectionPlans.has(plan.plan.name);
}

/** The first watched field a deny rule of the caller's groups refuses. */
function deniedField(ctx: RequestContext, conf: GraphqlConf, coordinates: ReadonlySet<string>): string | undefined {
  const groups = ctx.consumer?.groups ?? [];
  for (const rule of conf.deny) {
    if (!rule.groups.has('*') && !groups.some((g) => rule.groups.has(g))) continue;
    for (const c of coordinates) if (rule.fields.has(c)) return c;
  }
  return undefined;
}

function limitRefusal(conf: GraphqlConf, m: OperationMeasure): GraphqlErrorItem | undefined {
  if (m.depth > conf.maxDepth) return { message: `The operation is nested ${m.depth} levels deep; the limit is ${conf.maxDepth}.`, code: 'DEPTH_LIMIT_EXCEEDED' };
  if (m.aliases > conf.maxAliases) return { message: `The operation uses ${m.aliases} aliases; the limit is ${conf.maxAliases}.`, code: 'ALIAS_LIMIT_EXCEEDED' };
  if (m.rootFields > conf.maxRootFields) return { message: `The operation selects ${m.rootFields} root fields; the limit is ${conf.maxRootFields}.`, code: 'ROOT_FIELD_LIMIT_EXCEEDED' };
  if (m.cost > conf.maxCost) return { message: `The operation's estimated cost is ${m.cost}; the limit is ${conf.maxCost}.`, code: 'COST_LIMIT_EXCEEDED' };
  return undefined;
}

/** Sends the resolved query upstream when the client sent only its hash. */
function forwardQuery(ctx: RequestContext, p: GraphqlParams, query: string): void {
  if (ctx.method === 'GET') {
    const q = new URLSearchParams(ctx.upstream.query.startsWith('?') ? ctx.upstream.query.slice(1) : ctx.upstream.query);
    q.set('query', query);
    ctx.upstream.query = `?${q.toString()}`;
    return;
  }
  const body = Buffer.from(JSON.stringify({ query, operationName: p.operationName, variables: p.variables, extensions: p.extensions }));
  ctx.requestBody = body;
  ctx.upstream.headers['content-type'] = 'application/json';
  ctx.upstream.headers['content-length'] = String(body.length);
}

function refuse(ctx: RequestContext, operation: string, r: Refusal, headers?: Record<string, string>): PluginResponse {
  countOperation(ctx.serviceName ?? '', operation, r.error.code);
  ctx.vars.accessLogDetails = { graphql_operation: operation, graphql_error: r.error.code };
  const opts: { wellFormed?: boolean; headers?: Record<string, string> } = {};
  if (r.wellFormed !== undefined) opts.wellFormed = r.wellFormed;
  if (headers !== undefined) opts.headers = headers;
  return graphqlError(ctx, r.kind, [r.error], opts);
}

export function checkRequest(ctx: RequestContext, conf: GraphqlConf): PluginResponse | undefined {
  const method = ctx.method;
  if (method !== 'GET' && method !== 'POST') {
    return refuse(ctx, '(unknown)', { kind: 'method', error: { message: 'GraphQL requests use GET or POST.', code: 'METHOD_NOT_ALLOWED' } }, { allow: 'GET, POST' });
  }
  if (method === 'POST' && !isJsonBody(ctx)) {
    return refuse(ctx, '(unknown)', { kind: 'media-type', error: { message: 'POST requests must have Content-Type: application/json.', code: 'UNSUPPORTED_MEDIA_TYPE' } });
  }
  const params = method === 'GET' ? paramsFromQuery(ctx.query) : paramsFromBody(ctx.requestBody);
  if (params instanceof ParamError) return refuse(ctx, '(unknown)', { kind: 'request', error: params, wellFormed: false });
  const resolved = resolveQuery(conf, params);
  if ('error' in resolved) return refuse(ctx, '(unknown)', resolved);
  const checked = checkDocument(conf, resolved.query);
  if (checked.errors !== undefined) {
    countOperation(ctx.serviceName ?? '', '(unknown)', checked.errors[0]!.code);
    return graphqlError(ctx, 'request', checked.errors, { wellFormed: true });
  }
  const entry = operationOf(conf, checked, params.operationName);
  if ('message' in entry) return refuse(ctx, '(unknown)', { kind: 'request', error: entry, wellFormed: true });
  const op = entry.op;
  const label = operationLabel(ctx.serviceName ?? '', op.name?.value);
  if (method === 'GET' && op.operation !== 'query') {
    return refuse(ctx, label, { kind: 'method', error: { message: `A ${op.operation} must be sent with POST.`, code: 'METHOD_NOT_ALLOWED' } }, { allow: 'POST' });
  }
  let measure = entry.measure;
  if (measure === undefined) {
    const analyzer = new Analyzer(conf.schema, conf.model, checked.doc!, params.variables);
    measure = analyzer.operation(op);
  }
  if (measure.introspection && !mayIntrospect(ctx, conf)) {
    return refuse(ctx, label, { kind: 'forbidden', error: { message: 'Introspection is not allowed.', code: 'INTROSPECTION_DISABLED' } });
  }
  if (measure.coordinates.size > 0) {
    const denied = deniedField(ctx, conf, measure.coordinates);
    if (denied !== undefined) return refuse(ctx, label, { kind: 'forbidden', error: { message: `Field "${denied}" is not available to this caller.`, code: 'FIELD_NOT_ALLOWED' } });
  }
  const over = limitRefusal(conf, measure);
  if (over !== undefined) return refuse(ctx, label, { kind: 'request', error: over, wellFormed: true });
  const facts: GraphqlFacts = { operation: op.name?.value, type: op.operation, cost: measure.cost };
  ctx.vars.graphql = facts;
  // The access log line's `details` (the name is a GraphQL name: parsed, never free text).
  const named = facts.operation ?? '(anonymous)';
  ctx.vars.accessLogDetails = { graphql_operation: named.length > 100 ? `${named.slice(0, 100)}…` : named, graphql_type: facts.type, graphql_cost: facts.cost };
  countOperation(ctx.serviceName ?? '', label, 'allowed', measure.cost);
  if (resolved.register !== undefined) conf.apq!.set(resolved.register, resolved.query, resolved.query.length);
  if (resolved.filledIn) forwardQuery(ctx, params, resolved.query);
  return undefined;
}

export const graphql = definePlugin<typeof GraphqlSchema, GraphqlConf>({
  name: 'graphql',
  version: '1.0.0',
  description: 'GraphQL protection: parses and validates each operation against the schema, limits depth, aliases, root fields and cost, introspection per plan, field deny rules per group, persisted queries.',
  priority: 930,
  configSchema: GraphqlSchema,
  requestBodyLimit: (conf) => conf.maxBodyBytes,
  compile: compileGraphql,
  handlers: {
    access: checkRequest,
  },
});
