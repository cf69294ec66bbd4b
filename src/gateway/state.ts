import type { Logger } from '../telemetry/logger.ts';
import type { HealthRegistry } from './health/registry.ts';
import type { GatewayRuntime } from './runtime.ts';

/** What every request of one gateway process shares. `runtime` is swapped whole on reload. */
export interface GatewayState {
  runtime: GatewayRuntime;
  readonly logger: Logger;
  readonly accessLog: Logger;
  readonly health: HealthRegistry;
  draining: boolean;
  inFlight: number;
}
