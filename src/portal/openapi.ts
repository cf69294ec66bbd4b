// The portal API's OpenAPI 3.1 document: the admin API's generator (src/admin/openapi.ts) with the
// portal's profile (cookie sessions, CSRF). docs/portal-openapi.json is this output, checked in; a
// test fails when it drifts. Regenerate: npx node src/portal/openapi.ts --write
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { buildOpenApi, openApiText, type OpenApiProfile } from '../admin/openapi.ts';
import type { AnyOperation } from '../admin/api/types.ts';
import { ConfigService } from '../admin/config-service.ts';
import { BUNDLED_CATALOG } from '../plugins/index.ts';
import { openStore } from '../store/open.ts';
import pino from 'pino';
import { createPortal, type Portal } from './index.ts';
import { portalSettings } from './settings.ts';
import { ephemeralMasterKey, masterKeyFingerprint } from '../core/identity/sealed.ts';
import { WebhookService } from '../webhooks/service.ts';
import { compileSsrfPolicy } from '../webhooks/ssrf.ts';

export const PORTAL_OPENAPI_FILE = new URL('../../docs/portal-openapi.json', import.meta.url);

export const PORTAL_PROFILE: OpenApiProfile = {
  title: 'Portcullis portal API',
  description: 'The developer portal: sign up and log in, teams, applications with their subscriptions and keys, the API catalog. Sessions are cookies; every POST, PUT, PATCH and DELETE of a logged-in session sends the session’s CSRF token (from GET /portal/api/session) as X-CSRF-Token. Errors are RFC 9457 problem documents.',
  server: { url: 'http://127.0.0.1:8081', description: 'The admin listener (default), which serves the portal API under /portal/api' },
  securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'portcullis_session', description: 'The session cookie set by POST /portal/api/session (HttpOnly, SameSite=Lax, Path=/portal/api).' } },
  secured: () => ({ security: [{ session: [] }], extensions: { 'x-csrf-token-required': 'on unsafe methods' } }),
  authProblems: ['unauthorized', 'csrf-failed'],
  writeProblems: ['csrf-failed', 'store-unavailable'],
  conditionalWrites: false,
};

export const buildPortalOpenApi = (operations: readonly AnyOperation[], version: string) => buildOpenApi(operations, version, PORTAL_PROFILE);
export const portalOpenApiText = (operations: readonly AnyOperation[], version: string) => openApiText(operations, version, PORTAL_PROFILE);

/** What the admin listener mounts: the operations, their gate, the document. */
export const portalMount = (portal: Portal, version: string) => ({ operations: portal.operations, gate: portal.gate, document: portalOpenApiText(portal.operations, version) });

/** The operation table as a node mounts it, over a throwaway store: what the document is generated from. */
export async function portalDocumentOperations(): Promise<{ operations: AnyOperation[]; version: string }> {
  const store = await openStore('sqlite::memory:');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const key = randomBytes(32);
  const webhooks = new WebhookService(store, { key, fingerprint: masterKeyFingerprint(key) }, compileSsrfPolicy({ allow: [] }));
  const portal = createPortal({ store, service: new ConfigService(store, BUNDLED_CATALOG, ephemeralMasterKey()), logger: pino({ level: 'silent' }), settings: portalSettings({}), webhooks });
  await store.close();
  return { operations: [...portal.operations], version: pkg.version };
}

if (import.meta.main && process.argv.includes('--write')) {
  const { operations, version } = await portalDocumentOperations();
  writeFileSync(PORTAL_OPENAPI_FILE, portalOpenApiText(operations, version));
  console.log(`wrote ${PORTAL_OPENAPI_FILE.pathname}`);
}
