// GraphQL over HTTP (the GraphQL Foundation's spec): reading a request's parameters from GET query
// strings and POST JSON bodies, and answering errors in the GraphQL response shape with the status
// the negotiated media type calls for.
import type { PluginResponse, RequestContext } from '../../core/pipeline/context.ts';

export const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const JSON_TYPE = 'application/json';

export interface GraphqlParams {
  query: string | undefined;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  extensions: Record<string, unknown> | undefined;
}

/** The media type the client accepts: graphql-response+json when it asks for it, else application/json. */
export function responseTypeOf(ctx: RequestContext): 'graphql-response' | 'json' {
  const accept = ctx.headers.accept;
  const value = Array.isArray(accept) ? accept.join(',') : accept;
  if (value === undefined) return 'json';
  // Which of the two comes first in the client's list (q-values are rare here and only order ties).
  const lower = value.toLowerCase();
  const g = lower.indexOf(GRAPHQL_RESPONSE);
  if (g === -1) return 'json';
  const j = lower.indexOf(JSON_TYPE);
  return j === -1 || g < j ? 'graphql-response' : 'json';
}

/** Error categories and their status codes under application/graphql-response+json. */
export type ErrorKind = 'request' | 'forbidden' | 'method' | 'media-type';

export interface GraphqlErrorItem {
  readonly message: string;
  readonly code: string;
}

/**
 * A GraphQL error response. Under application/json the spec asks for 200 for every well-formed
 * request whatever its GraphQL errors; a request that is not well-formed (no query, bad JSON,
 * wrong method or media type) keeps its 4xx under both types.
 */
export function graphqlError(ctx: RequestContext, kind: ErrorKind, errors: readonly GraphqlErrorItem[], opts: { wellFormed?: boolean; headers?: Record<string, string> } = {}): PluginResponse {
  const type = responseTypeOf(ctx);
  let status: number;
  switch (kind) {
    case 'method': status = 405; break;
    case 'media-type': status = 415; break;
    case 'forbidden': status = type === 'json' && opts.wellFormed !== false ? 200 : 403; break;
    case 'request': status = type === 'json' && opts.wellFormed === true ? 200 : 400; break;
  }
  const body = JSON.stringify({ errors: errors.map((e) => ({ message: e.message, extensions: { code: e.code } })) });
  return {
    status,
    headers: { 'content-type': `${type === 'json' ? JSON_TYPE : GRAPHQL_RESPONSE}; charset=utf-8`, 'cache-control': 'no-store', ...opts.headers },
    body,
  };
}

/** A request that is not well-formed (its message goes to the client). */
export class ParamError implements GraphqlErrorItem {
  readonly message: string;
  readonly code = 'BAD_REQUEST';
  constructor(message: string) {
    this.message = message;
  }
}

const bad = (message: string) => new ParamError(message);

function objectOrUndefined(v: unknown, name: string): Record<string, unknown> | undefined | ParamError {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  return bad(`"${name}" must be an object.`);
}

function jsonParam(v: string | null, name: string): Record<string, unknown> | undefined | ParamError {
  if (v === null || v === '') return undefined;
  try {
    return objectOrUndefined(JSON.parse(v), name);
  } catch {
    return bad(`"${name}" is not valid JSON.`);
  }
}

const isError = (v: unknown): v is ParamError => v instanceof ParamError;

/** A GraphQL name (operation names are echoed in errors, logs and metrics: nothing else gets through). */
const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,127}$/;

function checkedName(v: string | undefined): string | undefined | ParamError {
  if (v === undefined || v === '') return undefined;
  return NAME.test(v) ? v : bad('"operationName" must be a GraphQL name of at most 128 characters.');
}

/** GET: parameters in the query string. */
export function paramsFromQuery(query: string): GraphqlParams | ParamError {
  const q = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  const variables = jsonParam(q.get('variables'), 'variables');
  if (isError(variables)) return variables;
  const extensions = jsonParam(q.get('extensions'), 'extensions');
  if (isError(extensions)) return extensions;
  const operationName = checkedName(q.get('operationName') ?? undefined);
  if (isError(operationName)) return operationName;
  return { query: q.get('query') ?? undefined, operationName, variables, extensions };
}

/** POST: a JSON object body. */
export function paramsFromBody(body: Buffer | undefined): GraphqlParams | ParamError {
  if (body === undefined || body.length === 0) return bad('The request body is empty.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return bad('The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return bad('The request body must be a JSON object (batched requests are not supported).');
  const p = parsed as Record<string, unknown>;
  if (p.query !== undefined && p.query !== null && typeof p.query !== 'string') return bad('"query" must be a string.');
  if (p.operationName !== undefined && p.operationName !== null && typeof p.operationName !== 'string') return bad('"operationName" must be a string.');
  const variables = objectOrUndefined(p.variables, 'variables');
  if (isError(variables)) return variables;
  const extensions = objectOrUndefined(p.extensions, 'extensions');
  if (isError(extensions)) return extensions;
  const operationName = checkedName((p.operationName as string | null) ?? undefined);
  if (isError(operationName)) return operationName;
  return { query: (p.query as string | null) ?? undefined, operationName, variables, extensions };
}

/** Whether a POST's Content-Type is application/json (any parameters). */
export function isJsonBody(ctx: RequestContext): boolean {
  const ct = ctx.headers['content-type'];
  const value = (Array.isArray(ct) ? ct[0] : ct) ?? '';
  const semi = value.indexOf(';');
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase() === JSON_TYPE;
}
