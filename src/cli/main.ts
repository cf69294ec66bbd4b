// The `portcullis` command line.
import { readFileSync } from 'node:fs';
import { parseStartArgs, UsageError } from './args.ts';
// Commands are loaded when used: `start` reports a busy port before the store, the admin API
// and their drivers are even loaded.

const HELP = `portcullis — self-hosted API gateway

Usage:
  portcullis start [--config FILE] [options]   run a node (gateway + admin)
  portcullis validate FILE                     check a config file, print every problem
  portcullis config diff FILE [--exit-code]    what applying FILE to the store would change
  portcullis config apply FILE [--dry-run]     make the store match FILE, in one transaction
  portcullis config export [-o FILE]           the store's config as a file (round-trips exactly)
  portcullis import openapi SPEC [options]     a service + routes from an OpenAPI/Swagger file or URL
  portcullis import wsdl WSDL [options]        a soap service + routes from a WSDL 1.1 file or URL
  portcullis import graphql --service NAME (FILE | --introspect [--path /P])
                                               a graphql service's schema, from SDL or its upstream
  portcullis admin token [--user NAME]         a new admin API token, written straight to the store
                                               (the way back in when every token is lost)
  portcullis webhooks COMMAND [options]        webhook event types, applications, endpoints, publish,
                                               messages, attempts, dead letters, resend, replay
                                               (portcullis webhooks --help lists the commands)
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
      --roles LIST      roles to run: gateway,admin,worker (default all three)
      --no-watch        do not reload when the config file changes (SIGHUP still reloads)

The first start on an empty store creates admin user "admin" and prints its token once
(or takes it from PORTCULLIS_ADMIN_TOKEN).

Options for config, import, admin and webhooks:
      --db URL          the store to work on (default sqlite:./data/portcullis.db; env PORTCULLIS_DB)
      --state-dir DIR   config, webhooks: where the nodes' master key (secret.key) is, which
                        seals plugin and endpoint secrets (default: beside the SQLite file;
                        env PORTCULLIS_STATE_DIR; PORTCULLIS_SECRET_KEY takes precedence)

Options for import openapi (SPEC is a file or an http(s) URL; Swagger 2.0, OpenAPI 3.0/3.1):
      --service-name NAME   service name (default: from info.title)
      --upstream URL        upstream base URL (default: the spec's first server)
      --routes-by operation|path   one route per operation (default) or per path
      --path-prefix /P      put /P in front of every route path; --strip-prefix forwards
                            the spec's own paths upstream
      --tag T           extra tag (repeatable)
      --dry-run         show what would change, write nothing

Options for import wsdl (WSDL 1.1 with SOAP 1.1/1.2 bindings; docs/soap.md):
      --service-name NAME   service name (default: from the wsdl:service name)
      --upstream URL        the SOAP endpoint (default: the port's soap:address)
      --soap-version 1.1|1.2   binding to use (default 1.1 when there is one)
      --path-prefix /P      the proxy route's path, and prefix of the REST routes (default /NAME)
      --rest            also one JSON route per operation (POST /P/<operation>), mediated to SOAP
      --tag T           extra tag (repeatable)
      --dry-run         show what would change, write nothing

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
        await (await import('./start.ts')).runStart(args);
        return;
      }
      case 'demo': {
        const args = parseStartArgs(rest);
        if (args.help) return void process.stdout.write(HELP);
        await (await import('./demo.ts')).runDemo(args);
        return;
      }
      case 'validate': {
        if (rest.length !== 1 || rest[0]!.startsWith('-')) throw new UsageError('validate takes one file: portcullis validate FILE');
        const { runValidate } = await import('./validate.ts');
        process.exitCode = runValidate(rest[0]!, (l) => console.log(l), (l) => console.error(l));
        return;
      }
      case 'config': {
        const { runConfig } = await import('./config.ts');
        process.exitCode = await runConfig(rest, { out: (l) => console.log(l), err: (l) => console.error(l) });
        return;
      }
      case 'admin': {
        const { runAdmin } = await import('./admin.ts');
        process.exitCode = await runAdmin(rest, { out: (l) => console.log(l), err: (l) => console.error(l) });
        return;
      }
      case 'webhooks': {
        const { runWebhooks } = await import('./webhooks.ts');
        process.exitCode = await runWebhooks(rest, { out: (l) => console.log(l), err: (l) => console.error(l) });
        return;
      }
      case 'import': {
        const { runImport } = await import('./import.ts');
        process.exitCode = await runImport(rest, { out: (l) => console.log(l), err: (l) => console.error(l) });
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
