// The app's one way to the admin API: openapi-fetch typed by the generated `paths`. Requests
// carry the session cookie (same origin) and the anti-CSRF header the server requires for
// cookie-authenticated writes; errors come back as the API's problem+json.
import createClient from 'openapi-fetch';
import type { paths } from './admin.gen/index.ts';

export const CSRF_HEADER = { 'X-Requested-With': 'portcullis' } as const;

export const admin = createClient<paths>({ baseUrl: '', credentials: 'same-origin', headers: CSRF_HEADER });

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { pointer: string; detail: string }[];
}

/** Thrown for any non-2xx answer: the problem document plus the status. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** openapi-fetch's `{ data, error, response }` → the data, or an ApiError thrown. */
export async function call<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch {
    throw new ApiError(0, { title: 'Network error', detail: 'The admin API could not be reached.' });
  }
  if (!result.response.ok) {
    const p = (result.error && typeof result.error === 'object' ? result.error : {}) as Problem;
    throw new ApiError(result.response.status, { ...p, status: result.response.status });
  }
  return result.data as T;
}

/** A user-facing message for any error. */
export const messageOf = (err: unknown) => (err instanceof ApiError ? err.message : err instanceof Error ? err.message : String(err));
