// `portcullis config diff|apply|export`: declarative sync (GitOps) straight against the store named
// by --db / PORTCULLIS_DB. A running node hears about an apply through the store (Postgres
// NOTIFY; SQLite revision poll) and serves it within a second.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import type { PlannedChange } from '../admin/config-service.ts';
import { ConfigError, formatIssue } from '../core/config/errors.ts';
import { parseYaml } from '../core/config/load.ts';
import { DEFAULT_DB, describeDb, openStore, parseDbUrl } from '../store/open.ts';
import type { Store } from '../store/ports.ts';
import { checkDb, UsageError } from './args.ts';
import { PlatformError } from './errors.ts';
import { storeConfigService, type StoreKeyOptions } from './store-master-key.ts';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const fmt = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));

export function formatChanges(changes: readonly PlannedChange[]): string[] {
  const lines: string[] = [];
  for (const c of changes) {
    const sign = c.action === 'create' ? '+' : c.action === 'delete' ? '-' : '~';
    lines.push(`${sign} ${c.kind} ${c.key}${c.moved ? ' (moved)' : ''}`);
    for (const f of c.fields ?? []) lines.push(`    ${f.path}: ${fmt(f.before)} → ${fmt(f.after)}`);
  }
  const count = (a: string) => changes.filter((c) => c.action === a).length;
  lines.push(changes.length === 0 ? 'no changes' : `${changes.length} change${changes.length === 1 ? '' : 's'}: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete`);
  return lines;
}

export const actorName = () => `cli:${(() => { try { return userInfo().username; } catch { return 'unknown'; } })()}`;

/** The store can't be opened (unreachable, a newer schema): one line for the operator, exit 1. */
export class StoreOpenError extends Error {}

export async function withStore<T>(db: string, fn: (store: Store) => Promise<T>): Promise<T> {
  let store: Store;
  try {
    store = await openStore(db);
  } catch (err) {
    throw new StoreOpenError(`cannot open the store ${describeDb(parseDbUrl(db))}: ${(err as Error).message}`);
  }
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseYaml(text);
}

function reportConfigError(file: string, e: ConfigError, io: Io): number {
  io.err(`${file}: ${e.issues.length} problem${e.issues.length === 1 ? '' : 's'}`);
  for (const issue of e.issues) io.err(`  ${formatIssue(issue)}`);
  return 1;
}

export async function runConfig(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [sub, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: {
      db: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'exit-code': { type: 'boolean' },
      output: { type: 'string', short: 'o' }, format: { type: 'string' }, 'state-dir': { type: 'string' },
    } });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const db = values.db ?? env.PORTCULLIS_DB ?? DEFAULT_DB;
  checkDb(db);
  try {
    return await runConfigCommand(sub, values, positionals, { db, env, ...(values['state-dir'] !== undefined ? { stateDir: values['state-dir'] } : {}), notice: (line) => io.err(line) }, io);
  } catch (err) {
    if (err instanceof StoreOpenError || err instanceof PlatformError) {
      io.err(`portcullis: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

async function runConfigCommand(sub: string | undefined, values: { 'dry-run'?: boolean; 'exit-code'?: boolean; output?: string; format?: string }, positionals: string[], keyOpts: StoreKeyOptions, io: Io): Promise<number> {
  const { db } = keyOpts;
  switch (sub) {
    case 'diff':
    case 'apply': {
      if (positionals.length !== 1) throw new UsageError(`config ${sub} takes one file: portcullis config ${sub} FILE`);
      const file = positionals[0]!;
      const raw = readDocumentOrReport(file, io);
      if (raw === undefined) return 1;
      try {
        return await withStore(db, async (store) => {
          const service = await storeConfigService(store, keyOpts);
          const dryRun = sub === 'diff' || values['dry-run'] === true;
          const result = await service.apply(raw, { dryRun, actor: { name: actorName() } });
          for (const line of formatChanges(result.changes)) io.out(line);
          if (!dryRun && result.applied) io.out(`applied to ${describeDb(parseDbUrl(db))}: revision ${result.revision}`);
          else if (sub === 'apply') io.out(dryRun ? 'dry run: nothing written' : 'nothing to apply');
          return sub === 'diff' && values['exit-code'] && result.changes.length > 0 ? 2 : 0;
        });
      } catch (e) {
        if (e instanceof ConfigError) return reportConfigError(file, e, io);
        throw e;
      }
    }
    case 'export': {
      if (positionals.length !== 0) throw new UsageError('config export takes no file argument (use -o FILE)');
      const format = values.format ?? (values.output?.endsWith('.json') ? 'json' : 'yaml');
      if (format !== 'yaml' && format !== 'json') throw new UsageError('--format must be yaml or json');
      const { revision, document } = await withStore(db, async (store) => (await storeConfigService(store, keyOpts)).export());
      const text = format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : `# exported from ${describeDb(parseDbUrl(db))} at revision ${revision}\n${YAML.stringify(document)}`;
      if (values.output === undefined) io.out(text.replace(/\n$/, ''));
      else {
        const tmp = `${values.output}.${process.pid}.tmp`;
        writeFileSync(tmp, text);
        renameSync(tmp, values.output);
        io.err(`wrote ${values.output} (revision ${revision})`);
      }
      return 0;
    }
    default:
      throw new UsageError(sub === undefined ? 'config needs a subcommand: diff, apply or export' : `unknown config subcommand "${sub}" (diff, apply, export)`);
  }
}

function readDocumentOrReport(file: string, io: Io): unknown {
  try {
    return readDocument(file);
  } catch (e) {
    if (e instanceof ConfigError) {
      reportConfigError(file, e, io);
      return undefined;
    }
    throw e;
  }
}
