// Starts a Portcullis node: the admin role and the gateway role (in this process or in cluster
// workers), the active health checker, config reloads (file change, SIGHUP) and graceful
// shutdown. `portcullis start` and the integration tests both run through here.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/config/errors.ts';
import { parseYaml } from '../core/config/load.ts';
import type { ServiceConfig } from '../core/config/schema.ts';
import { adminOperations, type ControlPlane } from '../admin/api/index.ts';
import { importOperations } from '../admin/api/import.ts';
import { graphqlOperations } from '../admin/api/graphql.ts';
import { circuitBreakerOperations } from '../admin/api/circuit-breakers.ts';
import { cacheOperations, type CachePurger } from '../admin/api/cache.ts';
import { purgeRedis } from '../store/cache/redis.ts';
import { InvalidationAnnouncer } from '../store/cache/invalidation-announcer.ts';
import { redisConnection } from '../store/redis/connection.ts';
import { AdminAuth, bootstrapAdmin } from '../admin/auth.ts';
import { ConfigService } from '../admin/config-service.ts';
import { createAdminServer, type ReadinessReport } from '../admin/server.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/ports.ts';
import { ClusterGateway } from '../gateway/cluster.ts';
import { ActiveHealthChecker } from '../gateway/health/active.ts';
import { HealthRegistry, targetKey } from '../gateway/health/registry.ts';
import { InProcessGateway } from '../gateway/in-process.ts';
import type { GatewayRole } from '../gateway/role.ts';
import { targetLabel } from '../gateway/upstream/target.ts';
import { BUNDLED_CATALOG } from '../plugins/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import { collectProcessMetrics, configReloads, configRevision, controlRegistry, setStoreUpSource, targetHealth } from '../telemetry/metrics.ts';
import { describeListenError as listenError } from '../gateway/port-probe.ts';
import { FileSource, PlatformError, StoreSource, defaultStateDir, type ConfigSource } from './config-source.ts';

export { PlatformError };

import { ROLES, type Role } from './roles.ts';
import { loadMasterKey } from './master-key.ts';
import { recordRevocation } from '../admin/signing-keys.ts';
import type { AuthServerControl } from '../gateway/auth-server/endpoints.ts';
import { installLocalCounters } from '../store/counters/local.ts';
import { QuotaLedger } from '../store/quota/ledger.ts';
import { installControlNumbers, MemoryControlNumbers } from '../store/counters/control-numbers.ts';
import { StoreControlNumbers } from '../store/edi/sequences.ts';
import type { Config } from '../core/config/schema.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { ephemeralMasterKey, masterKeyFingerprint } from '../core/identity/sealed.ts';
import { webhookOperations } from '../admin/api/webhooks.ts';
import { WebhookService } from '../webhooks/service.ts';
import { webhookSettings, WebhookSettingsError } from '../webhooks/settings.ts';
import { compileSsrfPolicy } from '../webhooks/ssrf.ts';
import { ensurePlatformModel } from '../webhooks/relay.ts';
import { startWebhookRole, type WebhookRole } from '../webhooks/role.ts';
import { startUsageJob, type UsageJob } from '../telemetry/usage/rollup.ts';
import { usageSettings, UsageSettingsError, type UsageSettings } from '../telemetry/usage/settings.ts';
import { UsageWriter } from '../telemetry/usage/writer.ts';
import { localUsage } from '../telemetry/usage/recorder.ts';
import { createPortal, type Portal } from '../portal/index.ts';
import { portalMount } from '../portal/openapi.ts';
import { portalSettings, PortalSettingsError, type PortalSettings } from '../portal/settings.ts';
import { billingSettings, BillingSettingsError, providerFor, type BillingSettings } from '../portal/billing/settings.ts';
import { startBillingJob, type BillingJob } from '../portal/billing/invoicing.ts';

/** How often a node checks whether the OAuth2 server needs a new signing key. */
const KEY_MAINTENANCE_INTERVAL_MS = 60_000;

export { ROLES, type Role };

export interface PlatformOptions {
  /** DB-less mode: serve this file; the admin API reads but does not write. */
  configFile: string | undefined;
  /** Store URL (sqlite:PATH or postgres://…) when there is no config file. */
  db: string;
  /** Where the last-known-good snapshot is kept (default: beside the SQLite file, or ./data). */
  stateDir?: string;
  /** Applied to the store when it is empty (the demo's starting config). */
  seedFile?: string;
  /** The first admin token, instead of a generated one (PORTCULLIS_ADMIN_TOKEN). */
  adminToken?: string;
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
  /** The store (store mode only): the demo seeds its developer account there. */
  readonly store?: Store;
  reload(): Promise<boolean>;
  shutdown(): Promise<void>;
}

export async function startPlatform(opts: PlatformOptions): Promise<Platform> {
  const { logger } = opts;
  collectProcessMetrics();
  const stateDir = opts.stateDir ?? defaultStateDir(opts.db);
  const masterKey = opts.configFile === undefined ? loadMasterKey(stateDir) : undefined;
  const source: ConfigSource = opts.configFile !== undefined ? new FileSource(opts.configFile) : new StoreSource(opts.db, stateDir, logger, masterKey!);
  const hasAdmin = opts.roles.includes('admin');
  let hooks;
  try {
    hooks = webhookSettings();
    compileSsrfPolicy({ allow: hooks.allowNetworks });
  } catch (err) {
    throw new PlatformError(err instanceof WebhookSettingsError ? err.message : `PORTCULLIS_WEBHOOK_ALLOW_NETWORKS: ${(err as Error).message}`);
  }
  const webhookSettingsOfNode = hooks;
  let usageConf: UsageSettings;
  try {
    usageConf = usageSettings();
  } catch (err) {
    throw new PlatformError(err instanceof UsageSettingsError ? err.message : String(err));
  }
  let billingConf: BillingSettings;
  try {
    billingConf = billingSettings();
  } catch (err) {
    throw new PlatformError(err instanceof BillingSettingsError ? err.message : String(err));
  }
  let webhookRole: WebhookRole | undefined;
  let usageJob: UsageJob | undefined;
  let billingJob: BillingJob | undefined;
  let shutdownStarted = false;

  // The control plane: in store mode the store itself; in DB-less mode an in-memory mirror of the
  // file, so that the admin API reads the same way (writes answer 405).
  let control: ControlPlane | undefined;
  let mirror: Store | undefined;
  if (source instanceof StoreSource) {
    source.whenOpen(async () => {
      if (opts.seedFile !== undefined && await source.service.store.read().revision() === 0) {
        const result = await source.service.apply(parseYaml(readFileSync(opts.seedFile, 'utf8')), { dryRun: false, actor: { name: 'seed' } });
        logger.info({ file: opts.seedFile, changes: result.changes.length }, 'empty store seeded');
      }
      if (hasAdmin) await announceBootstrap(await bootstrapAdmin(source.store, new AdminAuth(source.store), opts.adminToken), logger);
      // The platform's event types and its application exist from the start, so the API owner can
      // subscribe to them before the first event.
      if (hasAdmin || opts.roles.includes('worker')) {
        // Not fatal: the relay ensures the same before every batch.
        await source.store.write((tx) => ensurePlatformModel(tx)).catch((err: Error) => logger.warn({ error: err.message }, 'could not register the platform event types yet; the worker retries'));
      }
      if (opts.roles.includes('worker') && !shutdownStarted) webhookRole = startWebhookRole({ store: source.store, masterKey: masterKey!, settings: webhookSettingsOfNode, logger });
      // Usage roll-ups and retention: a worker job beside webhook delivery.
      if (opts.roles.includes('worker') && !shutdownStarted) usageJob = startUsageJob({ store: source.store, retention: usageConf.retention, intervalMs: usageConf.rollupMs, logger });
      // Invoices: finalises each finished billing period once (docs/billing.md), beside the roll-ups it waits for.
      if (opts.roles.includes('worker') && !shutdownStarted) billingJob = startBillingJob({ store: source.store, provider: providerFor(billingConf), graceMs: billingConf.graceMs, everyMs: billingConf.everyMs, logger });
    });
    if (!await source.open()) source.retryOpen();
    control = { service: source.service, auth: new AdminAuth(source.store), readOnly: false, signingKeys: source.signingKeys };
  } else if (hasAdmin) {
    if (opts.roles.includes('worker')) logger.info({}, 'webhooks need the store: in DB-less mode the worker role delivers nothing (run with --db)');
    mirror = await openStore('sqlite::memory:');
    // The mirror lives in memory only: a key of its own seals its copy of the file's secrets.
    control = { service: new ConfigService(mirror, BUNDLED_CATALOG, ephemeralMasterKey()), auth: new AdminAuth(mirror), readOnly: true };
    await announceBootstrap(await bootstrapAdmin(mirror, control.auth, opts.adminToken), logger, true);
  }
  const mirrorConfig = async (config: unknown) => {
    if (control && mirror) await control.service.apply(config, { dryRun: false, actor: { name: 'config-file' } });
  };

  let loaded;
  try {
    loaded = await source.load();
  } catch (err) {
    await source.close();
    await mirror?.close();
    throw err;
  }
  let { config, version } = loaded;
  let revision = loaded.revision;
  await mirrorConfig(config);
  configRevision.set(revision ?? 0);
  setStoreUpSource(source.kind === 'store' ? () => source.storeHealth()?.up : undefined);
  let status: ReadinessReport['status'] = 'starting';
  let lastReload: ReadinessReport['last_reload'];

  const health = new HealthRegistry();
  // Usage metering: gateway processes aggregate calls; this process writes them to the store.
  const usageWriter = opts.roles.includes('gateway') ? new UsageWriter({
    store: source instanceof StoreSource ? source.store : undefined, logger, flushMs: usageConf.flushMs, maxRows: usageConf.writerMaxRows,
    local: () => localUsage().take().rows,
  }) : undefined;
  // Memory caches' invalidations (after unsafe requests) go to the other nodes sharing a Postgres store.
  const nodeId = randomUUID();
  const invalidations = source instanceof StoreSource && source.store.dialect === 'postgres' ? new InvalidationAnnouncer(source.store, nodeId, logger) : undefined;
  // The built-in OAuth2 server records revocations in the store, through this process.
  const authControl: AuthServerControl | undefined = source instanceof StoreSource ? { revokeToken: (token) => recordRevocation(source.store, token) } : undefined;
  const gateway: GatewayRole | undefined = !opts.roles.includes('gateway') ? undefined
    : opts.workers <= 1
      ? new InProcessGateway({ logger, catalog: BUNDLED_CATALOG, health, port: opts.port, host: opts.host, ...(authControl ? { authControl } : {}), ...(invalidations ? { onInvalidate: invalidations.add } : {}) })
      : new ClusterGateway({ logger, health, port: opts.port, host: opts.host, workers: opts.workers, ...(authControl ? { authControl } : {}), onUsage: (rows) => usageWriter?.add(rows), ...(invalidations ? { onInvalidate: invalidations.add } : {}) });
  // Quotas of the whole node are counted here (workers ask over IPC), persisted to the store in the
  // background; the current periods' usage is loaded before the gateway serves its first request.
  const ledger = gateway ? new QuotaLedger({ store: source instanceof StoreSource ? source.store : undefined, logger }) : undefined;
  let warnedMemoryQuota = false;
  const warnIfQuotaInMemory = (c: Config) => {
    if (ledger === undefined || ledger.persistent || warnedMemoryQuota || !usesPlugin(c, 'quota')) return;
    warnedMemoryQuota = true;
    logger.warn({}, 'the quota plugin counts in memory only in DB-less mode: a restart starts every allowance again from zero (run with --db to persist usage)');
  };
  usageWriter?.start();
  if (ledger) {
    await ledger.start();
    installLocalCounters({ quota: ledger });
    warnIfQuotaInMemory(config);
  }
  // EDI control numbers of the whole node are reserved here, in blocks (workers ask over IPC): from
  // the store's sequences, which no other node or restart repeats, or in DB-less mode from memory,
  // never behind the clock.
  if (gateway) installControlNumbers(source instanceof StoreSource ? new StoreControlNumbers(source.store) : new MemoryControlNumbers());
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
    const store = source.storeHealth();
    return {
      ready: status === 'ready' && versions.every((v) => v === version),
      status,
      config_version: version,
      gateway_versions: versions,
      last_reload: lastReload,
      config_source: source.kind,
      ...(revision !== undefined ? { config_revision: revision } : {}),
      ...(store ? { store } : {}),
    };
  };
  const metrics = async () => {
    const [data, supervisor] = await Promise.all([gateway ? gateway.metrics() : Promise.resolve(''), controlRegistry.metrics()]);
    return `${data}\n${supervisor}`;
  };

  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  // Cache purges: the gateway processes' memory caches, and the shared Redis cache when configured.
  // Nodes sharing a Postgres store pass purges on to each other's memory caches (NOTIFY).
  if (gateway && source instanceof StoreSource) {
    source.store.feed.onCachePurge((notice) => {
      if (notice.origin === nodeId) return;
      for (const request of notice.purges) void gateway.purgeCache(request);
    });
  }
  const purger: CachePurger = {
    purgeMemory: (request) => gateway ? gateway.purgeCache(request) : Promise.resolve(0),
    purgeRedis: async (request) => (config.gateway.redis === undefined ? undefined : purgeRedis(redisConnection(config.gateway.redis), request)),
    announce: (request) => source instanceof StoreSource ? source.store.announceCachePurge({ origin: nodeId, purges: [request] }) : Promise.resolve(false),
  };
  // DB-less: the webhook API reads the (empty) mirror and refuses writes; nothing is sealed there.
  const webhookMaster = masterKey ?? (() => { const key = randomBytes(32); return { key, fingerprint: masterKeyFingerprint(key) }; })();
  const webhooks = control ? new WebhookService(control.service.store, webhookMaster, compileSsrfPolicy({ allow: webhookSettingsOfNode.allowNetworks })) : undefined;
  const api = control ? {
    operations: adminOperations(control, [...importOperations(control.service), ...graphqlOperations(control.service), ...circuitBreakerOperations(() => gateway ? gateway.breakers() : Promise.resolve([])), ...cacheOperations(purger), ...(webhooks ? webhookOperations(webhooks) : [])]),
    auth: control.auth, readOnly: control.readOnly, version: pkg.version,
  } : undefined;
  // The developer portal's API needs the store (DB-less nodes have none to sign users up into).
  let portal: Portal | undefined;
  let adminPort = 0;
  let settings: PortalSettings | undefined;
  if (control && !control.readOnly) {
    try {
      // "Try it" calls go to this node's own proxy unless PORTCULLIS_PORTAL_GATEWAY_URL names
      // another: its port is known once it listens; a wildcard host is reached by the portal's name.
      const localGateway = () => {
        const port = gateway?.port;
        if (!port || !settings) return undefined;
        const host = opts.host === '0.0.0.0' || opts.host === '::' || opts.host === '' ? new URL(settings.publicUrl).hostname : opts.host;
        return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
      };
      const adminOrigin = () => `http://${opts.adminHost.includes(':') ? `[${opts.adminHost}]` : opts.adminHost}:${adminPort || opts.adminPort}`;
      settings = portalSettings(process.env, adminOrigin, localGateway);
    } catch (err) {
      if (err instanceof PortalSettingsError) throw new PlatformError(err.message);
      throw err;
    }
    portal = createPortal({ store: control.service.store, service: control.service, logger, settings, billing: billingConf, ...(webhooks ? { webhooks } : {}) });
    if (portal.mail.name === 'log') logger.info({}, 'portal mail goes to this log (PORTCULLIS_PORTAL_MAIL=log): set PORTCULLIS_PORTAL_MAIL=smtp to send it');
  }
  const admin = hasAdmin ? createAdminServer({ logger, readiness, metrics, ...(api ? { api } : {}), ...(portal ? { portal: portalMount(portal, pkg.version), connectSources: () => [settings?.gatewayUrl()] } : {}) }) : undefined;
  if (admin) {
    try {
      await admin.listen({ port: opts.adminPort, host: opts.adminHost });
    } catch (err) {
      await source.close();
      await mirror?.close();
      throw new PlatformError(listenError(err, opts.adminPort, 'admin'));
    }
    adminPort = (admin.server.address() as { port: number }).port;
  }
  if (gateway) {
    try {
      await gateway.start(config);
    } catch (err) {
      await admin?.close();
      await source.close();
      await mirror?.close();
      throw new PlatformError(listenError(err, opts.port, 'proxy'));
    }
  }
  checker.configure(config.services);
  publishTargetHealth(config.services);
  status = 'ready';

  // The OAuth2 server's signing keys: the first made, rotated on schedule, old ones pruned. Every
  // node with the store checks (the store serialises them); a change reaches all as a new revision.
  let keyTimer: NodeJS.Timeout | undefined;
  const maintainKeys = async () => {
    if (!(source instanceof StoreSource) || !source.store.ready) return;
    try {
      const done = await source.signingKeys.maintain(config.gateway.oauth2_server);
      if (done.length > 0) logger.info({ changes: done }, 'OAuth2 signing keys maintained');
    } catch (err) {
      logger.warn({ error: (err as Error).message }, 'OAuth2 key maintenance failed; trying again in a minute');
    }
  };
  if (source instanceof StoreSource) {
    await maintainKeys();
    keyTimer = setInterval(() => void maintainKeys(), KEY_MAINTENANCE_INTERVAL_MS);
    keyTimer.unref();
  }

  // Reloads are chained, never concurrent: a change during a reload is picked up by the next one.
  let reloadChain: Promise<boolean> = Promise.resolve(true);
  // The store's feed announces each revision once: a reload that failed for want of the store (it
  // went away between the change notice and the read) is retried until it succeeds, or the node
  // would serve a stale revision while reporting the store up. A rejected config is not retried.
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = 0;
  let stopped = false;
  const retryReload = () => {
    if (stopped || retryTimer) return;
    retryMs = Math.min(Math.max(retryMs * 2, 500), 5000);
    retryTimer = setTimeout(() => { retryTimer = undefined; void reload(); }, retryMs);
    retryTimer.unref();
  };
  const reloadOnce = async (): Promise<boolean> => {
    try {
      const next = await source.load();
      retryMs = 0;
      if (next.version === version && next.revision === revision) return true;
      if (next.version !== version) {
        if (gateway) await gateway.apply(next.config);
        warnIfQuotaInMemory(next.config);
        checker.configure(next.config.services);
        publishTargetHealth(next.config.services);
        await mirrorConfig(next.config);
      }
      // Enabling the OAuth2 server (or changing its algorithm) wants a key now, not within a minute.
      const oauthChanged = JSON.stringify(next.config.gateway.oauth2_server) !== JSON.stringify(config.gateway.oauth2_server);
      config = next.config;
      version = next.version;
      if (oauthChanged) void maintainKeys();
      revision = next.revision;
      configRevision.set(revision ?? 0);
      lastReload = { at: new Date().toISOString(), ok: true };
      configReloads.labels('ok').inc();
      logger.info({ config_version: version, ...(revision !== undefined ? { config_revision: revision } : {}) }, 'config reloaded');
      return true;
    } catch (err) {
      const message = err instanceof ConfigError || err instanceof PlatformError ? err.message : String((err as Error)?.message ?? err);
      lastReload = { at: new Date().toISOString(), ok: false, error: message };
      configReloads.labels('error').inc();
      logger.error({ source: source.kind, problems: message.split('\n') }, 'config rejected; still serving the previous one');
      if (source.kind === 'store' && !(err instanceof ConfigError)) retryReload();
      return false;
    }
  };
  const reload = (): Promise<boolean> => {
    reloadChain = reloadChain.then(reloadOnce, reloadOnce);
    return reloadChain;
  };
  const stopWatching = opts.watch || source.kind === 'store' ? source.watch(() => void reload()) : () => undefined;

  let shuttingDown: Promise<void> | undefined;
  const shutdown = () => {
    shuttingDown ??= (async () => {
      status = 'draining';
      stopWatching();
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(keyTimer);
      logger.info({}, 'draining: finishing in-flight requests');
      await gateway?.drain(config.gateway.drain_timeout_ms);
      shutdownStarted = true;
      await webhookRole?.stop();
      await usageJob?.stop();
      await billingJob?.stop();
      // After the drain: every finished exchange was handed over; its usage reaches the store.
      await usageWriter?.stop();
      // After the drain: every request that counted is in, and its count reaches the store.
      await ledger?.stop();
      await checker.stop();
      await admin?.close();
      await portal?.close();
      await source.close();
      await mirror?.close();
      logger.info({}, 'stopped');
    })();
    return shuttingDown;
  };

  return { proxyPort: gateway?.port ?? 0, adminPort, reload, shutdown, ...(source instanceof StoreSource ? { store: source.store } : {}) };
}

function usesPlugin(config: Config, name: string): boolean {
  const attached = (list: readonly { name: string; enabled: boolean }[]) => list.some((p) => p.name === name && p.enabled);
  return attached(config.plugins) || config.services.some((s) => attached(s.plugins)) || config.routes.some((r) => attached(r.plugins));
}

/** The first admin token, printed once on the terminal (never into the log stream). */
async function announceBootstrap(result: { created: boolean; token?: string; fromEnv: boolean }, logger: Logger, ephemeral = false): Promise<void> {
  if (!result.created) return;
  if (result.fromEnv) {
    logger.info({}, 'admin user "admin" created with the configured token');
    return;
  }
  process.stderr.write([
    '',
    `  Admin API token for user "admin" (${ephemeral ? 'DB-less mode: valid until this process stops' : 'shown once: store it safely'}):`,
    `    ${result.token}`,
    '  Use it as:  Authorization: Bearer <token>',
    '',
  ].join('\n') + '\n');
}
