// `portcullis import graphql --service NAME (FILE | --introspect [--path /P])`: stores a graphql
// service's schema (SDL from a file, or read from its upstream by introspection) in the store
// named by --db, as the admin API's PUT …/graphql-schema does.
import { readFileSync } from 'node:fs';
import { NotFoundError, WriteValidationError } from '../admin/config-service.ts';
import { ApiProblem } from '../admin/api/types.ts';
import { ConfigError, formatIssue } from '../core/config/errors.ts';
import { describeDb, parseDbUrl } from '../store/location.ts';
import { UsageError } from './args.ts';
import { actorName, type Io } from './config.ts';
import { importDb, parseImportArgs, runOnStore } from './import-common.ts';

const USAGE = 'portcullis import graphql --service NAME (SCHEMA.graphql | --introspect [--path /graphql])';

export async function runImportGraphql(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseImportArgs(argv, {
    db: { type: 'string' }, service: { type: 'string' }, introspect: { type: 'boolean' }, path: { type: 'string' },
  });
  const service = values.service;
  if (service === undefined) throw new UsageError(`--service is required: ${USAGE}`);
  const introspect = values.introspect === true;
  if (introspect === (positionals.length === 1) || positionals.length > 1) throw new UsageError(`give a schema file or --introspect: ${USAGE}`);
  if (values.path !== undefined && (!introspect || !values.path.startsWith('/'))) throw new UsageError('--path /P goes with --introspect');
  const db = importDb(values.db, env);
  let sdl: string | undefined;
  if (!introspect) {
    try {
      sdl = readFileSync(positionals[0]!, 'utf8');
    } catch (err) {
      io.err(`${positionals[0]}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
      return 1;
    }
  }
  const { introspectService, storeGraphqlSchema } = await import('../admin/api/graphql.ts');
  return runOnStore(db, io, async (config) => {
    const text = sdl ?? await introspectService(config, service, values.path);
    const r = await storeGraphqlSchema(config, service, text, { name: actorName() });
    io.out(r.stored
      ? `schema of "${service}" (${r.types} types) stored in ${describeDb(parseDbUrl(db))} as ${r.spec_id}`
      : `schema of "${service}" unchanged (already ${r.spec_id})`);
  }, (err) => {
    if (err instanceof NotFoundError || err instanceof ApiProblem) return [`portcullis: ${err.message}`];
    if (err instanceof WriteValidationError || err instanceof ConfigError) return [`the schema of "${service}" cannot be stored:`, ...err.issues.map((issue) => `  ${formatIssue(issue)}`)];
    return undefined;
  }, env);
}
