// `portcullis import graphql --service NAME (FILE | --introspect [--path /P])`: stores a graphql
// service's schema (SDL from a file, or read from its upstream by introspection) in the store
// named by --db, as the admin API's PUT …/graphql-schema does.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigService, NotFoundError, WriteValidationError } from '../admin/config-service.ts';
import { ApiProblem } from '../admin/api/types.ts';
import { ConfigError, formatIssue } from '../core/config/errors.ts';
import { BUNDLED_CATALOG } from '../plugins/index.ts';
import { DEFAULT_DB, describeDb, parseDbUrl } from '../store/location.ts';
import { checkDb, UsageError } from './args.ts';
import { actorName, StoreOpenError, withStore, type Io } from './config.ts';

const USAGE = 'portcullis import graphql --service NAME (SCHEMA.graphql | --introspect [--path /graphql])';

export async function runImportGraphql(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: {
      db: { type: 'string' }, service: { type: 'string' }, introspect: { type: 'boolean' }, path: { type: 'string' },
    } });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const service = values.service;
  if (service === undefined) throw new UsageError(`--service is required: ${USAGE}`);
  const introspect = values.introspect === true;
  if (introspect === (positionals.length === 1) || positionals.length > 1) throw new UsageError(`give a schema file or --introspect: ${USAGE}`);
  if (values.path !== undefined && (!introspect || !values.path.startsWith('/'))) throw new UsageError('--path /P goes with --introspect');
  const db = values.db ?? env.PORTCULLIS_DB ?? DEFAULT_DB;
  checkDb(db);
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
  try {
    return await withStore(db, async (store) => {
      const config = new ConfigService(store, BUNDLED_CATALOG);
      const text = sdl ?? await introspectService(config, service, values.path);
      const r = await storeGraphqlSchema(config, service, text, { name: actorName() });
      io.out(r.stored
        ? `schema of "${service}" (${r.types} types) stored in ${describeDb(parseDbUrl(db))} as ${r.spec_id}`
        : `schema of "${service}" unchanged (already ${r.spec_id})`);
      return 0;
    });
  } catch (err) {
    if (err instanceof StoreOpenError || err instanceof NotFoundError || err instanceof ApiProblem) {
      io.err(`portcullis: ${err.message}`);
      return 1;
    }
    if (err instanceof WriteValidationError || err instanceof ConfigError) {
      io.err(`the schema of "${service}" cannot be stored:`);
      for (const issue of err.issues) io.err(`  ${formatIssue(issue)}`);
      return 1;
    }
    throw err;
  }
}
