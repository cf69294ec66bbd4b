// Portal sessions: a cookie holding a 256-bit random secret; the store keeps its SHA-256 as the
// row id with the user, a CSRF token, the last-seen time (idle expiry) and an absolute end. The
// gate below turns a request's cookie into a principal, and guards every unsafe request against
// cross-site forgery: Origin / Sec-Fetch-Site must be this site, and a logged-in request must echo
// its session's CSRF token in X-CSRF-Token.
import type { FastifyRequest } from 'fastify';
import type { Gate } from '../admin/api/mount.ts';
import type { Store } from '../store/ports.ts';
import { newSecret, sameSecret, secretHash } from './secrets.ts';
import type { PortalSettings } from './settings.ts';

export interface PortalPrincipal {
  readonly userId: string;
  readonly email: string;
  readonly verified: boolean;
  /** The session row's id (the hash of the cookie's secret). */
  readonly sessionId: string;
  readonly csrfToken: string;
}

/** Access levels of portal operations: `user` = a logged-in session (no role = public). */
export type PortalAccess = 'user';

export const SESSION_COOKIE = 'portcullis_session';
/** The cookie goes to the portal API only, never to the web app's pages or the admin API. */
export const COOKIE_PATH = '/portal/api';
/** last_seen_at is written at most this often per session (idle expiry is that coarse). */
const TOUCH_EVERY_MS = 60_000;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class PortalSessions {
  readonly #store: Store;
  readonly #settings: PortalSettings;

  constructor(store: Store, settings: PortalSettings) {
    this.#store = store;
    this.#settings = settings;
  }

  /** The session a Cookie header names, if it is live; undefined for every kind of failure alike. */
  async fromCookie(header: string | undefined): Promise<PortalPrincipal | undefined> {
    const secret = cookieValue(header, SESSION_COOKIE);
    if (!secret || !/^[A-Za-z0-9_-]{43}$/.test(secret)) return undefined;
    const id = secretHash(secret);
    const session = this.#store.read();
    const row = await session.portal.getSession(id);
    if (!row) return undefined;
    const now = this.#settings.now();
    const lastSeen = Date.parse(row.last_seen_at);
    if (Date.parse(row.expires_at) <= now || lastSeen + this.#settings.sessionIdleMs <= now) return undefined;
    const user = await session.portal.getUser(row.user_id);
    if (!user) return undefined;
    if (now - lastSeen >= TOUCH_EVERY_MS) await this.#store.write((tx) => tx.portal.touchSession(id, new Date(now).toISOString()));
    return { userId: user.id, email: user.email, verified: user.email_verified_at !== null, sessionId: id, csrfToken: row.csrf_token };
  }

  /**
   * A new session for a user (login): a fresh secret every time, and the session the request came
   * with (if any) ended, so a cookie planted before login is worthless after it (fixation).
   */
  async start(userId: string, previousCookie: string | undefined): Promise<{ secret: string; csrfToken: string; expiresAt: string }> {
    const secret = newSecret();
    const csrfToken = newSecret();
    const now = this.#settings.now();
    const expiresAt = new Date(now + this.#settings.sessionMaxMs).toISOString();
    const previous = cookieValue(previousCookie, SESSION_COOKIE);
    await this.#store.write(async (tx) => {
      if (previous) await tx.portal.deleteSession(secretHash(previous));
      await tx.portal.insertSession({ id: secretHash(secret), user_id: userId, csrf_token: csrfToken, created_at: new Date(now).toISOString(), last_seen_at: new Date(now).toISOString(), expires_at: expiresAt });
    });
    return { secret, csrfToken, expiresAt };
  }

  /** Set-Cookie for a session; Secure when the request came over TLS or the node says so. */
  cookie(secret: string, secureRequest: boolean): string {
    return `${SESSION_COOKIE}=${secret}; Path=${COOKIE_PATH}; Max-Age=${Math.floor(this.#settings.sessionMaxMs / 1000)}; HttpOnly; SameSite=Lax${this.#secure(secureRequest) ? '; Secure' : ''}`;
  }

  clearCookie(secureRequest: boolean): string {
    return `${SESSION_COOKIE}=; Path=${COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Lax${this.#secure(secureRequest) ? '; Secure' : ''}`;
  }

  #secure(secureRequest: boolean): boolean {
    return secureRequest || this.#settings.secureCookies;
  }
}

/** Whether an unsafe request comes from this site, as far as the browser tells (see docs/portal.md). */
export function sameSite(req: FastifyRequest, publicUrl: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser (browsers send Origin on every unsafe request)
  const own = new Set([new URL(publicUrl).origin]);
  if (req.headers.host) own.add(`${req.protocol}://${req.headers.host}`);
  return own.has(origin);
}

export function portalGate(sessions: PortalSessions, settings: PortalSettings): Gate<PortalPrincipal, PortalAccess> {
  return {
    async check(op, req) {
      const unsafe = !SAFE_METHODS.has(req.method);
      if (unsafe && !sameSite(req, settings.publicUrl)) return { refuse: 'csrf-failed', detail: 'the request does not come from the portal’s own pages' };
      const principal = await sessions.fromCookie(req.headers.cookie);
      if (op.role === undefined) return { principal };
      if (!principal) return { refuse: 'unauthorized', detail: 'log in first' };
      if (unsafe) {
        const token = req.headers['x-csrf-token'];
        if (typeof token !== 'string' || !sameSecret(token, principal.csrfToken)) return { refuse: 'csrf-failed', detail: 'send the session’s CSRF token (from GET /portal/api/session) as X-CSRF-Token' };
      }
      return { principal };
    },
  };
}
