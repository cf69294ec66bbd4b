// One table of admin API operations drives both the fastify routes and the OpenAPI document, so
// the two cannot drift apart.
import Type, { type TSchema } from 'typebox';
import type { AdminRole } from '../../core/entities/schemas.ts';
import type { ErrorCode } from '../../core/errors/registry.ts';
import type { Principal } from '../auth.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface QueryParam {
  readonly name: string;
  readonly description: string;
  readonly schema: TSchema;
}

export interface OpInput<P = Principal> {
  readonly params: Record<string, string>;
  readonly query: Record<string, string>;
  readonly body: unknown;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly principal: P | undefined;
  readonly requestId: string;
  /** The client's address as the socket sees it (no proxy headers are trusted). */
  readonly ip: string;
  /** The request came over TLS. */
  readonly secure: boolean;
}

export interface OpResult {
  readonly status?: number;
  readonly body?: unknown;
  /** An array sends the header several times (Set-Cookie). */
  readonly headers?: Record<string, string | string[]>;
  readonly contentType?: string;
}

/**
 * One operation of an API mounted on the admin listener. `P` is who calls it (an admin token's
 * principal, a portal session), `R` the access levels its `role` names: the admin API and the
 * portal API share this table shape, the mounting and the OpenAPI generator, each with its own gate.
 */
export interface Operation<P = Principal, R extends string = AdminRole> {
  readonly id: string;
  readonly method: Method;
  /** OpenAPI form: /admin/services/{id}. */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  /** Least role allowed; undefined = no authentication (health, the OpenAPI document). */
  readonly role?: R;
  /** Changes state: refused in DB-less (read-only) mode. */
  readonly write?: boolean;
  readonly query?: readonly QueryParam[];
  readonly body?: TSchema;
  readonly bodyDescription?: string;
  /** false: the body may be left out (its defaults apply). */
  readonly bodyRequired?: boolean;
  readonly responses: Readonly<Record<number, { description: string; schema?: TSchema; etag?: boolean; contentType?: string }>>;
  /** Problem codes this operation can answer with besides auth and validation. */
  readonly problems?: readonly ErrorCode[];
  handler(input: OpInput<P>): Promise<OpResult>;
}

/** Any API's operation, for code that only reads the table (mounting, the OpenAPI document). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the principal type is the gate's business
export type AnyOperation = Operation<any, string>;

/** Thrown by handlers: answered as problem+json with the registry code. */
export class ApiProblem extends Error {
  readonly code: ErrorCode;
  readonly errors: { pointer: string; detail: string }[] | undefined;
  readonly headers: Record<string, string> | undefined;
  constructor(code: ErrorCode, detail?: string, errors?: { pointer: string; detail: string }[], headers?: Record<string, string>) {
    super(detail ?? code);
    this.code = code;
    this.errors = errors;
    this.headers = headers;
  }
}

export const Uuid = Type.String({ description: 'Server-assigned id (UUIDv7).' });
export const Timestamp = Type.String({ format: 'date-time' });

export const ProblemSchema = Type.Object({
  type: Type.String({ description: 'Stable URI per error code.' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  instance: Type.Optional(Type.String()),
  request_id: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Object({ pointer: Type.String({ description: 'JSON pointer into the request body ("" = the whole).' }), detail: Type.String() }))),
}, { description: 'RFC 9457 problem details.' });

export const LIMIT_PARAM: QueryParam = { name: 'limit', description: 'Page size (1-1000, default 100).', schema: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) };
export const CURSOR_PARAM: QueryParam = { name: 'cursor', description: 'Opaque cursor from the previous page’s `next_cursor`.', schema: Type.String() };

export function pageSchema(item: TSchema) {
  return Type.Object({
    data: Type.Array(item),
    next_cursor: Type.Optional(Type.String({ description: 'Present when there are more items.' })),
  });
}

/** A store page as the API shows it: items presented, `next_cursor` only when there is more. */
export function pageBody<T>(page: { data: T[]; next_cursor?: string }, present: (item: T) => unknown): { data: unknown[]; next_cursor?: string } {
  return { data: page.data.map(present), ...(page.next_cursor ? { next_cursor: page.next_cursor } : {}) };
}

/** `limit` and `cursor` from a query, validated. */
export function pageParams(query: Record<string, string>): { limit: number; cursor?: string } {
  const limitText = query.limit ?? '100';
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > 1000) throw new ApiProblem('validation-failed', 'limit must be a whole number from 1 to 1000', [{ pointer: '', detail: 'query parameter limit must be a whole number from 1 to 1000' }]);
  return { limit, ...(query.cursor !== undefined ? { cursor: query.cursor } : {}) };
}

/**
 * The version a conditional write expects, given the entity's current version: undefined without
 * `If-Match` (or with `*`), the current version when one of the listed tags matches it, and -1
 * (matches nothing, so the write answers 412) otherwise. Strong comparison (RFC 9110 §13.1.1).
 */
export function expectedVersion(headers: OpInput['headers'], current: number): number | undefined {
  const raw = headers['if-match'];
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  if (value === undefined || value.trim() === '*') return undefined;
  const tags = value.split(',').map((t) => t.trim()).filter((t) => /^"v\d+"$/.test(t)).map((t) => Number(t.slice(2, -1)));
  return tags.includes(current) ? current : -1;
}

export const etagOf = (version: number) => `"v${version}"`;
