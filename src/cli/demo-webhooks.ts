// The demo's webhook setup, through the admin API like any client would do it: the carrier's event
// types and the demo shop's application (examples/carrier/webhooks.yaml), and an editor token
// for the carrier to publish with. Idempotent: what exists already is left as it is.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseYaml } from '../core/config/load.ts';

export const DEMO_WEBHOOKS = fileURLToPath(new URL('../../examples/carrier/webhooks.yaml', import.meta.url));
/** The admin API user the carrier publishes as (editor: it may publish, not manage users). */
export const CARRIER_USER = 'carrier';

interface DemoWebhooksFile {
  application: { name: string };
  event_types: Array<{ name: string }>;
}

export class DemoSetupError extends Error {}

interface Answer { status: number; body: Record<string, unknown> }

function adminClient(adminUrl: string, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(adminUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text === '' ? {} : JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: the status says enough
    }
    return { status: res.status, body: parsed };
  };
}

/** Created (201) or already there (409); anything else is a setup failure. */
function createdOrExists(what: string, r: Answer): boolean {
  if (r.status === 201) return true;
  if (r.status === 409) return false;
  throw new DemoSetupError(`creating ${what}: the admin API answered ${r.status}${typeof r.body.detail === 'string' ? ` (${r.body.detail})` : ''}`);
}

/**
 * Creates the demo's event types and the shop's application where missing; returns the names of
 * what it created. An event type that exists is kept as it is, even if the file changed since.
 */
export async function ensureDemoWebhooks(adminUrl: string, adminToken: string, file = DEMO_WEBHOOKS): Promise<string[]> {
  const spec = parseYaml(readFileSync(file, 'utf8')) as DemoWebhooksFile;
  const call = adminClient(adminUrl, adminToken);
  const created: string[] = [];
  for (const type of spec.event_types) {
    if (createdOrExists(`event type ${type.name}`, await call('POST', '/admin/webhooks/event-types', type))) created.push(type.name);
  }
  if (createdOrExists(`application ${spec.application.name}`, await call('POST', '/admin/webhooks/applications', spec.application))) created.push(spec.application.name);
  return created;
}

/**
 * The carrier's token for publishing: kept (0600) in `file` and reused while it still works; else a
 * new one for the `carrier` user (created with the editor role on the first start).
 */
export async function carrierEventsToken(adminUrl: string, adminToken: string, file: string): Promise<string> {
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    const me = await adminClient(adminUrl, kept)('GET', '/admin/me');
    if (me.status === 200 && me.body.user === CARRIER_USER) return kept;
  }
  const call = adminClient(adminUrl, adminToken);
  createdOrExists(`admin user ${CARRIER_USER}`, await call('POST', '/admin/users', { name: CARRIER_USER, role: 'editor' }));
  const issued = await call('POST', `/admin/users/${CARRIER_USER}/tokens`, { name: 'demo carrier: publishes shipment events' });
  if (issued.status !== 201 || typeof issued.body.token !== 'string') throw new DemoSetupError(`issuing the carrier's token: the admin API answered ${issued.status}`);
  writeFileSync(file, `${issued.body.token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return issued.body.token;
}
