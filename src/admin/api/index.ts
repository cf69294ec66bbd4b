// Every admin API operation, in the order the OpenAPI document lists them.
import type { AdminAuth } from '../auth.ts';
import type { ConfigService } from '../config-service.ts';
import { configOperations } from './config.ts';
import { credentialOperations } from './credentials.ts';
import { entityOperations } from './entities.ts';
import type { Operation } from './types.ts';
import { userOperations } from './users.ts';

export interface ControlPlane {
  readonly service: ConfigService;
  readonly auth: AdminAuth;
  /** DB-less mode: the store mirrors the config file; writes are refused. */
  readonly readOnly: boolean;
}

export function adminOperations(control: ControlPlane, extra: readonly Operation[] = []): Operation[] {
  return [
    ...entityOperations(control.service),
    ...credentialOperations(control.service),
    ...configOperations(control.service),
    ...extra,
    ...userOperations(control.service.store, control.auth),
  ];
}
