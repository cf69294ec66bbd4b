// The operation table exactly as a running node mounts it, over a throwaway in-memory store: what
// the checked-in OpenAPI document is generated from.
import { readFileSync } from 'node:fs';
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

export async function documentOperations(): Promise<{ operations: Operation[]; version: string }> {
  const store = await openStore('sqlite::memory:');
  const service = new ConfigService(store, BUNDLED_CATALOG);
  const operations = adminOperations({ service, auth: new AdminAuth(store), readOnly: false }, [...importOperations(service), ...graphqlOperations(service), ...circuitBreakerOperations(() => Promise.resolve([])), ...cacheOperations(undefined)]);
  await store.close();
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return { operations, version: pkg.version };
}
