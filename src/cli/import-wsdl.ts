// `portcullis import wsdl WSDL`: a soap service, its proxy route and (with --rest) one mediated
// REST route per operation, from a WSDL 1.1 file or URL, written to the store named by --db.
import { parseArgs } from 'node:util';
import { ConfigService } from '../admin/config-service.ts';
import { ConfigError, formatIssue } from '../core/config/errors.ts';
import { BUNDLED_CATALOG } from '../plugins/index.ts';
import { DEFAULT_DB, describeDb, parseDbUrl } from '../store/location.ts';
import { checkDb, UsageError } from './args.ts';
import { actorName, formatChanges, StoreOpenError, withStore, type Io } from './config.ts';

export async function runImportWsdl(rest: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: {
      db: { type: 'string' }, 'service-name': { type: 'string' }, upstream: { type: 'string' },
      'soap-version': { type: 'string' }, 'path-prefix': { type: 'string' }, rest: { type: 'boolean' },
      tag: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' },
    } });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError('import wsdl takes one file or URL: portcullis import wsdl WSDL');
  const version = values['soap-version'];
  if (version !== undefined && version !== '1.1' && version !== '1.2') throw new UsageError('--soap-version must be "1.1" or "1.2"');
  const db = values.db ?? env.PORTCULLIS_DB ?? DEFAULT_DB;
  checkDb(db);
  const { importWsdl, ImportError } = await import('../admin/import/wsdl/index.ts');
  try {
    return await withStore(db, async (store) => {
      const result = await importWsdl(new ConfigService(store, BUNDLED_CATALOG), positionals[0]!, {
        ...(values['service-name'] !== undefined ? { serviceName: values['service-name'] } : {}),
        ...(values.upstream !== undefined ? { upstream: values.upstream } : {}),
        ...(version !== undefined ? { soapVersion: version } : {}),
        ...(values['path-prefix'] !== undefined ? { pathPrefix: values['path-prefix'] } : {}),
        rest: values.rest === true,
        tags: values.tag ?? [],
        dryRun: values['dry-run'] === true,
        actor: { name: actorName() },
      });
      for (const w of result.warnings) io.err(`warning: ${w}`);
      for (const line of formatChanges(result.changes)) io.out(line);
      io.out(`wsdl (SOAP ${result.soap_version}): service "${result.service}" with ${result.operations.length} operation${result.operations.length === 1 ? '' : 's'} and ${result.routes.length} route${result.routes.length === 1 ? '' : 's'}`);
      if (values['dry-run']) io.out('dry run: nothing written');
      else io.out(`imported into ${describeDb(parseDbUrl(db))}${result.applied ? `: revision ${result.revision}` : ' (no config changes)'}${result.spec_ids ? `; wsdl stored as ${result.spec_ids.wsdl}${result.spec_ids.openapi ? `, REST face as ${result.spec_ids.openapi}` : ''}` : ''}`);
      return 0;
    });
  } catch (err) {
    if (err instanceof StoreOpenError) {
      io.err(`portcullis: ${err.message}`);
      return 1;
    }
    if (err instanceof ImportError) {
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
