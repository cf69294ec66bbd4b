// What an introspection response (RFC 7662 §2.2) says, and the checks the gateway makes on it.
// The IdP is the authority on whether a token is active; the time checks here are defence in
// depth against a stale cache or an IdP that answers `active` for an expired token.

export type Claims = Readonly<Record<string, unknown>>;

/** Clock difference tolerated between the gateway and the IdP on `exp` and `nbf`. */
export const CLOCK_SKEW_SECONDS = 30;

/** An introspection answer as the gateway keeps it: only a well-formed `active: true` has claims. */
export type IntrospectionAnswer = { readonly active: true; readonly claims: Claims } | { readonly active: false };

/**
 * Reads a response body: a JSON object whose `active` is a boolean, and whose `exp`, `nbf` and
 * `iat`, when present, are numbers. Anything else is junk (a string for the error log), never an
 * answer: an IdP that answers garbage must not be read as "active", nor cached as "inactive".
 */
export function parseIntrospection(body: string): IntrospectionAnswer | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'response is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'response is not a JSON object';
  const claims = parsed as Record<string, unknown>;
  if (claims.active === false) return { active: false };
  if (claims.active !== true) return 'response has no boolean "active"';
  for (const name of ['exp', 'nbf', 'iat']) {
    if (claims[name] !== undefined && !Number.isFinite(claims[name])) return `response has a non-numeric "${name}"`;
  }
  return { active: true, claims: deepFreeze(claims) };
}

/**
 * Why the token may not be used at `nowMs` (a reason for the debug log), or undefined when it may.
 * Both sides allow CLOCK_SKEW_SECONDS.
 */
export function timeProblem(claims: Claims, nowMs: number): string | undefined {
  const now = nowMs / 1000;
  if (typeof claims.exp === 'number' && now >= claims.exp + CLOCK_SKEW_SECONDS) return 'token expired';
  if (typeof claims.nbf === 'number' && now < claims.nbf - CLOCK_SKEW_SECONDS) return 'token not valid yet';
  return undefined;
}

/** Until when (ms since the epoch) an active answer may be reused: the TTL, capped at `exp`. */
export function reusableUntil(claims: Claims, nowMs: number, ttlSeconds: number): number {
  const ttlEnd = nowMs + ttlSeconds * 1000;
  // No skew here: a cached answer never outlives the token, whatever the clocks say.
  return typeof claims.exp === 'number' ? Math.min(ttlEnd, claims.exp * 1000) : ttlEnd;
}

/**
 * Scopes granted: RFC 7662 `scope` (space-separated), and `scp` (a list, or space-separated as
 * some IdPs send it), read as the jwt plugin reads them.
 */
export function grantedScopes(claims: Claims): ReadonlySet<string> {
  const words = (v: unknown): unknown[] => (typeof v === 'string' ? v.split(' ') : Array.isArray(v) ? v : []);
  return new Set([...words(claims.scope), ...words(claims.scp)].filter((s): s is string => typeof s === 'string' && s !== ''));
}

/** The required scopes the token lacks. */
export function missingScopes(claims: Claims, required: readonly string[]): string[] {
  if (required.length === 0) return [];
  const granted = grantedScopes(claims);
  return required.filter((s) => !granted.has(s));
}

/** A claim that is a non-empty string, or undefined. */
export function stringClaim(claims: Claims, name: string): string | undefined {
  const v = Object.hasOwn(claims, name) ? claims[name] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

// Cached claims are shared by every request presenting the token: no plugin may edit them for
// others. Iterative, because a 64 KiB body can nest deeper than the call stack goes.
function deepFreeze<T>(value: T): T {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const child of Object.values(v)) pending.push(child);
  }
  return value;
}
