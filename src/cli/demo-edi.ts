// The demo's EDI piece, for stores seeded before it existed: the carrier-asn route (key-auth, edi,
// request-transformer) and the demo shop's trading partner, as examples/carrier/portcullis.yaml
// has them, created through the admin API when missing. Idempotent.
import { readFileSync } from 'node:fs';
import { parseYaml } from '../core/config/load.ts';
import { fileURLToPath } from 'node:url';

const DEMO_CONFIG = fileURLToPath(new URL('../../examples/carrier/portcullis.yaml', import.meta.url));

const ROUTE = 'carrier-asn';

interface DemoDoc {
  routes: Array<{ name: string; plugins?: Array<Record<string, unknown>> } & Record<string, unknown>>;
  trading_partners: Array<{ name: string } & Record<string, unknown>>;
}

/** Creates what is missing; returns the names created. Throws when the admin API refuses. */
export async function ensureDemoEdi(adminUrl: string, adminToken: string, file = DEMO_CONFIG): Promise<string[]> {
  const doc = parseYaml(readFileSync(file, 'utf8')) as DemoDoc;
  const call = async (method: string, path: string, body?: unknown): Promise<number> => {
    const res = await fetch(adminUrl + path, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    await res.body?.cancel();
    return res.status;
  };
  const created: string[] = [];
  const route = doc.routes.find((r) => r.name === ROUTE);
  if (route !== undefined && await call('GET', `/admin/routes/${ROUTE}`) === 404) {
    const { plugins = [], ...fields } = route;
    const status = await call('POST', '/admin/routes', fields);
    if (status !== 201) throw new Error(`creating the ${ROUTE} route: admin API answered ${status}`);
    for (const p of plugins) {
      const s = await call('POST', '/admin/plugins', { ...p, route: ROUTE });
      if (s !== 201 && s !== 409) throw new Error(`attaching ${String(p.name)} to ${ROUTE}: admin API answered ${s}`);
    }
    created.push(`route ${ROUTE}`);
  }
  for (const partner of doc.trading_partners) {
    const status = await call('POST', '/admin/trading_partners', partner);
    if (status === 201) created.push(`trading partner ${partner.name}`);
    else if (status !== 409) throw new Error(`creating trading partner ${partner.name}: admin API answered ${status}`);
  }
  return created;
}
