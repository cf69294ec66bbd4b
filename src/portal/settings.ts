// The portal's settings belong to whoever runs the node (environment, PORTCULLIS_PORTAL_*), not to
// admin API users: where links point, how long sessions live, how mail leaves the machine.

export type MailSettings =
  | { readonly transport: 'log' }
  | { readonly transport: 'smtp'; readonly url: string; readonly from: string };

export interface ThrottleLimit {
  /** Attempts allowed per window. */
  readonly max: number;
  readonly windowMs: number;
}

export interface PortalSettings {
  /** Where the portal web app is reached: the base of every mailed link, and an accepted Origin. */
  readonly publicUrl: string;
  /** Set Secure on the session cookie even when the request did not come over TLS (a TLS proxy in front). */
  readonly secureCookies: boolean;
  readonly sessionIdleMs: number;
  readonly sessionMaxMs: number;
  readonly verifyTtlMs: number;
  readonly resetTtlMs: number;
  readonly inviteTtlMs: number;
  readonly mail: MailSettings;
  /**
   * The gateway's public URL, for the portal's "try it" calls (and the web app's CSP connect-src):
   * PORTCULLIS_PORTAL_GATEWAY_URL, else the node's own proxy listener once it is known, else none.
   */
  readonly gatewayUrl: () => string | undefined;
  /** Per client address and per account (the email as typed, known or not). */
  readonly throttle: {
    readonly loginPerIp: ThrottleLimit;
    readonly loginPerAccount: ThrottleLimit;
    readonly signupPerIp: ThrottleLimit;
    readonly resetPerIp: ThrottleLimit;
    readonly resetPerAccount: ThrottleLimit;
    /** Mail to one address (sign-up notes, verification links): no one is mail-bombed through the portal. */
    readonly mailPerAddress: ThrottleLimit;
    /** Invitations one user sends. */
    readonly invitesPerUser: ThrottleLimit;
  };
  /** The clock (ms since the epoch); tests move it to reach expiries without waiting. */
  readonly now: () => number;
}

export class PortalSettingsError extends Error {}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new PortalSettingsError(`${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  return n;
}

export const DEFAULT_THROTTLE: PortalSettings['throttle'] = {
  loginPerIp: { max: 30, windowMs: 15 * MINUTE },
  loginPerAccount: { max: 10, windowMs: 15 * MINUTE },
  signupPerIp: { max: 10, windowMs: HOUR },
  resetPerIp: { max: 10, windowMs: HOUR },
  resetPerAccount: { max: 3, windowMs: HOUR },
  mailPerAddress: { max: 5, windowMs: HOUR },
  invitesPerUser: { max: 50, windowMs: HOUR },
};

/** An origin-style URL (http(s), no path, query or credentials): it goes into a CSP directive. */
export function gatewayUrlSetting(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PortalSettingsError(`PORTCULLIS_PORTAL_GATEWAY_URL must be an absolute http(s) URL, not "${text}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash || url.pathname !== '/') {
    throw new PortalSettingsError(`PORTCULLIS_PORTAL_GATEWAY_URL must be an http(s) origin such as https://api.example.com, not "${text}"`);
  }
  return url.origin;
}

/**
 * `localGateway`: the node's own proxy URL, asked when a request needs it (the proxy listens after
 * the portal is set up, on a port that may be chosen by the OS).
 */
export function portalSettings(env: NodeJS.ProcessEnv = process.env, fallbackUrl: string | (() => string) = 'http://127.0.0.1:8081', localGateway?: () => string | undefined): PortalSettings {
  // The fallback may be a function: the admin listener's own URL, whose port is known only once it
  // listens (--admin-port 0), after the portal has been set up.
  const fallback = typeof fallbackUrl === 'string' ? () => fallbackUrl : fallbackUrl;
  const configured = env.PORTCULLIS_PORTAL_URL?.replace(/\/+$/, '');
  const publicUrl = configured ?? fallback().replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(publicUrl);
  } catch {
    throw new PortalSettingsError(`PORTCULLIS_PORTAL_URL must be an absolute http(s) URL, not "${publicUrl}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new PortalSettingsError('PORTCULLIS_PORTAL_URL must be an http or https URL');
  const transport = env.PORTCULLIS_PORTAL_MAIL ?? 'log';
  let mail: MailSettings;
  if (transport === 'log') mail = { transport: 'log' };
  else if (transport === 'smtp') {
    const url = env.PORTCULLIS_PORTAL_SMTP_URL;
    if (!url) throw new PortalSettingsError('PORTCULLIS_PORTAL_MAIL=smtp needs PORTCULLIS_PORTAL_SMTP_URL (smtp:// or smtps://user:pass@host:port)');
    mail = { transport: 'smtp', url, from: env.PORTCULLIS_PORTAL_MAIL_FROM ?? 'Portcullis <no-reply@localhost>' };
  } else throw new PortalSettingsError(`PORTCULLIS_PORTAL_MAIL must be "log" or "smtp", not "${transport}"`);
  const secure = env.PORTCULLIS_PORTAL_SECURE_COOKIES;
  const configuredGateway = gatewayUrlSetting(env.PORTCULLIS_PORTAL_GATEWAY_URL);
  return {
    get publicUrl() { return configured ?? fallback().replace(/\/+$/, ''); },
    secureCookies: secure === 'true' || secure === '1' || (secure === undefined && parsed.protocol === 'https:'),
    sessionIdleMs: int(env, 'PORTCULLIS_PORTAL_SESSION_IDLE_MINUTES', 120, 1, 60 * 24 * 30) * MINUTE,
    sessionMaxMs: int(env, 'PORTCULLIS_PORTAL_SESSION_MAX_HOURS', 24 * 7, 1, 24 * 90) * HOUR,
    verifyTtlMs: 2 * DAY,
    resetTtlMs: HOUR,
    inviteTtlMs: 7 * DAY,
    mail,
    gatewayUrl: () => configuredGateway ?? localGateway?.(),
    throttle: DEFAULT_THROTTLE,
    now: Date.now,
  };
}
