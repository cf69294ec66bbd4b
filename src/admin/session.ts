// Browser sessions for the admin console. The console signs in by exchanging an admin token for
// an HttpOnly cookie (`pc_admin`, the token itself, Path=/admin, SameSite=Strict), so no script
// on the page can read the token. Because a cookie travels with requests the browser makes on
// its own, a cookie-authenticated unsafe request must also prove it comes from our page: a
// matching Origin (or Sec-Fetch-Site: same-origin) AND `X-Requested-With: portcullis` (a custom
// header no cross-site form can send, and which forces a CORS preflight we never grant).
// Bearer tokens in `Authorization` are unaffected: a browser never attaches those by itself.
import Type from 'typebox';
import type { AdminAuth, Principal } from './auth.ts';
import { ApiProblem, type OpInput, type Operation } from './api/types.ts';

export const SESSION_COOKIE = 'pc_admin';
export const CSRF_HEADER = 'x-requested-with';
export const CSRF_VALUE = 'portcullis';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

type Headers = OpInput['headers'];
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** The `pc_admin` cookie's value, if the Cookie header carries one. */
export function sessionToken(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value.length > 0 ? value : undefined;
    }
  }
  return undefined;
}

/**
 * Why a cookie-authenticated request is refused as possibly cross-site, or undefined when it is
 * allowed. Safe methods pass (they change nothing).
 */
export function crossSiteRefusal(method: string, headers: Headers): string | undefined {
  if (SAFE_METHODS.has(method.toUpperCase())) return undefined;
  const origin = one(headers.origin);
  const host = one(headers.host);
  if (origin !== undefined) {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = undefined;
    }
    if (originHost === undefined || host === undefined || originHost !== host) return 'the request comes from another origin';
  } else if (one(headers['sec-fetch-site']) !== 'same-origin') {
    return 'a session request must carry Origin (or Sec-Fetch-Site: same-origin)';
  }
  if (one(headers[CSRF_HEADER]) !== CSRF_VALUE) return `a session request must carry the header X-Requested-With: ${CSRF_VALUE}`;
  return undefined;
}

export interface RequestAuth {
  readonly principal: Principal | undefined;
  /** Authenticated by the session cookie (and so subject to the cross-site checks). */
  readonly viaCookie: boolean;
}

/** The Authorization header wins; the session cookie counts only when there is none. */
export async function authenticateRequest(auth: AdminAuth, headers: Headers): Promise<RequestAuth> {
  const authorization = one(headers.authorization);
  if (authorization !== undefined) return { principal: await auth.authenticate(authorization), viaCookie: false };
  const token = sessionToken(one(headers.cookie));
  if (token === undefined) return { principal: undefined, viaCookie: false };
  return { principal: await auth.authenticate(`Bearer ${token}`), viaCookie: true };
}

// Secure when the page is served over https (as the browser reports it): a Secure cookie set over
// plain http would never come back, which would make sign-in impossible on a loopback console.
const isHttps = (headers: Headers) => one(headers['x-forwarded-proto']) === 'https' || (one(headers.origin) ?? '').startsWith('https://');

function cookie(value: string, headers: Headers, maxAge?: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/admin; HttpOnly; SameSite=Strict${isHttps(headers) ? '; Secure' : ''}${maxAge !== undefined ? `; Max-Age=${maxAge}` : ''}`;
}

const SessionInput = Type.Object({ token: Type.String({ minLength: 1, maxLength: 512, description: 'An admin token (`pcat_…`).' }) }, { additionalProperties: false, title: 'SessionInput' });
const SessionResponse = Type.Object({ user: Type.String(), role: Type.String() }, { title: 'Session' });

export function sessionOperations(auth: AdminAuth): Operation[] {
  return [
    {
      id: 'create-session', method: 'POST', path: '/admin/session', tag: 'Admin user',
      summary: 'Sign in a browser: exchange an admin token for an HttpOnly session cookie',
      description: `Sets the \`${SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict, Path=/admin, Secure over https). Requests with that cookie and no Authorization header are authenticated as the token; unsafe ones must also carry a same-origin Origin (or Sec-Fetch-Site: same-origin) and \`X-Requested-With: ${CSRF_VALUE}\`, which this request must carry too.`,
      body: SessionInput,
      responses: { 200: { description: 'Signed in; the cookie is set.', schema: SessionResponse } },
      problems: ['unauthorized', 'forbidden'],
      async handler(input) {
        const refusal = crossSiteRefusal('POST', input.headers);
        if (refusal) throw new ApiProblem('forbidden', refusal);
        const body = input.body as { token?: unknown } | null;
        const token = body !== null && typeof body === 'object' ? body.token : undefined;
        if (typeof token !== 'string' || token.length === 0 || token.length > 512) throw new ApiProblem('validation-failed', 'token must be a non-empty string', [{ pointer: '/token', detail: 'must be a non-empty string of at most 512 characters' }]);
        const principal = await auth.authenticate(`Bearer ${token}`);
        if (!principal) throw new ApiProblem('unauthorized', 'the token is not valid');
        return { body: { user: principal.user, role: principal.role }, headers: { 'set-cookie': cookie(token, input.headers) } };
      },
    },
    {
      id: 'delete-session', method: 'DELETE', path: '/admin/session', tag: 'Admin user',
      summary: 'Sign out a browser: clear the session cookie',
      responses: { 204: { description: 'The cookie is cleared.' } },
      async handler(input) {
        return { status: 204, headers: { 'set-cookie': cookie('', input.headers, 0) } };
      },
    },
  ];
}
