// `portcullis import openapi SPEC`: a service and one route per operation (or per path) from an
// OpenAPI 3.0/3.1 or Swagger 2.0 file or URL, written to the store named by --db.
import type { Io } from './config.ts';
import { UsageError } from './args.ts';
import { importDb, parseImportArgs, plural, reportSpecImport, runOnStore, SPEC_IMPORT_FLAGS, specImportFailure, specImportOptions } from './import-common.ts';

export async function runImport(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind === 'wsdl') return (await import('./import-wsdl.ts')).runImportWsdl(rest, io, env);
  if (kind === 'graphql') return (await import('./import-graphql.ts')).runImportGraphql(rest, io, env);
  if (kind !== 'openapi') throw new UsageError(kind === undefined ? 'import needs a kind: portcullis import openapi SPEC | portcullis import wsdl WSDL | portcullis import graphql --service NAME FILE' : `cannot import "${kind}" (supported: openapi, wsdl, graphql)`);
  const { values, positionals } = parseImportArgs(rest, { ...SPEC_IMPORT_FLAGS, 'routes-by': { type: 'string' }, 'strip-prefix': { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError('import openapi takes one file or URL: portcullis import openapi SPEC');
  const by = values['routes-by'] ?? 'operation';
  if (by !== 'operation' && by !== 'path') throw new UsageError('--routes-by must be "operation" or "path"');
  const db = importDb(values.db, env);
  const source = positionals[0]!;
  const options = specImportOptions(values);
  const { importOpenApi } = await import('../admin/import/openapi.ts');
  return runOnStore(db, io, async (config) => {
    const result = await importOpenApi(config, source, { ...options, routesBy: by, stripPrefix: values['strip-prefix'] === true });
    reportSpecImport(io, db, result, {
      dryRun: options.dryRun,
      summary: `${result.format}: service "${result.service}" with ${plural(result.routes.length, 'route')}`,
      stored: result.spec_id ? `; spec stored as ${result.spec_id}` : '',
    });
  }, specImportFailure(source), env);
}
