// `portcullis import openapi SPEC`: a service and one route per operation (or per path) from an
// OpenAPI 3.0/3.1 or Swagger 2.0 file or URL, written to the store named by --db.
import { parseArgs } from 'node:util';
import { ConfigService } from '../admin/config-service.ts';
import { ConfigError, formatIssue } from '../core/config/errors.ts';
import { BUNDLED_CATALOG } from '../plugins/index.ts';
import { DEFAULT_DB, describeDb, parseDbUrl } from '../store/location.ts';
import { checkDb, UsageError } from './args.ts';
import { actorName, formatChanges, StoreOpenError, withStore, type Io } from './config.ts';

export async function runImport(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind === 'wsdl') return (await import('./import-wsdl.ts')).runImportWsdl(rest, io, env);
  if (kind === 'graphql') return (await import('./import-graphql.ts')).runImportGraphql(rest, io, env);
  if (kind !== 'openapi') throw new UsageError(kind === undefined ? 'import needs a kind: portcullis import openapi SPEC | portcullis import wsdl WSDL | portcullis import graphql --service NAME FILE' : `cannot import "${kind}" (supported: openapi, wsdl, graphql)`);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: {
      db: { type: 'string' }, 'service-name': { type: 'string' }, upstream: { type: 'string' },
      'routes-by': { type: 'string' }, 'path-prefix': { type: 'string' }, 'strip-prefix': { type: 'boolean' },
      tag: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' },
    } });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('import openapi takes one file or URL: portcullis import openapi SPEC');
  const by = values['routes-by'] ?? 'operation';
  if (by !== 'operation' && by !== 'path') throw new UsageError('--routes-by must be "operation" or "path"');
  const db = values.db ?? env.PORTCULLIS_DB ?? DEFAULT_DB;
  checkDb(db);
  const { importOpenApi, OpenApiImportError } = await import('../admin/import/openapi.ts');
  try {
    return await withStore(db, async (store) => {
      const result = await importOpenApi(new ConfigService(store, BUNDLED_CATALOG), positionals[0]!, {
        ...(values['service-name'] !== undefined ? { serviceName: values['service-name'] } : {}),
        ...(values.upstream !== undefined ? { upstream: values.upstream } : {}),
        routesBy: by,
        ...(values['path-prefix'] !== undefined ? { pathPrefix: values['path-prefix'] } : {}),
        stripPrefix: values['strip-prefix'] === true,
        tags: values.tag ?? [],
        dryRun: values['dry-run'] === true,
        actor: { name: actorName() },
      });
      for (const w of result.warnings) io.err(`warning: ${w}`);
      for (const line of formatChanges(result.changes)) io.out(line);
      io.out(`${result.format}: service "${result.service}" with ${result.routes.length} route${result.routes.length === 1 ? '' : 's'}`);
      if (values['dry-run']) io.out('dry run: nothing written');
      else io.out(`imported into ${describeDb(parseDbUrl(db))}${result.applied ? `: revision ${result.revision}` : ' (no config changes)'}${result.spec_id ? `; spec stored as ${result.spec_id}` : ''}`);
      return 0;
    });
  } catch (err) {
    if (err instanceof StoreOpenError) {
      io.err(`portcullis: ${err.message}`);
      return 1;
    }
    if (err instanceof OpenApiImportError) {
      io.err(`${positionals[0]}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`);
      for (const p of err.problems) io.err(`  ${p}`);
      return 1;
    }
    if (err instanceof ConfigError) {
      io.err(`${positionals[0]}: the resulting config is invalid`);
      for (const issue of err.issues) io.err(`  ${formatIssue(issue)}`);
      return 1;
    }
    throw err;
  }
}
