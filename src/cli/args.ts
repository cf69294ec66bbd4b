// Flag parsing shared by the commands (node:util parseArgs), with environment fallbacks.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_DB, parseDbUrl, StoreConfigError } from '../store/location.ts';
import { ROLES, type Role } from './roles.ts';

export class UsageError extends Error {}

export const START_FLAGS = {
  config: { type: 'string', short: 'c' },
  db: { type: 'string' },
  'state-dir': { type: 'string' },
  port: { type: 'string', short: 'p' },
  'admin-port': { type: 'string' },
  host: { type: 'string' },
  'admin-host': { type: 'string' },
  workers: { type: 'string', short: 'w' },
  roles: { type: 'string' },
  'no-watch': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface StartArgs {
  /** DB-less mode when set. */
  configFile: string | undefined;
  db: string;
  stateDir: string | undefined;
  port: number;
  adminPort: number;
  host: string;
  adminHost: string;
  workers: number;
  roles: Role[];
  watch: boolean;
}

/** A --db that names no database we can open is a usage error, not a failure to start. */
export function checkDb(db: string): void {
  try {
    parseDbUrl(db);
  } catch (err) {
    if (err instanceof StoreConfigError) throw new UsageError(err.message);
    throw err;
  }
}

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${name} must be a port number (0-65535), not "${value}"`);
  return n;
}

export function parseStartArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): StartArgs & { help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: START_FLAGS, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const workersText = values.workers ?? env.PORTCULLIS_WORKERS;
  const workers = workersText === undefined ? availableParallelism() : Number(workersText);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new UsageError(`--workers must be a whole number from 1 to 256, not "${workersText}"`);
  const roles = (values.roles ?? env.PORTCULLIS_ROLES ?? ROLES.join(',')).split(',').map((r) => r.trim()).filter(Boolean);
  for (const r of roles) if (!(ROLES as readonly string[]).includes(r)) throw new UsageError(`unknown role "${r}" (roles: ${ROLES.join(', ')})`);
  const db = values.db ?? env.PORTCULLIS_DB ?? DEFAULT_DB;
  checkDb(db);
  return {
    configFile: values.config ?? env.PORTCULLIS_CONFIG,
    db,
    stateDir: values['state-dir'] ?? env.PORTCULLIS_STATE_DIR,
    port: port(values.port ?? env.PORTCULLIS_PORT, 8080, '--port'),
    adminPort: port(values['admin-port'] ?? env.PORTCULLIS_ADMIN_PORT, 8081, '--admin-port'),
    host: values.host ?? env.PORTCULLIS_HOST ?? '0.0.0.0',
    adminHost: values['admin-host'] ?? env.PORTCULLIS_ADMIN_HOST ?? '127.0.0.1',
    workers,
    roles: roles as Role[],
    watch: !values['no-watch'],
    help: values.help ?? false,
  };
}
