// The `portcullis` command line.
import { readFileSync } from 'node:fs';
import { parseStartArgs, UsageError } from './args.ts';
import { runDemo } from './demo.ts';
import { runStart } from './start.ts';
import { runValidate } from './validate.ts';

const HELP = `portcullis — self-hosted API gateway

Usage:
  portcullis start [--config FILE] [options]   run a node (gateway + admin)
  portcullis validate FILE                     check a config file, print every problem
  portcullis demo [options]                    the carrier demo (what npm start runs)
  portcullis --version

Options for start and demo:
      --db URL          config store: sqlite:PATH (default sqlite:./data/portcullis.db)
                        or postgres://user@host:5432/db (env PORTCULLIS_DB)
  -c, --config FILE     DB-less mode: serve this file, reload on change; the admin API
                        is read-only (env PORTCULLIS_CONFIG)
      --state-dir DIR   where the last-known-good snapshot is kept (default: beside the
                        SQLite file, or ./data)
  -p, --port N          proxy port (default 8080; env PORTCULLIS_PORT)
      --admin-port N    admin port: admin API, /health, /ready, /metrics (default 8081)
      --host H          proxy bind address (default 0.0.0.0)
      --admin-host H    admin bind address (default 127.0.0.1)
  -w, --workers N       gateway worker processes (default: CPU cores)
      --roles LIST      roles to run: gateway,admin (default both)
      --no-watch        do not reload when the config file changes (SIGHUP still reloads)

The first start on an empty store creates admin user "admin" and prints its token once
(or takes it from PORTCULLIS_ADMIN_TOKEN).

Signals: SIGHUP reloads the config; SIGTERM/SIGINT drain in-flight requests and stop.
Docs: docs/README.md
`;

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start': {
        const args = parseStartArgs(rest);
        if (args.help) return void process.stdout.write(HELP);
        await runStart(args);
        return;
      }
      case 'demo': {
        const args = parseStartArgs(rest);
        if (args.help) return void process.stdout.write(HELP);
        await runDemo(args);
        return;
      }
      case 'validate': {
        if (rest.length !== 1 || rest[0]!.startsWith('-')) throw new UsageError('validate takes one file: portcullis validate FILE');
        process.exitCode = runValidate(rest[0]!, (l) => console.log(l), (l) => console.error(l));
        return;
      }
      case '--version':
      case 'version': {
        const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
        console.log(pkg.version);
        return;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`portcullis: ${err.message}\nRun "portcullis --help" for usage.`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}
