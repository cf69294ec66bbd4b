// What the `portcullis import …` commands share: flag parsing that turns parseArgs' complaints into
// usage errors, the store named by --db, and one way of reporting the failures an import can meet
// (exit 1 with readable lines on stderr; anything unexpected is a bug and is thrown).
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { Actor, ConfigService } from '../admin/config-service.ts';
import { OpenApiImportError } from '../admin/import/errors.ts';
import type { ImportOutcome } from '../admin/import/outcome.ts';
import { ConfigError, formatIssue } from '../core/config/errors.ts';
import { DEFAULT_DB, describeDb, parseDbUrl } from '../store/location.ts';
import { checkDb, UsageError } from './args.ts';
import { actorName, formatChanges, StoreOpenError, withStore, type Io } from './config.ts';
import { PlatformError } from './errors.ts';
import { storeConfigService } from './store-master-key.ts';

type ImportArgsConfig<O extends ParseArgsOptionsConfig> = { args: string[]; options: O; allowPositionals: true; strict: true };

/** Strict parsing with positionals; a flag parseArgs refuses is a usage error (exit 2), not a crash. */
export function parseImportArgs<O extends ParseArgsOptionsConfig>(args: string[], options: O): ReturnType<typeof parseArgs<ImportArgsConfig<O>>> {
  try {
    return parseArgs<ImportArgsConfig<O>>({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The flags the spec imports (openapi, wsdl) have in common. */
export const SPEC_IMPORT_FLAGS = {
  db: { type: 'string' }, 'service-name': { type: 'string' }, upstream: { type: 'string' },
  'path-prefix': { type: 'string' }, tag: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' },
} as const;

/** What SPEC_IMPORT_FLAGS set, as the options both spec imports take. */
export interface SpecImportOptions {
  readonly serviceName?: string;
  readonly upstream?: string;
  readonly pathPrefix?: string;
  readonly tags: readonly string[];
  readonly dryRun: boolean;
  readonly actor: Actor;
}

export function specImportOptions(values: { 'service-name'?: string; upstream?: string; 'path-prefix'?: string; tag?: string[]; 'dry-run'?: boolean }): SpecImportOptions {
  return {
    ...(values['service-name'] !== undefined ? { serviceName: values['service-name'] } : {}),
    ...(values.upstream !== undefined ? { upstream: values.upstream } : {}),
    ...(values['path-prefix'] !== undefined ? { pathPrefix: values['path-prefix'] } : {}),
    tags: values.tag ?? [],
    dryRun: values['dry-run'] === true,
    actor: { name: actorName() },
  };
}

/** --db, else PORTCULLIS_DB, else the default; one that names no database we can open is a usage error. */
export function importDb(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const db = flag ?? env.PORTCULLIS_DB ?? DEFAULT_DB;
  checkDb(db);
  return db;
}

/** The lines to print for an error a command expects (exit 1), or undefined for one it does not. */
export type ImportFailureReport = (err: unknown) => readonly string[] | undefined;

/**
 * Runs `work` on the config service of the store `db` names and returns the exit code: 0 when it
 * completes, 1 (with the lines on stderr) when the store does not open or `report` recognises the
 * error. Anything else is thrown.
 */
export async function runOnStore(db: string, io: Io, work: (config: ConfigService) => Promise<void>, report: ImportFailureReport, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    // The nodes' master key (PORTCULLIS_SECRET_KEY, or secret.key in PORTCULLIS_STATE_DIR or beside the SQLite file).
    await withStore(db, async (store) => work(await storeConfigService(store, { db, env, notice: (line) => io.err(line) })));
    return 0;
  } catch (err) {
    const lines = err instanceof StoreOpenError || err instanceof PlatformError ? [`portcullis: ${err.message}`] : report(err);
    if (lines === undefined) throw err;
    for (const line of lines) io.err(line);
    return 1;
  }
}

/** `1 route`, `3 routes`. */
export const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** A spec import's own failures: the document's problems, or a config the import would make invalid. */
export function specImportFailure(source: string): ImportFailureReport {
  return (err) => {
    if (err instanceof OpenApiImportError) return [`${source}: ${plural(err.problems.length, 'problem')}`, ...err.problems.map((p) => `  ${p}`)];
    if (err instanceof ConfigError) return [`${source}: the resulting config is invalid`, ...err.issues.map((issue) => `  ${formatIssue(issue)}`)];
    return undefined;
  };
}

/**
 * Prints a spec import's warnings (stderr), its changes and `summary`, then where it went: nothing
 * on a dry run, else the store, the new revision and `stored` (a note on the documents kept, or '').
 */
export function reportSpecImport(io: Io, db: string, result: ImportOutcome, how: { dryRun: boolean; summary: string; stored: string }): void {
  for (const w of result.warnings) io.err(`warning: ${w}`);
  for (const line of formatChanges(result.changes)) io.out(line);
  io.out(how.summary);
  if (how.dryRun) io.out('dry run: nothing written');
  else io.out(`imported into ${describeDb(parseDbUrl(db))}${result.applied ? `: revision ${result.revision}` : ' (no config changes)'}${how.stored}`);
}
