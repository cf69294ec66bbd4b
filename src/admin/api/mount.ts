// Puts an operation table on a fastify instance: a gate (admin: bearer tokens and roles; the
// portal: session cookies and CSRF), DB-less read-only mode, body parsing (JSON, YAML for config
// documents) and one error mapping to problem+json for everything a handler or the store can throw.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConfigError } from '../../core/config/errors.ts';
import { parseYaml } from '../../core/config/load.ts';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../../core/errors/problem.ts';
import type { ErrorCode } from '../../core/errors/registry.ts';
import { DuplicateKeyError, InvalidCursorError, VersionConflictError } from '../../store/ports.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { AdminRole } from '../../core/entities/schemas.ts';
import { roleAllows, type AdminAuth, type Principal } from '../auth.ts';
import { authenticateRequest, crossSiteRefusal } from '../session.ts';
import { DuplicateNameError, InUseError, NotFoundError, VersionMismatchError, WriteValidationError } from '../config-service.ts';
import { ApiProblem, type Operation } from './types.ts';
import { WebhookConflictError, WebhookInputError, WebhookNotFoundError } from '../../webhooks/service.ts';

/** A refusal a gate answers with instead of running the operation. */
export interface GateRefusal {
  readonly refuse: ErrorCode;
  readonly detail?: string;
  readonly headers?: Record<string, string>;
}

/**
 * Decides who calls an operation and whether they may: the principal to hand the handler
 * (undefined: anonymous), or a refusal. One per API mounted on the listener.
 */
export interface Gate<P, R extends string> {
  check(op: Operation<P, R>, req: FastifyRequest): Promise<{ principal: P | undefined } | GateRefusal>;
}

export interface MountOptions<P, R extends string> {
  readonly gate: Gate<P, R>;
  readonly readOnly: boolean;
  readonly logger: Logger;
}

/** The admin API's gate: a bearer token (or the console's session cookie) whose user has at least the operation's role. */
export function adminGate(auth: AdminAuth): Gate<Principal, AdminRole> {
  return {
    async check(op, req) {
      if (op.role === undefined) return { principal: undefined };
      const authn = await authenticateRequest(auth, req.headers);
      const principal = authn.principal;
      if (!principal) return { refuse: 'unauthorized', headers: { 'www-authenticate': 'Bearer realm="portcullis-admin"' } };
      // A browser attaches the console's session cookie on its own: unsafe requests must prove they come from the console.
      const refusal = authn.viaCookie ? crossSiteRefusal(req.method, req.headers) : undefined;
      if (refusal) return { refuse: 'forbidden', detail: refusal };
      if (!roleAllows(principal.role, op.role)) return { refuse: 'forbidden', detail: `this needs the ${op.role} role; your token has ${principal.role}` };
      return { principal };
    },
  };
}

const instanceOf = (req: FastifyRequest) => req.url.split('?')[0];

export function sendProblem(reply: FastifyReply, req: FastifyRequest, code: ErrorCode, detail?: string, errors?: { pointer: string; detail: string }[], headers?: Record<string, string>): FastifyReply {
  const body = problemBody(code, { ...(detail !== undefined ? { detail } : {}), instance: instanceOf(req), requestId: String(req.id), ...(errors ? { extensions: { errors } } : {}) });
  if (headers) reply.headers(headers);
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).header('cache-control', 'no-store').send(body);
}

// Errors that mean "the database is not there right now", on either driver.
const STORE_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300', 'ERR_SQLITE_ERROR']);
function isStoreUnavailable(err: unknown): boolean {
  const e = err as { code?: string; errcode?: number; message?: string };
  if (e?.code === 'ERR_SQLITE_ERROR') return /busy|locked|disk|full|readonly|unable to open|I\/O/i.test(e.message ?? '');
  return (e?.code !== undefined && STORE_DOWN_CODES.has(e.code)) || /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connect ECONNREFUSED/i.test(e?.message ?? '');
}

/** Maps anything thrown below a handler to the problem it is; undefined = an internal error. */
export function problemOf(err: unknown): { code: ErrorCode; detail?: string; errors?: { pointer: string; detail: string }[]; headers?: Record<string, string> } | undefined {
  if (err instanceof ApiProblem) return { code: err.code, detail: err.message === err.code ? undefined : err.message, ...(err.errors ? { errors: err.errors } : {}), ...(err.headers ? { headers: err.headers } : {}) };
  if (err instanceof InUseError) return { code: 'entity-in-use', detail: err.issues.map((i) => i.message).join('; '), errors: err.issues.map((i) => ({ pointer: i.pointer, detail: i.message })) };
  if (err instanceof WriteValidationError || err instanceof ConfigError) {
    return { code: 'validation-failed', detail: `${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}: ${err.issues.slice(0, 3).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}${err.issues.length > 3 ? '; …' : ''}`, errors: err.issues.map((i) => ({ pointer: i.pointer, detail: i.message })) };
  }
  if (err instanceof DuplicateNameError || err instanceof DuplicateKeyError) return { code: 'conflict', detail: err.message };
  if (err instanceof VersionMismatchError || err instanceof VersionConflictError) return { code: 'precondition-failed' };
  if (err instanceof NotFoundError || err instanceof WebhookNotFoundError) return { code: 'not-found', detail: err.message };
  if (err instanceof WebhookInputError) return { code: 'validation-failed', detail: err.message, errors: err.issues.map((i) => ({ ...i })) };
  if (err instanceof WebhookConflictError) return { code: 'conflict', detail: err.message };
  if (err instanceof InvalidCursorError) return { code: 'validation-failed', detail: err.message, errors: [{ pointer: '', detail: 'query parameter cursor: not a cursor this API issued' }] };
  if (isStoreUnavailable(err)) return { code: 'store-unavailable', headers: { 'retry-after': '5' } };
  return undefined;
}

/** Body parsers of every API on the listener; installed once, before any operations are mounted. */
export function installBodyParsers(app: FastifyInstance): void {
  // Bodies are JSON (or YAML): fastify's built-in text/plain parser would hand a handler a string,
  // answered as "must be object"; without it such a body is 415 unsupported-media-type.
  app.removeContentTypeParser('text/plain');
  // Config documents may be posted as YAML; parsed with the same limits as a config file.
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseYaml(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

export function mountOperations<P, R extends string>(app: FastifyInstance, operations: readonly Operation<P, R>[], opts: MountOptions<P, R>): void {
  const paths = new Map<string, Set<string>>();
  for (const op of operations) {
    const url = op.path.replace(/\{([^}]+)\}/g, ':$1');
    (paths.get(url) ?? paths.set(url, new Set()).get(url)!).add(op.method);
    app.route({
      method: op.method,
      url,
      handler: async (req, reply) => {
        const verdict = await opts.gate.check(op, req);
        if ('refuse' in verdict) return sendProblem(reply, req, verdict.refuse, verdict.detail, undefined, verdict.headers);
        if (op.write && opts.readOnly) return sendProblem(reply, req, 'read-only-config');
        if (op.body !== undefined && op.bodyRequired !== false && req.body === undefined) return sendProblem(reply, req, 'validation-failed', 'a JSON body is required', [{ pointer: '', detail: 'request body is missing' }]);
        const result = await op.handler({
          params: req.params as Record<string, string>,
          query: Object.fromEntries(Object.entries(req.query as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? String(v[v.length - 1]) : String(v)])),
          body: req.body,
          headers: req.headers,
          principal: verdict.principal,
          requestId: String(req.id),
          ip: req.socket.remoteAddress ?? '',
          secure: req.protocol === 'https',
        });
        reply.code(result.status ?? 200);
        if (result.headers) reply.headers(result.headers);
        if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
        if (result.contentType) reply.type(result.contentType);
        return result.body === undefined ? reply.send() : reply.send(result.body);
      },
    });
  }
  // Known paths with an unsupported method get 405 with Allow, not 404.
  for (const [url, methods] of paths) {
    const allowed = [...methods, ...(methods.has('GET') ? ['HEAD'] : [])];
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      if (methods.has(method)) continue;
      app.route({ method, url, handler: async (req, reply) => sendProblem(reply, req, 'method-not-allowed', undefined, undefined, { allow: allowed.join(', ') }) });
    }
  }
}
