// The app's one way to the portal API: openapi-fetch typed by the generated `paths`. The session
// is an HttpOnly cookie the browser sends on its own; every unsafe request also carries the
// session's CSRF token (X-CSRF-Token), which the server hands out with the session.
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './portal.gen/index.ts';

let csrfToken: string | undefined;

/** Remember the CSRF token of the current session (from GET/POST /portal/api/session). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const csrf: Middleware = {
  onRequest({ request }) {
    if (!SAFE.has(request.method) && csrfToken !== undefined) request.headers.set('X-CSRF-Token', csrfToken);
    return request;
  },
};

export const portal = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
portal.use(csrf);

export { ApiError, call, messageOf } from './client.ts';
