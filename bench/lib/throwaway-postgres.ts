// A throwaway Postgres 15 cluster for a benchmark run, started the way .ci/run does it: initdb
// (as the `postgres` user when running as root: initdb and postgres refuse root) with trust
// authentication, pg_ctl on a free loopback port, a socket directory of its own; stopped by its
// postmaster pid at the end and its directory removed. Only when Debian's postgresql-15 is installed.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface ThrowawayPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly pid: number;
  stop(): void;
}

/** Why a throwaway server cannot be started here, or undefined when it can. */
export function throwawayPostgresUnavailable(): string | undefined {
  if (!existsSync(join(PG_BIN, 'initdb'))) return `${PG_BIN}/initdb not found (apt-get install postgresql)`;
  if (userInfo().uid !== 0) return 'not running as root (a throwaway cluster is started as the postgres user)';
  return undefined;
}

/** A free loopback port (the OS picks one; it is released again for Postgres to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const asPostgres = (cmd: string, args: readonly string[], opts: { stdio?: 'ignore' | 'pipe' } = {}) =>
  execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: opts.stdio ?? 'pipe', timeout: 120_000 });

/**
 * Starts the cluster. `settings` are extra `-c name=value` server settings (e.g. to load
 * pg_stat_statements for a profile).
 */
export async function startThrowawayPostgres(settings: readonly string[] = []): Promise<ThrowawayPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-pg-'));
  const pgUser = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const pgGroup = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  chownSync(dir, pgUser, pgGroup);
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  try {
    asPostgres(join(PG_BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    const port = await freePort();
    const options = [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', ...settings.map((s) => `-c ${s}`)].join(' ');
    asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', data, '-o', options, '-l', log, '-w', '-t', '60', 'start']);
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    let stopped = false;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      pid,
      stop() {
        if (stopped) return;
        stopped = true;
        // SIGINT = "fast" shutdown: ends sessions, checkpoints, exits. Wait for the pid to go.
        try {
          process.kill(pid, 'SIGINT');
          const deadline = Date.now() + 30_000;
          while (Date.now() < deadline) {
            try {
              process.kill(pid, 0);
            } catch {
              break;
            }
            execFileSync('sleep', ['0.1']);
          }
        } catch {
          // already gone
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    const text = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot start a throwaway Postgres: ${(err as Error).message}\n${text}`, { cause: err });
  }
}
