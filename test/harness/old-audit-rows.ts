// Audit rows as Portcullis wrote them before the audit log redacted secrets: plugin entities and
// gateway settings with their secrets in clear, planted straight into a store's database, and what
// each row must read after the scrub (src/admin/audit-scrub.ts).
import { randomBytes } from 'node:crypto';
import { uuidv7 } from '../../src/store/ids.ts';
import { rawSql } from './raw-sql.ts';

const MARKER = '(sealed)';
const PEM = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----';

export interface PlantedRow {
  readonly id: string;
  readonly entity: string;
  readonly entityKey: string;
  readonly before: string | null;
  readonly after: string | null;
  /** The row's snapshots once scrubbed (the same as planted when it holds no secret in clear). */
  readonly expected: { readonly before: string | null; readonly after: string | null };
}

export interface Planted {
  readonly rows: PlantedRow[];
  /** Every secret planted in clear: none may be left in the audit log. */
  readonly secrets: string[];
  /** Rows that hold a secret in clear (what a scrub redacts). */
  readonly withSecrets: number;
}

const json = (v: unknown) => (v === null ? null : JSON.stringify(v));

/** Plants one set of old rows (`copies` times over, for paging) and says what they must become. */
export async function plantOldAuditRows(db: string, copies = 1): Promise<Planted> {
  const rows: PlantedRow[] = [];
  const secrets: string[] = [];
  const fresh = (prefix: string) => {
    const s = `${prefix}${randomBytes(18).toString('base64url')}`;
    secrets.push(s);
    return s;
  };
  const add = (entity: string, key: string, before: unknown, after: unknown, expected: { before: unknown; after: unknown } = { before, after }) => {
    rows.push({ id: uuidv7(), entity, entityKey: key, before: json(before), after: json(after), expected: { before: json(expected.before), after: json(expected.after) } });
  };
  for (let i = 0; i < copies; i++) {
    const hook = (secretsList: string[]) => ({ name: 'webhook-verify', enabled: true, route: 'hooks', config: { secrets: secretsList, tolerance_seconds: 300 }, tags: ['edge'] });
    const s1 = fresh('whsec_');
    const s2 = fresh('whsec_');
    add('plugin', 'webhook-verify@route:hooks', null, hook([s1]), { before: null, after: hook([MARKER]) });
    add('plugin', 'webhook-verify@route:hooks', hook([s1]), hook([s2, s1]), { before: hook([MARKER]), after: hook([MARKER, MARKER]) });
    const jwt = (hs: string) => ({ name: 'jwt', enabled: true, config: { issuers: [{ issuer: 'https://issuer.example', algorithms: ['HS256', 'ES256'], keys: [hs, PEM] }] } });
    add('plugin', 'jwt@global', jwt(fresh('hs-')), null, { before: jwt(MARKER), after: null });
    const introspection = (cs: string) => ({ name: 'oauth2-introspection', enabled: true, service: 'billing', config: { introspection_url: 'https://idp.example/introspect', client_id: 'gateway', client_secret: cs } });
    add('plugin', 'oauth2-introspection@service:billing', null, introspection(fresh('cs-')), { before: null, after: introspection(MARKER) });
    const gateway = (url: string) => ({ max_body_bytes: 1024, access_log: false, redis: { url, command_timeout_ms: 100, key_prefix: 'portcullis:' } });
    const p1 = fresh('pw');
    const p2 = fresh('pw');
    const p3 = fresh('pw');
    add('settings', 'gateway', gateway(`redis://app:${p1}@redis-1.internal:6379/0`), gateway(`rediss://:${p2}@redis-2.internal:6380/1?password=${p3}`),
      { before: gateway(`redis://app:${MARKER}@redis-1.internal:6379/0`), after: gateway(`rediss://:${MARKER}@redis-2.internal:6380/1?password=${MARKER}`) });
    // Upstream credentials a request-transformer adds (secrets since scrub version 2).
    const transformer = (auth: string, key: string) => ({ name: 'request-transformer', enabled: true, route: 'hooks', config: { add: { headers: { Authorization: auth, 'X-Gateway': 'portcullis' }, querystring: { api_key: key, format: 'json' } } } });
    add('plugin', 'request-transformer@route:hooks', null, transformer(`Bearer ${fresh('tok-')}`, fresh('key-')), { before: null, after: transformer(MARKER, MARKER) });
    // Rows that hold no secret in clear stay exactly as they are.
    add('plugin', 'cors@global', null, { name: 'cors', enabled: true, config: { origins: ['https://app.example'] } });
    add('plugin', 'webhook-verify@route:done', null, hook([MARKER]));
    add('plugin', 'gone@global', null, { name: 'a-plugin-this-version-does-not-know', config: { secret: 'not-known-to-be-one' } });
    add('service', 'hooks', null, { name: 'hooks', secrets: 'a field of that name is only a secret where a schema marks it' });
    add('settings', 'gateway', null, gateway('redis://redis.internal:6379'));
  }
  for (const r of rows) {
    await rawSql(db, 'insert into audit_log (id, at, actor, action, entity, entity_id, entity_key, before, after, request_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [r.id, new Date().toISOString(), 'old-admin', r.before === null ? 'create' : r.after === null ? 'delete' : 'update', r.entity, null, r.entityKey, r.before, r.after, null]);
  }
  return { rows, secrets, withSecrets: 6 * copies };
}

/** The planted rows as stored now (id → snapshots). */
export async function storedSnapshots(db: string, planted: Planted): Promise<Map<string, { before: string | null; after: string | null }>> {
  const ids = new Set(planted.rows.map((r) => r.id));
  const all = await rawSql(db, 'select id, before, after from audit_log');
  return new Map(all.filter((r) => ids.has(String(r.id))).map((r) => [String(r.id), { before: r.before as string | null, after: r.after as string | null }]));
}

/** Every audit row's text, for searching it for secrets. */
export async function auditText(db: string): Promise<string> {
  return JSON.stringify(await rawSql(db, 'select * from audit_log'));
}
