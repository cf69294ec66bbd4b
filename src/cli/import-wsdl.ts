// `portcullis import wsdl WSDL`: a soap service, its proxy route and (with --rest) one mediated
// REST route per operation, from a WSDL 1.1 file or URL, written to the store named by --db.
import type { Io } from './config.ts';
import { UsageError } from './args.ts';
import { importDb, parseImportArgs, plural, reportSpecImport, runOnStore, SPEC_IMPORT_FLAGS, specImportFailure, specImportOptions } from './import-common.ts';

export async function runImportWsdl(rest: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseImportArgs(rest, { ...SPEC_IMPORT_FLAGS, 'soap-version': { type: 'string' }, rest: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError('import wsdl takes one file or URL: portcullis import wsdl WSDL');
  const version = values['soap-version'];
  if (version !== undefined && version !== '1.1' && version !== '1.2') throw new UsageError('--soap-version must be "1.1" or "1.2"');
  const db = importDb(values.db, env);
  const source = positionals[0]!;
  const options = specImportOptions(values);
  const { importWsdl } = await import('../admin/import/wsdl/index.ts');
  return runOnStore(db, io, async (config) => {
    const result = await importWsdl(config, source, { ...options, ...(version !== undefined ? { soapVersion: version } : {}), rest: values.rest === true });
    const ids = result.spec_ids;
    reportSpecImport(io, db, result, {
      dryRun: options.dryRun,
      summary: `wsdl (SOAP ${result.soap_version}): service "${result.service}" with ${plural(result.operations.length, 'operation')} and ${plural(result.routes.length, 'route')}`,
      stored: ids ? `; wsdl stored as ${ids.wsdl}${ids.openapi ? `, REST face as ${ids.openapi}` : ''}` : '',
    });
  }, specImportFailure(source), env);
}
