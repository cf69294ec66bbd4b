// `portcullis validate FILE`: every problem in the file, one line each, exit 1 if any.
import { readFileSync } from 'node:fs';
import { ConfigError, formatIssue } from '../core/config/errors.ts';
import { loadConfigDocument } from '../core/snapshot/check.ts';
import { BUNDLED_CATALOG } from '../plugins/index.ts';

export function runValidate(file: string, out: (line: string) => void, err: (line: string) => void): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    err(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    return 1;
  }
  try {
    const { config, snapshot } = loadConfigDocument(text, BUNDLED_CATALOG);
    out(`${file}: valid (${config.services.length} services, ${config.routes.length} routes, ${config.plugins.length} global plugins; version ${snapshot.version})`);
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(`${file}: ${e.issues.length} problem${e.issues.length === 1 ? '' : 's'}`);
    for (const issue of e.issues) err(`  ${formatIssue(issue)}`);
    return 1;
  }
}
