// Shared harness for the portal API tests: a real admin server (fastify) with the admin API and the
// portal API mounted, over a real in-memory SQLite store; the `log` mail transport writing to a
// captured log (tests read links from it, as a developer would from the console); a clock the
// tests move to reach expiries; browser-like clients with a cookie jar and the CSRF token.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { AdminAuth, bootstrapAdmin } from '../../src/admin/auth.ts';
import { ConfigService } from '../../src/admin/config-service.ts';
import { adminOperations } from '../../src/admin/api/index.ts';
import { createAdminServer } from '../../src/admin/server.ts';
import { BUNDLED_CATALOG } from '../../src/plugins/index.ts';
import { createPortal, type Portal } from '../../src/portal/index.ts';
import { portalMount } from '../../src/portal/openapi.ts';
import { DEFAULT_THROTTLE, portalSettings, type PortalSettings } from '../../src/portal/settings.ts';
import { openStore } from '../../src/store/open.ts';
import { ephemeralMasterKey, masterKeyFingerprint } from '../../src/core/identity/sealed.ts';
import { WebhookService } from '../../src/webhooks/service.ts';
import { compileSsrfPolicy } from '../../src/webhooks/ssrf.ts';
import type { Store } from '../../src/store/ports.ts';

export const PROBLEM_BASE = 'https://portcullis.dev/problems/';
export const ADMIN_TOKEN = 'pcat_portal-test-bootstrap-token-0123456789';
export const PUBLIC_URL = 'http://portal.test';
export const PASSWORD = 'correct horse battery staple';

export type Json = Record<string, unknown>;

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly text: string;
  readonly body: Json;
  readonly method: string;
  readonly url: string;
}

export interface SendOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Leave out X-CSRF-Token (default: sent when the client has one). */
  readonly noCsrf?: boolean;
}

/** A browser: keeps the session cookie and the CSRF token, sends Origin like a same-origin page. */
export class Client {
  cookie: string | undefined;
  csrf: string | undefined;
  /** The client address the server sees. */
  ip = '127.0.0.1';
  readonly #h: PortalHarness;
  constructor(h: PortalHarness) {
    this.#h = h;
  }

  async send(method: string, url: string, o: SendOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { origin: PUBLIC_URL, ...o.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && !o.noCsrf && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const res = await this.#h.app.inject({ method: method as 'GET', url, headers, remoteAddress: this.ip, ...(payload !== undefined ? { payload } : {}) });
    let body: Json = {};
    try {
      const parsed = JSON.parse(res.body) as unknown;
      if (parsed !== null && typeof parsed === 'object') body = parsed as Json;
    } catch { /* not JSON */ }
    const setCookie = res.headers['set-cookie'];
    for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair] = c.split(';');
      this.cookie = pair!.endsWith('=') ? undefined : pair;
      if (this.cookie === undefined) this.csrf = undefined;
    }
    if (typeof body.csrf_token === 'string') this.csrf = body.csrf_token;
    const reply = { status: res.statusCode, headers: res.headers, text: res.body, body, method, url };
    this.#h.received.push(reply);
    return reply;
  }

  get(url: string, o?: SendOptions) { return this.send('GET', url, o); }
  post(url: string, body?: unknown, o?: SendOptions) { return this.send('POST', url, { ...o, body }); }
  patch(url: string, body?: unknown, o?: SendOptions) { return this.send('PATCH', url, { ...o, body }); }
  delete(url: string, o?: SendOptions) { return this.send('DELETE', url, o); }

  async login(email: string, password = PASSWORD): Promise<Reply> {
    const r = await this.post('/portal/api/session', { email, password });
    assert.equal(r.status, 200, r.text);
    return r;
  }
}

export interface MailLine { kind: string; to: string; subject: string; link?: string }

export interface PortalHarness {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly service: ConfigService;
  readonly portal: Portal;
  readonly webhooks: WebhookService;
  readonly settings: PortalSettings;
  readonly received: Reply[];
  /** Every mail the log transport wrote, in order. */
  readonly mails: MailLine[];
  /** Moves the portal's clock forward. */
  advance(ms: number): void;
  client(): Client;
  /** The token of the last mail of `kind` to `to` (read from its link in the log). */
  tokenFrom(to: string, kind: string): string;
  /** Signs up, verifies (unless told not to) and logs in; returns the client and the account. */
  user(email: string, opts?: { verified?: boolean }): Promise<{ client: Client; account: Json; team: string }>;
  /** An admin API call with the bootstrap token. */
  admin(method: string, url: string, body?: unknown): Promise<Reply>;
  close(): Promise<void>;
}

export interface PortalHarnessOptions {
  readonly throttle?: Partial<PortalSettings['throttle']>;
  /** The store (default an in-memory SQLite database). */
  readonly db?: string;
  /** Networks webhook endpoints may resolve to besides public ones (CIDRs). */
  readonly webhookAllow?: string[];
  readonly settings?: Partial<PortalSettings>;
}

export async function createPortalHarness(opts: PortalHarnessOptions = {}): Promise<PortalHarness> {
  const store = await openStore(opts.db ?? 'sqlite::memory:');
  const service = new ConfigService(store, BUNDLED_CATALOG, ephemeralMasterKey());
  const auth = new AdminAuth(store);
  await bootstrapAdmin(store, auth, ADMIN_TOKEN);
  let offset = 0;
  const settings: PortalSettings = {
    ...portalSettings({ PORTCULLIS_PORTAL_URL: PUBLIC_URL }),
    throttle: { ...DEFAULT_THROTTLE, ...opts.throttle },
    now: () => Date.now() + offset,
    ...opts.settings,
  };
  const mails: MailLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { log?: string; mail?: MailLine };
        if (entry.log === 'portal.mail' && entry.mail) mails.push(entry.mail);
      }
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const key = randomBytes(32);
  // Loopback receivers are allowed: the tests' webhook receivers listen on 127.0.0.1.
  const webhooks = new WebhookService(store, { key, fingerprint: masterKeyFingerprint(key) }, compileSsrfPolicy({ allow: opts.webhookAllow ?? [] }));
  const portal = createPortal({ store, service, logger, settings, webhooks, pruneEveryMs: 0 });
  const app = createAdminServer({
    logger,
    readiness: () => ({ ready: true, status: 'ready', config_version: undefined, gateway_versions: [], last_reload: undefined, config_source: 'store' }),
    metrics: async () => '',
    api: { operations: adminOperations({ service, auth, readOnly: false }), auth, readOnly: false, version: '0.0.0-test' },
    portal: portalMount(portal, '0.0.0-test'),
  });
  await app.ready();
  const received: Reply[] = [];
  const h: PortalHarness = {
    app, store, service, portal, webhooks, settings, received, mails,
    advance(ms) { offset += ms; },
    client: () => new Client(h),
    tokenFrom(to, kind) {
      const mail = mails.filter((m) => m.to === to && m.kind === kind).at(-1);
      assert.ok(mail?.link, `no ${kind} mail to ${to}: ${JSON.stringify(mails)}`);
      const token = new URL(mail.link).searchParams.get('token');
      assert.ok(token);
      return token;
    },
    async user(email, o = {}) {
      const client = h.client();
      const r = await client.post('/portal/api/signup', { email, password: PASSWORD });
      assert.equal(r.status, 202, r.text);
      if (o.verified !== false) {
        const v = await client.post('/portal/api/account/verify', { token: h.tokenFrom(email, 'verify-email') });
        assert.equal(v.status, 200, v.text);
      }
      const login = await client.login(email);
      const account = login.body.account as Json;
      return { client, account, team: String((account.teams as Json[])[0]!.id) };
    },
    async admin(method, url, body) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const res = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(payload ? { 'content-type': 'application/json' } : {}) }, ...(payload ? { payload } : {}) });
      let parsed: Json = {};
      try { parsed = JSON.parse(res.body) as Json; } catch { /* empty */ }
      return { status: res.statusCode, headers: res.headers, text: res.body, body: parsed, method, url };
    },
    async close() {
      await app.close();
      await portal.close();
      await store.close();
    },
  };
  return h;
}

export async function withPortal(fn: (h: PortalHarness) => Promise<void>, opts: PortalHarnessOptions = {}): Promise<void> {
  const h = await createPortalHarness(opts);
  try {
    await fn(h);
    // Canaries: the password and every mailed token never come back in any answer or header.
    const canaries = [PASSWORD, ...h.mails.flatMap((m) => (m.link ? [new URL(m.link).searchParams.get('token')!] : []))];
    for (const r of h.received) {
      const seen = r.text + JSON.stringify(r.headers);
      for (const c of canaries) assert.ok(!seen.includes(c), `a secret came back in ${r.method} ${r.url} (${r.status})`);
    }
  } finally {
    await h.close();
  }
}

/** Plans free (1,000 calls a month) and gold (needs approval), a published product with both, a draft one. */
export async function catalogFixture(h: PortalHarness): Promise<void> {
  const ok = async (url: string, body: unknown) => {
    const r = await h.admin('POST', url, body);
    assert.equal(r.status, 201, r.text);
  };
  await ok('/admin/services', { name: 'carrier', targets: [{ url: 'http://127.0.0.1:9' }], tags: ['logistics'] });
  await ok('/admin/plans', { name: 'free', title: 'Free', quota: { period: 'month', limit: 1000 } });
  await ok('/admin/plans', { name: 'gold', title: 'Gold', requires_approval: true, price: { model: 'per_call', per_call_minor: 0.1 } });
  await ok('/admin/products', { name: 'shipping', title: 'Shipping', services: ['carrier'], plans: ['free', 'gold'], status: 'published' });
  await ok('/admin/products', { name: 'secret-beta', title: 'Beta', services: ['carrier'], plans: ['free'], status: 'draft' });
}

/** A problem+json answer with this status and registry code; returns the body. */
export function assertProblem(r: Reply, status: number, code: string): Json {
  assert.equal(r.status, status, `${r.method} ${r.url}: ${r.text}`);
  assert.match(String(r.headers['content-type']), /^application\/problem\+json/, `${r.method} ${r.url}`);
  assert.equal(r.body.type, PROBLEM_BASE + code, `${r.method} ${r.url}: ${r.text}`);
  assert.equal(r.body.status, status);
  return r.body;
}
