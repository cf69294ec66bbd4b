import { ERRORS, problemType, type ErrorCode } from './registry.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  request_id?: string;
  [extension: string]: unknown;
}

/** Builds the RFC 9457 body for a registry code. `instance` is the request path, never a URL with a host. */
export function problemBody(code: ErrorCode, opts: { detail?: string; instance?: string; requestId?: string; extensions?: Record<string, unknown> } = {}): ProblemBody {
  const def = ERRORS[code];
  const body: ProblemBody = {
    type: problemType(code),
    title: def.title,
    status: def.status,
    detail: opts.detail ?? def.detail,
  };
  // Extensions first: they add members, never overwrite the standard ones.
  if (opts.extensions) for (const [k, v] of Object.entries(opts.extensions)) if (!(k in body) && k !== 'instance' && k !== 'request_id') body[k] = v;
  if (opts.instance !== undefined) body.instance = opts.instance;
  if (opts.requestId !== undefined) body.request_id = opts.requestId;
  return body;
}

export function problemJson(code: ErrorCode, opts: Parameters<typeof problemBody>[1] = {}): string {
  return JSON.stringify(problemBody(code, opts));
}
