// Starts a Portcullis node: the admin role and the gateway role (in this process or in cluster
// workers), the active health checker, config reloads (file change, SIGHUP) and graceful
// shutdown. `portcullis start` and the integration tests both run through here.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/config/errors.ts';
import { loadConfigDocument } from '../core/snapshot/check.ts';
import type { Config, ServiceConfig } from '../core/config/schema.ts';
import { createAdminServer, type ReadinessReport } from '../admin/server.ts';
import { ClusterGateway } from '../gateway/cluster.ts';
import { watchConfigFile } from '../gateway/config-watch.ts';
import { ActiveHealthChecker } from '../gateway/health/active.ts';
import { HealthRegistry, targetKey } from '../gateway/health/registry.ts';
import { InProcessGateway } from '../gateway/in-process.ts';
import type { GatewayRole } from '../gateway/role.ts';
import { targetLabel } from '../gateway/upstream/target.ts';
import { BUNDLED_CATALOG } from '../plugins/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import { collectProcessMetrics, configReloads, controlRegistry, targetHealth } from '../telemetry/metrics.ts';

export const ROLES = ['gateway', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface PlatformOptions {
  configFile: string;
  port: number;
  host: string;
  adminPort: number;
  adminHost: string;
  workers: number;
  roles: readonly Role[];
  watch: boolean;
  logger: Logger;
}

export interface Platform {
  readonly proxyPort: number;
  readonly adminPort: number;
  reload(): Promise<boolean>;
  shutdown(): Promise<void>;
}

export class PlatformError extends Error {}

function readConfig(file: string): { config: Config; version: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PlatformError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const { config, snapshot } = loadConfigDocument(text, BUNDLED_CATALOG);
  return { config, version: snapshot.version };
}

export async function startPlatform(opts: PlatformOptions): Promise<Platform> {
  const { logger } = opts;
  collectProcessMetrics();
  let { config, version } = readConfig(opts.configFile);
  let status: ReadinessReport['status'] = 'starting';
  let lastReload: ReadinessReport['last_reload'];

  const health = new HealthRegistry();
  const gateway: GatewayRole | undefined = !opts.roles.includes('gateway') ? undefined
    : opts.workers <= 1
      ? new InProcessGateway({ logger, catalog: BUNDLED_CATALOG, health, port: opts.port, host: opts.host })
      : new ClusterGateway({ logger, health, port: opts.port, host: opts.host, workers: opts.workers });
  const checker = new ActiveHealthChecker(health, logger);
  health.onChange((key, healthy) => {
    const [service, origin] = key.split('|') as [string, string];
    targetHealth.labels(service, targetLabel(new URL(origin))).set(healthy ? 1 : 0);
    gateway?.setTargetHealth(key, healthy);
  });

  // One gauge series per current target, from what the registry knows; removed targets are
  // forgotten (the in-process gateway prunes the same registry; in cluster mode only we do).
  const publishTargetHealth = (services: readonly ServiceConfig[]) => {
    const keys = new Set<string>();
    const now = Date.now();
    targetHealth.reset();
    for (const s of services) {
      for (const t of s.targets) {
        const url = new URL(t.url);
        const key = targetKey(s.name, url.origin);
        keys.add(key);
        targetHealth.labels(s.name, targetLabel(url)).set(health.isHealthy(health.get(key), now) ? 1 : 0);
      }
    }
    health.retainOnly(keys);
  };

  const readiness = (): ReadinessReport => {
    const versions = gateway?.versions() ?? [];
    return {
      ready: status === 'ready' && versions.every((v) => v === version),
      status,
      config_version: version,
      gateway_versions: versions,
      last_reload: lastReload,
    };
  };
  const metrics = async () => {
    const [data, control] = await Promise.all([gateway ? gateway.metrics() : Promise.resolve(''), controlRegistry.metrics()]);
    return `${data}\n${control}`;
  };

  const admin = opts.roles.includes('admin') ? createAdminServer({ logger, readiness, metrics }) : undefined;
  let adminPort = 0;
  if (admin) {
    try {
      await admin.listen({ port: opts.adminPort, host: opts.adminHost });
    } catch (err) {
      throw new PlatformError(listenError(err, opts.adminPort, 'admin'));
    }
    adminPort = (admin.server.address() as { port: number }).port;
  }
  if (gateway) {
    try {
      await gateway.start(config);
    } catch (err) {
      await admin?.close();
      throw new PlatformError(listenError(err, opts.port, 'proxy'));
    }
  }
  checker.configure(config.services);
  publishTargetHealth(config.services);
  status = 'ready';

  // Reloads are chained, never concurrent: a change during a reload is picked up by the next one.
  let reloadChain: Promise<boolean> = Promise.resolve(true);
  const reloadOnce = async (): Promise<boolean> => {
    try {
      const { config: next, version: nextVersion } = readConfig(opts.configFile);
      if (nextVersion === version) return true;
      if (gateway) await gateway.apply(next);
      checker.configure(next.services);
      publishTargetHealth(next.services);
      config = next;
      version = nextVersion;
      lastReload = { at: new Date().toISOString(), ok: true };
      configReloads.labels('ok').inc();
      logger.info({ config_version: version }, 'config reloaded');
      return true;
    } catch (err) {
      const message = err instanceof ConfigError || err instanceof PlatformError ? err.message : String((err as Error)?.message ?? err);
      lastReload = { at: new Date().toISOString(), ok: false, error: message };
      configReloads.labels('error').inc();
      logger.error({ config_file: opts.configFile, problems: message.split('\n') }, 'config rejected; still serving the previous one');
      return false;
    }
  };
  const reload = (): Promise<boolean> => {
    reloadChain = reloadChain.then(reloadOnce, reloadOnce);
    return reloadChain;
  };
  const stopWatching = opts.watch ? watchConfigFile(opts.configFile, () => void reload()) : () => undefined;

  let shuttingDown: Promise<void> | undefined;
  const shutdown = () => {
    shuttingDown ??= (async () => {
      status = 'draining';
      stopWatching();
      logger.info({}, 'draining: finishing in-flight requests');
      await gateway?.drain(config.gateway.drain_timeout_ms);
      await checker.stop();
      await admin?.close();
      logger.info({}, 'stopped');
    })();
    return shuttingDown;
  };

  return { proxyPort: gateway?.port ?? 0, adminPort, reload, shutdown };
}

function listenError(err: unknown, port: number, what: string): string {
  const e = err as NodeJS.ErrnoException;
  const text = e?.message ?? String(err);
  if (e?.code === 'EADDRINUSE' || text.includes('already in use')) return `the ${what} port ${port} is already in use`;
  if (e?.code === 'EACCES') return `no permission to listen on the ${what} port ${port}`;
  return `cannot start the ${what} listener: ${text}`;
}
