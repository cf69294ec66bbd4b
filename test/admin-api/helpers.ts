// Shared harness for the admin API integration tests: a real admin server (fastify) over a real
// in-memory SQLite store, a real AdminAuth with a bootstrapped admin token, and an editor and a
// viewer created through the API itself. Requests go through `app.inject()` (no sockets).
//
// Every response body the tests receive is kept, so that a test file can check at the end that no
// secret (admin tokens, API keys, passwords) ever came back except in the one 201 that issues it.
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { AdminAuth, bootstrapAdmin } from '../../src/admin/auth.ts';
import { ConfigService } from '../../src/admin/config-service.ts';
import { adminOperations } from '../../src/admin/api/index.ts';
import type { Operation } from '../../src/admin/api/types.ts';
import { createAdminServer } from '../../src/admin/server.ts';
import { BUNDLED_CATALOG } from '../../src/plugins/index.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/ports.ts';
import { ephemeralMasterKey } from '../../src/core/identity/sealed.ts';

export const PROBLEM_BASE = 'https://portcullis.dev/problems/';
/** The admin token bootstrapped from "PORTCULLIS_ADMIN_TOKEN" (never appears in any response). */
export const BOOTSTRAP_TOKEN = 'pcat_test-bootstrap-token-0123456789abcdef';

export type Json = Record<string, unknown>;
export type As = 'admin' | 'editor' | 'viewer' | 'none';

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly text: string;
  /** The parsed JSON body ({} when empty or not JSON). */
  readonly body: Json;
  /** Index in `Harness.received` (for the secrets check). */
  readonly index: number;
  readonly method: string;
  readonly url: string;
}

export interface CallOptions {
  /** Which bootstrapped identity sends it (default admin); ignored when `token` or `authorization` is given. */
  readonly as?: As;
  /** A bearer token to send. */
  readonly token?: string;
  /** A raw Authorization header (overrides `as` and `token`). */
  readonly authorization?: string;
  /** A JSON body (serialized, content-type application/json). */
  readonly body?: unknown;
  /** A raw body; set `contentType` with it. */
  readonly raw?: string;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

export interface Harness {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly service: ConfigService;
  readonly auth: AdminAuth;
  readonly operations: readonly Operation[];
  readonly tokens: Readonly<Record<'admin' | 'editor' | 'viewer', string>>;
  /** Every response received, in order. */
  readonly received: Reply[];
  call(method: string, url: string, opts?: CallOptions): Promise<Reply>;
  /**
   * Records a secret. It may appear only in the body of the response at `allowedIndex` (the 201
   * that issued it), or nowhere if undefined.
   */
  secret(value: string, allowedIndex?: number): void;
  /** Fails when a recorded secret shows up in any response body other than its allowed one. */
  assertNoLeaks(): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly readOnly?: boolean;
  /** Create the editor and viewer users (default true). */
  readonly users?: boolean;
}

const silent = pino({ level: 'silent' });

export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const store = await openStore('sqlite::memory:');
  const service = new ConfigService(store, BUNDLED_CATALOG, ephemeralMasterKey());
  const auth = new AdminAuth(store);
  const boot = await bootstrapAdmin(store, auth, BOOTSTRAP_TOKEN);
  assert.equal(boot.created, true);
  const operations = adminOperations({ service, auth, readOnly: opts.readOnly === true });
  const app = createAdminServer({
    logger: silent,
    readiness: () => ({ ready: true, status: 'ready', config_version: undefined, gateway_versions: [], last_reload: undefined, config_source: 'store' }),
    metrics: async () => '',
    api: { operations, auth, readOnly: opts.readOnly === true, version: '0.0.0-test' },
  });
  await app.ready();

  const received: Reply[] = [];
  const secrets = new Map<string, number | undefined>();
  const tokens: Record<'admin' | 'editor' | 'viewer', string> = { admin: BOOTSTRAP_TOKEN, editor: '', viewer: '' };
  secrets.set(BOOTSTRAP_TOKEN, undefined);

  const call = async (method: string, url: string, o: CallOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.authorization !== undefined) headers.authorization = o.authorization;
    else if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    else if ((o.as ?? 'admin') !== 'none') headers.authorization = `Bearer ${tokens[(o.as ?? 'admin') as 'admin']}`;
    let payload: string | undefined;
    if (o.raw !== undefined) {
      payload = o.raw;
      if (o.contentType !== undefined) headers['content-type'] = o.contentType;
    } else if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] = o.contentType ?? 'application/json';
    }
    const res = await app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
    let body: Json = {};
    try {
      const parsed = JSON.parse(res.body) as unknown;
      if (parsed !== null && typeof parsed === 'object') body = parsed as Json;
    } catch { /* not JSON */ }
    const reply: Reply = { status: res.statusCode, headers: res.headers, text: res.body, body, index: received.length, method, url };
    received.push(reply);
    return reply;
  };

  const h: Harness = {
    app, store, service, auth, operations, tokens, received, call,
    secret(value, allowedIndex) {
      assert.ok(value.length >= 8, 'a secret to scan for must be long enough to be unambiguous');
      secrets.set(value, allowedIndex);
    },
    assertNoLeaks() {
      for (const [value, allowed] of secrets) {
        for (const r of received) {
          if (r.index === allowed) continue;
          assert.ok(!r.text.includes(value), `a secret leaked in the response to ${r.method} ${r.url} (${r.status})`);
          for (const [name, v] of Object.entries(r.headers)) assert.ok(!String(v).includes(value), `a secret leaked in header ${name} of ${r.method} ${r.url}`);
        }
      }
    },
    async close() {
      await app.close();
      await store.close();
    },
  };

  if (opts.users !== false && opts.readOnly === true) {
    // The API refuses writes in read-only mode: the users come straight from the store.
    for (const role of ['editor', 'viewer'] as const) {
      const user = await store.write((tx) => tx.insertAdminUser({ name: role, email: null, role }));
      tokens[role] = (await auth.issue(user.id, `${role} token`, null)).token;
      h.secret(tokens[role]);
    }
  } else if (opts.users !== false) {
    for (const role of ['editor', 'viewer'] as const) {
      const user = await call('POST', '/admin/users', { body: { name: role, email: `${role}@example.com`, role } });
      assert.equal(user.status, 201, user.text);
      const issued = await call('POST', `/admin/users/${role}/tokens`, { body: { name: `${role} token` } });
      assert.equal(issued.status, 201, issued.text);
      tokens[role] = String(issued.body.token);
      h.secret(tokens[role], issued.index);
    }
  }
  return h;
}

// --- assertions ---------------------------------------------------------------------------------

/** A problem+json answer with this status and registry code; returns the body. */
export function assertProblem(r: Reply, status: number, code: string): Json {
  assert.equal(r.status, status, `${r.method} ${r.url}: ${r.text}`);
  assert.match(String(r.headers['content-type']), /^application\/problem\+json/, `${r.method} ${r.url}: content-type`);
  assert.equal(r.body.type, PROBLEM_BASE + code, `${r.method} ${r.url}: ${r.text}`);
  assert.equal(r.body.status, status);
  assert.equal(typeof r.body.title, 'string');
  assert.equal(typeof r.body.detail, 'string');
  assert.equal(r.body.instance, r.url.split('?')[0]);
  assert.equal(typeof r.body.request_id, 'string');
  assert.equal(r.headers['cache-control'], 'no-store');
  return r.body;
}

/** A 400 validation-failed whose errors include one at `pointer`; returns the errors. */
export function assertInvalid(r: Reply, ...pointers: string[]): { pointer: string; detail: string }[] {
  const body = assertProblem(r, 400, 'validation-failed');
  const errors = body.errors as { pointer: string; detail: string }[];
  assert.ok(Array.isArray(errors) && errors.length > 0, `errors[] expected: ${r.text}`);
  for (const e of errors) {
    assert.equal(typeof e.pointer, 'string');
    assert.equal(typeof e.detail, 'string');
  }
  for (const p of pointers) assert.ok(errors.some((e) => e.pointer === p), `expected an error at ${JSON.stringify(p)}, got ${JSON.stringify(errors)}`);
  return errors;
}

/** A successful JSON answer with this status: no-store and (optionally) an ETag of the body's version. */
export function assertOk(r: Reply, status = 200, opts: { etag?: boolean } = {}): Json {
  assert.equal(r.status, status, `${r.method} ${r.url}: ${r.text}`);
  assert.equal(r.headers['cache-control'], 'no-store', `${r.method} ${r.url}: cache-control`);
  if (status !== 204) assert.match(String(r.headers['content-type']), /^application\/json/);
  if (opts.etag) {
    assert.equal(r.headers.etag, `"v${String(r.body.version)}"`, `${r.method} ${r.url}: ETag`);
  }
  return r.body;
}

/** The body of a problem with request-specific fields dropped (to compare two answers). */
export function problemSansRequest(r: Reply): Json {
  const { request_id: _id, instance: _instance, ...rest } = r.body;
  return rest;
}

// --- fixtures -----------------------------------------------------------------------------------

export const serviceBody = (name: string, extra: Json = {}): Json => ({ name, targets: [{ url: 'http://127.0.0.1:9001' }], ...extra });
export const routeBody = (name: string, service: string, extra: Json = {}): Json => ({ name, service, paths: [`/${name}`], ...extra });

export async function create(h: Harness, collection: string, body: Json, as: As = 'editor'): Promise<Json> {
  const r = await h.call('POST', `/admin/${collection}`, { body, as });
  assert.equal(r.status, 201, `create ${collection}: ${r.text}`);
  return r.body;
}

/** Every item of a listing, following next_cursor (asserts the walk terminates). */
export async function listAll(h: Harness, url: string, as: As = 'viewer'): Promise<Json[]> {
  const out: Json[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const sep = url.includes('?') ? '&' : '?';
    const r = await h.call('GET', cursor ? `${url}${sep}cursor=${encodeURIComponent(cursor)}` : url, { as });
    assert.equal(r.status, 200, r.text);
    out.push(...(r.body.data as Json[]));
    cursor = r.body.next_cursor as string | undefined;
    if (!cursor) return out;
  }
  assert.fail(`pagination of ${url} did not end`);
}

/** Runs `fn` against a fresh harness, then checks that no secret leaked, and closes it. */
export async function withHarness(fn: (h: Harness) => Promise<void>, opts: HarnessOptions = {}): Promise<void> {
  const h = await createHarness(opts);
  try {
    await fn(h);
    // Sweep what the store kept (audit before/after, credentials, users, the config document)
    // through the API too, so that a secret persisted anywhere readable would be caught.
    for (const url of ['/admin/audit?limit=1000', '/admin/credentials?limit=1000', '/admin/users?limit=1000', '/admin/config', '/admin/config?format=yaml']) await h.call('GET', url);
    h.assertNoLeaks();
  } finally {
    await h.close();
  }
}

/** The store's config revision, as `GET /admin/config` reports it. */
export async function revision(h: Harness): Promise<number> {
  const r = await h.call('GET', '/admin/config', { as: 'viewer' });
  assert.equal(r.status, 200, r.text);
  const value = Number(r.headers['x-config-revision']);
  assert.ok(Number.isInteger(value), 'x-config-revision');
  return value;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** `actual` has every field of `expected` (recursively; arrays element by element, same length). Defaults may add more. */
export function assertSubset(actual: unknown, expected: unknown, path = ''): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path || '/'}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${path || '/'}: length`);
    expected.forEach((e, i) => assertSubset(actual[i], e, `${path}/${i}`));
  } else if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${path || '/'}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [k, v] of Object.entries(expected)) assertSubset((actual as Json)[k], v, `${path}/${k}`);
  } else {
    assert.deepEqual(actual, expected, `${path || '/'}`);
  }
}
