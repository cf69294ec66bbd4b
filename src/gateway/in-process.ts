// The gateway role in the supervisor's own process (--workers 1): no IPC on any path.
import type { Config } from '../core/config/schema.ts';
import type { PluginCatalog } from '../core/pipeline/compile.ts';
import type { Logger } from '../telemetry/logger.ts';
import { registry } from '../telemetry/metrics.ts';
import { Gateway } from './gateway.ts';
import type { HealthRegistry } from './health/registry.ts';
import { breakerReport } from './resilience.ts';
import type { GatewayRole, WorkerBreakers } from './role.ts';
import type { AuthServerControl } from './auth-server/endpoints.ts';
import { purgeMemoryStores, relayMemoryInvalidations } from '../store/cache/memory.ts';
import type { PurgeRequest } from '../store/cache/ports.ts';

interface InProcessOptions {
  logger: Logger;
  catalog: PluginCatalog;
  health: HealthRegistry;
  port: number;
  host: string;
  authControl?: AuthServerControl;
  /** A memory cache invalidated a key after an unsafe request (for the other nodes). */
  onInvalidate?: (key: string) => void;
}

export class InProcessGateway implements GatewayRole {
  private gateway: Gateway | undefined;
  private readonly opts: InProcessOptions;
  port = 0;

  constructor(opts: InProcessOptions) {
    this.opts = opts;
    if (opts.onInvalidate !== undefined) relayMemoryInvalidations(opts.onInvalidate);
  }

  async start(config: Config): Promise<void> {
    this.gateway = new Gateway(config, { logger: this.opts.logger, catalog: this.opts.catalog, health: this.opts.health, ...(this.opts.authControl ? { authControl: this.opts.authControl } : {}) });
    const addr = await this.gateway.listen(this.opts.port, this.opts.host);
    this.port = addr.port;
  }

  async apply(config: Config): Promise<string> {
    return this.gateway!.apply(config);
  }

  versions(): string[] {
    return this.gateway ? [this.gateway.version] : [];
  }

  metrics(): Promise<string> {
    return registry.metrics();
  }

  breakers(): Promise<WorkerBreakers[]> {
    return Promise.resolve(this.gateway ? [{ worker: 0, breakers: breakerReport() }] : []);
  }

  setTargetHealth(): void {
    // The gateway reads the same HealthRegistry the checker writes: nothing to forward.
  }

  purgeCache(request: PurgeRequest): Promise<number> {
    return purgeMemoryStores(request);
  }

  async drain(timeoutMs: number): Promise<void> {
    if (!this.gateway) return;
    const { completed, inFlight } = await this.gateway.drain(timeoutMs);
    if (!completed) this.opts.logger.warn({ in_flight: inFlight }, 'drain timed out; closed remaining connections');
  }
}
