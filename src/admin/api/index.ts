// Every admin API operation, in the order the OpenAPI document lists them.
import type { AdminAuth } from '../auth.ts';
import type { ConfigService } from '../config-service.ts';
import { configOperations } from './config.ts';
import { credentialOperations } from './credentials.ts';
import { entityOperations } from './entities.ts';
import { oauth2Operations } from './oauth2.ts';
import { quotaOperations } from './quotas.ts';
import { analyticsOperations } from './analytics.ts';
import { invoiceOperations } from './invoices.ts';
import { brandingOperations } from './branding.ts';
import type { SigningKeys } from '../signing-keys.ts';
import type { Operation } from './types.ts';
import { userOperations } from './users.ts';
import { pluginSchemaOperations } from './plugin-schemas.ts';
import { sessionOperations } from '../session.ts';

export interface ControlPlane {
  readonly service: ConfigService;
  readonly auth: AdminAuth;
  /** DB-less mode: the store mirrors the config file; writes are refused. */
  readonly readOnly: boolean;
  /** The OAuth2 server's signing keys (store mode only). */
  readonly signingKeys?: SigningKeys;
}

export function adminOperations(control: ControlPlane, extra: readonly Operation[] = []): Operation[] {
  return [
    ...entityOperations(control.service),
    ...credentialOperations(control.service),
    ...configOperations(control.service),
    ...oauth2Operations(control.service, control.signingKeys),
    ...quotaOperations(control.service),
    ...analyticsOperations(control.service.store),
    ...invoiceOperations(control.service.store),
    ...brandingOperations(control.service.store),
    ...extra,
    ...userOperations(control.service.store, control.auth),
    ...sessionOperations(control.auth),
    ...pluginSchemaOperations(),
  ];
}
