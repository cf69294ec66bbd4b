// The operation table exactly as a running node mounts it, over a throwaway in-memory store: what
// the checked-in OpenAPI document is generated from.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ephemeralMasterKey, masterKeyFingerprint } from '../core/identity/sealed.ts';
import { BUNDLED_CATALOG } from '../plugins/index.ts';
import { openStore } from '../store/open.ts';
import { AdminAuth } from './auth.ts';
import { ConfigService } from './config-service.ts';
import { adminOperations } from './api/index.ts';
import { importOperations } from './api/import.ts';
import { graphqlOperations } from './api/graphql.ts';
import { circuitBreakerOperations } from './api/circuit-breakers.ts';
import { cacheOperations } from './api/cache.ts';
import type { Operation } from './api/types.ts';
import { webhookOperations } from './api/webhooks.ts';
import { WebhookService } from '../webhooks/service.ts';
import { compileSsrfPolicy } from '../webhooks/ssrf.ts';

// The webhook operations need a service; its key and SSRF policy play no part in the document.
function webhookService(store: ConstructorParameters<typeof WebhookService>[0]): WebhookService {
  const key = randomBytes(32);
  return new WebhookService(store, { key, fingerprint: masterKeyFingerprint(key) }, compileSsrfPolicy({ allow: [] }));
}

export async function documentOperations(): Promise<{ operations: Operation[]; version: string }> {
  const store = await openStore('sqlite::memory:');
  const service = new ConfigService(store, BUNDLED_CATALOG, ephemeralMasterKey());
  const operations = adminOperations({ service, auth: new AdminAuth(store), readOnly: false }, [...importOperations(service), ...graphqlOperations(service), ...circuitBreakerOperations(() => Promise.resolve([])), ...cacheOperations(undefined), ...webhookOperations(webhookService(store))]);
  await store.close();
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return { operations, version: pkg.version };
}
