// Bearer tokens in request headers (RFC 6750 §2.1). Only the header form: tokens in query strings
// or form bodies end up in access logs and browser histories, so they are not looked for.
import type { HeaderValue } from '../../core/pipeline/context.ts';

/** Longest token accepted. Larger ones are refused before anything is sent to the IdP. */
export const MAX_TOKEN_LENGTH = 8192;

const BEARER_SCHEME = /^bearer[ ]/i;
// RFC 6750 b64token: anything else is not a token, and is never forwarded to the IdP.
const BEARER = /^bearer[ ]+([A-Za-z0-9\-._~+/]+=*)[ ]*$/i;

const first = (v: HeaderValue | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Whether a header value uses the Bearer scheme at all, well-formed or not. */
export function isBearer(value: HeaderValue | undefined): boolean {
  return BEARER_SCHEME.test(first(value) ?? '');
}

/** The token of `Bearer <token>`, or undefined when absent, malformed or too long. */
export function bearerToken(value: HeaderValue | undefined): string | undefined {
  const v = first(value);
  // The length is checked first, so an oversized header costs nothing more.
  if (v === undefined || v.length > MAX_TOKEN_LENGTH + 64) return undefined;
  const token = BEARER.exec(v)?.[1];
  return token !== undefined && token.length <= MAX_TOKEN_LENGTH ? token : undefined;
}
