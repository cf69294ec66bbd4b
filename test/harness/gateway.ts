// Starts the real gateway for tests: in this process (fast, for behaviour of the data plane) or
// as a `portcullis start` child process (signals, reload, workers, shutdown).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { checkConfig } from '../../src/core/config/load.ts';
import { Gateway } from '../../src/gateway/gateway.ts';
import { ActiveHealthChecker } from '../../src/gateway/health/active.ts';
import { HealthRegistry } from '../../src/gateway/health/registry.ts';
import { BUNDLED_CATALOG } from '../../src/plugins/index.ts';
import { createLogger } from '../../src/telemetry/logger.ts';

export const BIN = fileURLToPath(new URL('../../bin/portcullis.ts', import.meta.url));

/** A config object as in portcullis.yaml (defaults filled in by the schema). */
export type RawConfig = Record<string, unknown>;

export interface InProcessGateway {
  readonly url: string;
  readonly port: number;
  readonly gateway: Gateway;
  readonly health: HealthRegistry;
  apply(config: RawConfig): string;
  close(): Promise<void>;
}

const quietLogger = () => createLogger({ pretty: false, level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** The gateway's data plane in this process, with active health checks if configured. */
export async function startGateway(raw: RawConfig, opts: { healthChecks?: boolean } = {}): Promise<InProcessGateway> {
  const config = checkConfig(raw);
  const health = new HealthRegistry();
  const logger = quietLogger();
  const gateway = new Gateway(config, { logger, catalog: BUNDLED_CATALOG, health });
  const checker = opts.healthChecks === false ? undefined : new ActiveHealthChecker(health, logger);
  checker?.configure(config.services);
  const addr = await gateway.listen(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    port: addr.port,
    gateway,
    health,
    apply(next) {
      const c = checkConfig(next);
      const v = gateway.apply(c);
      checker?.configure(c.services);
      return v;
    },
    async close() {
      await checker?.stop();
      await gateway.destroy();
    },
  };
}

export interface GatewayProcess {
  readonly url: string;
  readonly adminUrl: string;
  readonly proxyPort: number;
  readonly adminPort: number;
  readonly child: ChildProcess;
  readonly configFile: string;
  /** Everything the process printed (JSON log lines). */
  output(): string;
  /** Rewrites the config file (the process reloads on change). */
  writeConfig(config: RawConfig | string): void;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `portcullis start` as a child process on OS-chosen ports; resolves once it is ready. */
export async function spawnGateway(raw: RawConfig | string, opts: { workers?: number; args?: string[]; env?: NodeJS.ProcessEnv; port?: number } = {}): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
  const configFile = join(dir, 'portcullis.yaml');
  const write = (c: RawConfig | string) => writeFileSync(configFile, typeof c === 'string' ? c : YAML.stringify(c));
  write(raw);
  const child = spawn(process.execPath, [BIN, 'start', '--config', configFile, '--port', String(opts.port ?? 0), '--admin-port', '0', '--host', '127.0.0.1', '--workers', String(opts.workers ?? 1), ...(opts.args ?? [])], {
    env: { ...process.env, PORTCULLIS_LOG_FORMAT: 'json', PORTCULLIS_LOG_LEVEL: 'info', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = await new Promise<{ proxy: number; admin: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${out}`)), 20_000);
    const onData = () => {
      for (const line of out.split('\n')) {
        if (!line.includes('portcullis is running')) continue;
        try {
          const entry = JSON.parse(line) as { proxy: string; admin: string };
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve({ proxy: Number(new URL(entry.proxy).port), admin: Number(new URL(entry.admin).port) });
          return;
        } catch {
          // partial line; wait for more
        }
      }
    };
    child.stdout!.on('data', onData);
    exited.then((code) => { clearTimeout(timer); reject(new Error(`gateway exited (${code}) before it was ready:\n${out}`)); });
  });
  return {
    url: `http://127.0.0.1:${started.proxy}`,
    adminUrl: `http://127.0.0.1:${started.admin}`,
    proxyPort: started.proxy,
    adminPort: started.admin,
    child,
    configFile,
    output: () => out,
    writeConfig: write,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls `check` until it returns true or the time is up. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function service(name: string, urls: string[], extra: RawConfig = {}): RawConfig {
  return { name, targets: urls.map((url) => ({ url })), ...extra };
}
