// RFC 9457 problem details for the carrier API, in the same shape as the gateway's own registry
// (src/core/errors/registry.ts) but under the carrier's own type base: behind the gateway a client
// must be able to tell an upstream error from one Portcullis produced itself.
import type { ServerResponse } from 'node:http';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://carrier.example/problems/';

export interface ProblemDefinition {
  readonly status: number;
  /** Generic, stable title: never request-specific. */
  readonly title: string;
  /** Default detail, used when the thrower has nothing more specific to say. */
  readonly detail: string;
}

export const PROBLEMS = {
  'malformed-json': { status: 400, title: 'Malformed JSON', detail: 'The request body is not valid JSON.' },
  'not-found': { status: 404, title: 'Not Found', detail: 'The requested resource does not exist.' },
  'method-not-allowed': { status: 405, title: 'Method Not Allowed', detail: 'The method is not allowed on this resource.' },
  'payload-too-large': { status: 413, title: 'Payload Too Large', detail: 'The request body exceeds 1 MiB.' },
  'validation': { status: 422, title: 'Validation Failed', detail: 'The request body has invalid or missing fields.' },
  'internal': { status: 500, title: 'Internal Server Error', detail: 'The carrier API could not process the request.' },
} as const satisfies Record<string, ProblemDefinition>;

export type ProblemCode = keyof typeof PROBLEMS;

/** One invalid field: `pointer` is an RFC 6901 JSON pointer into the request body. */
export interface FieldError {
  pointer: string;
  message: string;
}

/**
 * Thrown anywhere below the request handler and turned into problem+json in one place, so
 * handlers read top to bottom without threading error returns through every helper.
 */
export class CarrierProblem extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly detail: string;
  readonly headers: Record<string, string>;
  readonly errors: FieldError[] | undefined;
  constructor(code: ProblemCode, opts: { detail?: string; headers?: Record<string, string>; errors?: FieldError[] } = {}) {
    const def = PROBLEMS[code];
    super(opts.detail ?? def.detail);
    this.name = 'CarrierProblem';
    this.code = code;
    this.status = def.status;
    this.detail = opts.detail ?? def.detail;
    this.headers = opts.headers ?? {};
    this.errors = opts.errors;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(payload)),
  });
  res.end(payload);
}

/** `instance` is the request path only: the carrier does not know the host it is reached by. */
export function sendProblem(res: ServerResponse, problem: CarrierProblem, instance: string): void {
  const body: Record<string, unknown> = {
    type: PROBLEM_TYPE_BASE + problem.code,
    title: PROBLEMS[problem.code].title,
    status: problem.status,
    detail: problem.detail,
    instance,
  };
  if (problem.errors) body.errors = problem.errors;
  sendJson(res, problem.status, body, problem.headers, PROBLEM_CONTENT_TYPE);
}
