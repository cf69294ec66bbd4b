// `portcullis webhooks …`: the webhook model, publishing and the delivery log, straight against the
// store named by --db (like `config apply`), through WebhookService. Exit codes: 0 done, 1 it could
// not be done (store unreachable, not found, refused input: one line per problem with its pointer),
// 2 the command was called wrongly.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SealError, type MasterKey } from '../core/identity/sealed.ts';
import { DEFAULT_DB, describeDb, openStore, parseDbUrl } from '../store/open.ts';
import { DuplicateKeyError, InvalidCursorError, VersionConflictError, type Store } from '../store/ports.ts';
import { WebhookConflictError, WebhookInputError, WebhookNotFoundError, WebhookService } from '../webhooks/service.ts';
import { webhookSettings, WebhookSettingsError } from '../webhooks/settings.ts';
import { compileSsrfPolicy } from '../webhooks/ssrf.ts';
import { checkDb, UsageError } from './args.ts';
import type { Io } from './config.ts';
import { PlatformError } from './errors.ts';
import { loadMasterKey, MASTER_KEY_FILE, SECRET_KEY_ENV } from './master-key.ts';
import { CliProblem, type Command, type Values } from './webhooks-common.ts';
import { plural } from './webhooks-output.ts';
import { MODEL_COMMANDS } from './webhooks-model.ts';
import { OPS_COMMANDS } from './webhooks-ops.ts';

const COMMANDS: Readonly<Record<string, Command>> = { ...MODEL_COMMANDS, ...OPS_COMMANDS };
const GROUPS = ['event-types', 'apps', 'endpoints'] as const;

const COMMON_OPTIONS = { db: { type: 'string' }, 'state-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
const COMMON_FLAGS = [
  '--db URL            the store (default sqlite:./data/portcullis.db; env PORTCULLIS_DB)',
  '--state-dir DIR     where the master key is (secret.key; default beside the SQLite file; env',
  '                    PORTCULLIS_STATE_DIR); PORTCULLIS_SECRET_KEY overrides it, as on the nodes',
  '--json              machine output: the records as JSON',
];

/** `endpoints add APP URL`: the command's words and positional arguments, without its flags. */
const synopsis = (name: string, c: Command) => [name, ...(c.args ?? []).map((a) => (a.endsWith('?') ? `[${a.slice(0, -1)}]` : a))].join(' ');

export function webhooksHelp(): string {
  const entries = Object.entries(COMMANDS).map(([name, c]) => [synopsis(name, c), c.summary] as const);
  const width = Math.max(...entries.map(([s]) => s.length));
  return [
    'portcullis webhooks — event types, applications, endpoints, publishing and the delivery log', '', 'Usage: portcullis webhooks COMMAND [options]', '',
    ...entries.map(([s, summary]) => `  ${s.padEnd(width)}  ${summary}`), '',
    'Options of every command (`portcullis webhooks COMMAND --help` lists the others):', ...COMMON_FLAGS.map((f) => `  ${f}`), '',
    'The worker role of a node (`portcullis start`) sends what these commands publish. Endpoint URLs are',
    'checked against PORTCULLIS_WEBHOOK_ALLOW_NETWORKS, as on the nodes. Docs: docs/webhooks-cli.md',
  ].join('\n');
}

function commandHelp(c: Command): string {
  return [`Usage: portcullis webhooks ${c.usage}`, '', `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`, '', 'Options:', ...[...(c.flags ?? []), ...COMMON_FLAGS].map((f) => `  ${f}`)].join('\n');
}

/** The command named by the first one or two words, and the rest of the arguments. */
function resolve(argv: readonly string[]): { name: string; command: Command; rest: string[] } {
  const [first, ...rest] = argv;
  if ((GROUPS as readonly string[]).includes(first!)) {
    const [action, ...tail] = rest;
    const actions = Object.keys(COMMANDS).filter((k) => k.startsWith(`${first} `)).map((k) => k.slice(first!.length + 1));
    if (action === undefined || action.startsWith('-')) throw new UsageError(`webhooks ${first} needs a subcommand: ${actions.join(', ')}`);
    const command = COMMANDS[`${first} ${action}`];
    if (!command) throw new UsageError(`unknown webhooks ${first} subcommand "${action}" (${actions.join(', ')})`);
    return { name: `${first} ${action}`, command, rest: tail };
  }
  const command = COMMANDS[first!];
  if (!command) throw new UsageError(`unknown webhooks command "${first}" (${[...GROUPS, ...Object.keys(OPS_COMMANDS)].join(', ')})`);
  return { name: first!, command, rest };
}

function parse(command: Command, rest: string[]): { values: Values; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { ...COMMON_OPTIONS, ...command.options } });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return { values: parsed.values as Values, positionals: parsed.positionals };
}

export async function runWebhooks(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const asksHelp = (word: string | undefined) => word === 'help' || word === '--help' || word === '-h';
  // `webhooks --help`, and `webhooks endpoints --help` (a group's commands are in the same list).
  if (argv.length === 0 || asksHelp(argv[0]) || ((GROUPS as readonly string[]).includes(argv[0]!) && asksHelp(argv[1]))) {
    if (argv.length > 0) {
      io.out(webhooksHelp());
      return 0;
    }
    io.err(webhooksHelp());
    return 2;
  }
  let command: Command | undefined;
  try {
    const resolved = resolve(argv);
    command = resolved.command;
    const { values, positionals } = parse(command, resolved.rest);
    if (values.help === true) {
      io.out(commandHelp(command));
      return 0;
    }
    const names = command.args ?? [];
    const required = names.filter((a) => !a.endsWith('?')).length;
    if (positionals.length < required) throw new UsageError(`webhooks ${resolved.name} needs ${names.slice(positionals.length, required).join(' ')}`);
    if (positionals.length > names.length) throw new UsageError(`webhooks ${resolved.name}: unexpected argument "${positionals[names.length]}"`);
    const db = (values.db as string | undefined) ?? env.PORTCULLIS_DB ?? DEFAULT_DB;
    checkDb(db);
    const ssrf = endpointUrlPolicy(env);
    const stateDir = (values['state-dir'] as string | undefined) ?? env.PORTCULLIS_STATE_DIR;
    const run = command.run;
    const secrets = command.secrets === true;
    return await withStore(db, async (store) => {
      const masterKey = secrets ? await signingMasterKey(store, stateDir ?? (await import('./config-source.ts')).defaultStateDir(db), env, io) : NO_MASTER_KEY;
      const service = new WebhookService(store, masterKey, ssrf);
      return (await run({ store, service, io, json: values.json === true, args: positionals, values })) ?? 0;
    });
  } catch (err) {
    return report(err, command, io);
  }
}

/** The nodes' SSRF allow-list (env, as on the nodes): endpoint URLs are checked against it when written. */
function endpointUrlPolicy(env: NodeJS.ProcessEnv) {
  try {
    return compileSsrfPolicy({ allow: webhookSettings(env).allowNetworks });
  } catch (err) {
    throw new CliProblem(err instanceof WebhookSettingsError ? err.message : `PORTCULLIS_WEBHOOK_ALLOW_NETWORKS: ${(err as Error).message}`);
  }
}

async function withStore<T>(db: string, fn: (store: Store) => Promise<T>): Promise<T> {
  let store: Store;
  try {
    store = await openStore(db);
  } catch (err) {
    throw new CliProblem(`cannot open the store ${describeDb(parseDbUrl(db))}: ${(err as Error).message}`);
  }
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Commands that do not touch signing secrets never load (or create) the master key. */
const NO_MASTER_KEY: MasterKey = {
  get key(): Uint8Array { throw new Error('this command does not load the master key'); },
  fingerprint: '',
};

/**
 * The nodes' master key. A missing key file is created (as the first `portcullis start` does) only
 * while the store holds no endpoint secret yet: otherwise those were sealed with a key this state
 * directory does not have, and a new one would seal secrets the worker cannot open.
 */
async function signingMasterKey(store: Store, stateDir: string, env: NodeJS.ProcessEnv, io: Io): Promise<MasterKey> {
  const file = join(stateDir, MASTER_KEY_FILE);
  if ((env[SECRET_KEY_ENV] ?? '') === '' && !existsSync(file)) {
    if ((await store.read().webhookModel.listEndpoints({ limit: 1 })).data.length > 0) {
      throw new CliProblem(`no master key: ${file} does not exist and ${SECRET_KEY_ENV} is not set, but the store holds endpoint secrets sealed with one; point --state-dir at the nodes' state directory or set ${SECRET_KEY_ENV} as they do`);
    }
    const key = loadMasterKey(stateDir, env);
    io.err(`created a new master key in ${file}: the nodes must use this same key (the same --state-dir, or ${SECRET_KEY_ENV})`);
    return key;
  }
  return loadMasterKey(stateDir, env);
}

/** Where in the command line a pointer into the request body came from. */
function sourceOf(command: Command | undefined, pointer: string): string | undefined {
  const match = Object.keys(command?.sources ?? {}).filter((p) => pointer === p || pointer.startsWith(`${p}/`)).sort((a, b) => b.length - a.length)[0];
  return match === undefined ? undefined : command!.sources![match];
}

function report(err: unknown, command: Command | undefined, io: Io): number {
  if (err instanceof UsageError) {
    io.err(`portcullis: ${err.message}`);
    io.err(command ? `Usage: portcullis webhooks ${command.usage} (--help for its options)` : 'Run "portcullis webhooks --help" for usage.');
    return 2;
  }
  if (err instanceof WebhookInputError) {
    // The service's message either restates the problems (the list below says them better) or says
    // what was refused ("the payload does not match the schema of …"), which is worth its own line.
    const restates = err.issues.some((i) => err.message.includes(i.detail));
    io.err(`portcullis: ${restates ? `invalid input (${plural(err.issues.length, 'problem')})` : err.message}`);
    for (const i of err.issues) {
      const source = sourceOf(command, i.pointer);
      io.err(`  ${i.pointer || '/'}${source ? ` (${source})` : ''}: ${i.detail}`);
    }
    return 1;
  }
  if (err instanceof SealError) {
    io.err(`portcullis: ${err.message}: give this command the nodes' master key (--state-dir DIR of a node, or ${SECRET_KEY_ENV})`);
    return 1;
  }
  if (err instanceof VersionConflictError) {
    io.err(`portcullis: ${err.message} meanwhile; run the command again`);
    return 1;
  }
  if (err instanceof CliProblem || err instanceof WebhookNotFoundError || err instanceof WebhookConflictError || err instanceof DuplicateKeyError
    || err instanceof InvalidCursorError || err instanceof PlatformError) {
    io.err(`portcullis: ${err.message}`);
    return 1;
  }
  throw err;
}
