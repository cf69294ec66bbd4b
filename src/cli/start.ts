// `portcullis start`: runs a node until SIGTERM/SIGINT (graceful drain), reloading on SIGHUP.
import { existsSync } from 'node:fs';
import { createLogger, flushLogger, type Logger } from '../telemetry/logger.ts';
import { ConfigError } from '../core/config/errors.ts';
import { MIN_TOKEN_LENGTH } from '../admin/auth.ts';
import { describeListenError, probePort } from '../gateway/port-probe.ts';
import { describeDb, parseDbUrl } from '../store/location.ts';
import type { StartArgs } from './args.ts';
import { PlatformError } from './errors.ts';
import type { Platform } from './platform.ts';

/** Busy ports are reported at once, before the slower work of opening the store. */
export async function probeListeners(args: StartArgs): Promise<void> {
  const checks: [number, string, string, boolean][] = [
    [args.adminPort, args.adminHost, 'admin', args.roles.includes('admin')],
    [args.port, args.host, 'proxy', args.roles.includes('gateway')],
  ];
  for (const [port, host, what, used] of checks) {
    if (!used || port === 0) continue;
    try {
      await probePort(port, host);
    } catch (err) {
      throw new PlatformError(describeListenError(err, port, what));
    }
  }
}

export async function runStart(args: StartArgs, logger: Logger = createLogger({ base: { role: 'supervisor' } })): Promise<Platform> {
  let platform: Platform;
  try {
    const envToken = process.env.PORTCULLIS_ADMIN_TOKEN;
    if (envToken !== undefined && envToken.length < MIN_TOKEN_LENGTH) throw new PlatformError(`PORTCULLIS_ADMIN_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters (use e.g. \`openssl rand -base64 32\`)`);
    await probeListeners(args);
    const { startPlatform } = await import('./platform.ts');
    platform = await startPlatform({ ...args, logger, ...(process.env.PORTCULLIS_ADMIN_TOKEN ? { adminToken: process.env.PORTCULLIS_ADMIN_TOKEN } : {}) });
  } catch (err) {
    if (err instanceof ConfigError) {
      logger.error({ config_file: args.configFile, problems: err.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)) }, 'invalid config');
    } else if (err instanceof PlatformError) {
      logger.error({}, err.message);
    } else {
      logger.error({ err }, 'failed to start');
    }
    flushLogger(logger);
    process.exit(1);
  }
  // Before the "running" line: whoever reads it may signal at once, and a SIGTERM arriving before
  // the handlers exist takes the default action (death by signal, no drain, no store close).
  installSignals(platform, logger);
  logger.info({ proxy: `http://${args.host}:${platform.proxyPort}`, admin: `http://${args.adminHost}:${platform.adminPort}`, workers: args.workers, ...(args.configFile !== undefined ? { config_file: args.configFile } : { db: describeDb(parseDbUrl(args.db)) }) }, 'portcullis is running');
  // `portcullis start` used to read ./portcullis.yaml by default; say so rather than ignore it.
  if (args.configFile === undefined && existsSync('portcullis.yaml')) {
    logger.warn({ file: 'portcullis.yaml' }, 'portcullis.yaml is not read in store mode: serve it with --config portcullis.yaml (DB-less), or load it into the store with `portcullis config apply portcullis.yaml`');
  }
  return platform;
}

export function installSignals(platform: Platform, logger: Logger, onStopped: () => void = () => undefined): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      flushLogger(logger);
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    platform.shutdown().then(() => { onStopped(); flushLogger(logger); process.exit(0); }, (err) => { logger.error({ err }, 'shutdown failed'); flushLogger(logger); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void platform.reload());
}
