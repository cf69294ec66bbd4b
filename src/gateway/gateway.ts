// One gateway process: the listener, the current runtime (snapshot + pools + balancers), hot
// swaps and graceful drain. Runs in a cluster worker, or in the main process with --workers 1.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../core/config/schema.ts';
import type { PluginCatalog } from '../core/pipeline/compile.ts';
import { compileSnapshot } from '../core/snapshot/compile.ts';
import type { Logger } from '../telemetry/logger.ts';
import { configInfo, trackInFlight } from '../telemetry/metrics.ts';
import { HealthRegistry } from './health/registry.ts';
import { retainResilience, watchResilience } from './resilience.ts';
import { buildRuntime } from './runtime.ts';
import { applyServerSettings, createProxyListener } from './server.ts';
import type { FastLaneServer } from './http1/server.ts';
import type { GatewayState } from './state.ts';
import type { AuthServerControl } from './auth-server/endpoints.ts';
import { PoolRegistry } from './upstream/pools.ts';
import { createUpstreamFetch } from './upstream/side-request.ts';
import { closeWebSockets } from './websocket/relays.ts';

export interface GatewayOptions {
  readonly logger: Logger;
  readonly accessLog?: Logger;
  readonly catalog: PluginCatalog;
  /** Shared with the active health checker when both run in this process. */
  readonly health?: HealthRegistry;
  /** Records the OAuth2 server's revocations (the supervisor's store). */
  readonly authControl?: AuthServerControl;
}

export class Gateway {
  readonly state: GatewayState;
  private readonly pools = new PoolRegistry();
  private readonly catalog: PluginCatalog;
  private server: Server | FastLaneServer | undefined;

  constructor(config: Config, opts: GatewayOptions) {
    this.catalog = opts.catalog;
    const health = opts.health ?? new HealthRegistry();
    const snapshot = compileSnapshot(config, this.catalog);
    this.state = {
      runtime: buildRuntime(snapshot, this.pools, health),
      logger: opts.logger,
      accessLog: opts.accessLog ?? opts.logger,
      health,
      authControl: opts.authControl,
      upstreamFetch: createUpstreamFetch(() => this.state),
      draining: false,
      inFlight: 0,
    };
    configInfo.labels(snapshot.version).set(1);
    trackInFlight(() => this.state.inFlight);
    watchResilience(opts.logger);
    retainResilience(this.state.runtime);
  }

  get version(): string {
    return this.state.runtime.snapshot.version;
  }

  /** Compiles and swaps in a new config. Throws ConfigError (and keeps the old one) if it is bad. */
  apply(config: Config): string {
    const previous = this.state.runtime;
    const snapshot = compileSnapshot(config, this.catalog);
    const runtime = buildRuntime(snapshot, this.pools, this.state.health);
    // The swap: requests in flight keep the runtime they started with.
    this.state.runtime = runtime;
    if (this.server) applyServerSettings(this.server, snapshot.settings);
    this.pools.retainOnly(runtime.poolKeys);
    this.state.health.retainOnly(runtime.healthKeys);
    retainResilience(runtime);
    if (previous.snapshot.version !== snapshot.version) {
      configInfo.remove(previous.snapshot.version);
      configInfo.labels(snapshot.version).set(1);
    }
    return snapshot.version;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    const server = createProxyListener(this.state, this.state.runtime.snapshot.settings);
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /**
   * Graceful shutdown: stop accepting, close idle keep-alive connections, let in-flight requests
   * finish (their connections close after the response), then close what is left.
   */
  async drain(timeoutMs: number): Promise<{ completed: boolean; inFlight: number }> {
    this.state.draining = true;
    const server = this.server;
    if (server) {
      server.close();
      server.closeIdleConnections();
    }
    // Proxied WebSocket connections get 1001 on both sides now, in parallel with the HTTP drain.
    const webSockets = closeWebSockets(this.state, timeoutMs);
    const until = Date.now() + timeoutMs;
    while (this.state.inFlight > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      server?.closeIdleConnections();
    }
    await webSockets;
    const left = this.state.inFlight;
    server?.closeAllConnections();
    await this.pools.closeAll();
    return { completed: left === 0, inFlight: left };
  }

  async destroy(): Promise<void> {
    void closeWebSockets(this.state, 0);
    this.server?.closeAllConnections();
    this.server?.close();
    await this.pools.destroyAll();
  }
}
