import type { Logger } from '../telemetry/logger.ts';
import type { HealthRegistry } from './health/registry.ts';
import type { GatewayRuntime } from './runtime.ts';
import type { AuthServerControl } from './auth-server/endpoints.ts';
import type { UpstreamFetch } from '../core/pipeline/context.ts';

/** What every request of one gateway process shares. `runtime` is swapped whole on reload. */
export interface GatewayState {
  runtime: GatewayRuntime;
  readonly logger: Logger;
  readonly accessLog: Logger;
  readonly health: HealthRegistry;
  /** Writes what the built-in OAuth2 server must record (revocations); absent where no store is. */
  readonly authControl: AuthServerControl | undefined;
  /** Plugins' background requests to a route's upstream (ctx.upstreamFetch). */
  readonly upstreamFetch: UpstreamFetch;
  draining: boolean;
  inFlight: number;
}
