// Turns schema validation errors into one line per problem, naming the path the way a person
// reads the file: `services[2].targets[0].url: must be an http(s) URL`.
import type { TLocalizedValidationError } from 'typebox/error';
import { FORMAT_MESSAGES } from './formats.ts';

export interface ConfigIssue {
  /** Dotted path into the document, e.g. services[2].targets[0].url ("" for the root). */
  path: string;
  /** JSON pointer into the document (RFC 6901), for APIs. */
  pointer: string;
  message: string;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** `/services/2/targets/0/url` → `services[2].targets[0].url`. */
export function pointerToPath(pointer: string): string {
  if (pointer === '' || pointer === '/') return '';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const token = unescapePointer(raw);
    if (/^\d+$/.test(token)) out += `[${token}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(token)) out += out === '' ? token : `.${token}`;
    else out += `[${JSON.stringify(token)}]`;
  }
  return out;
}

function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function resolveSchema(root: unknown, schemaPath: string): Record<string, unknown> | undefined {
  let node: unknown = root;
  for (const raw of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[unescapePointer(raw)];
  }
  return node !== null && typeof node === 'object' ? node as Record<string, unknown> : undefined;
}

function describeUnion(schema: Record<string, unknown> | undefined): string | undefined {
  const options = schema?.anyOf;
  if (!Array.isArray(options)) return undefined;
  const literals = options.map((o) => (o as { const?: unknown }).const);
  if (literals.some((l) => l === undefined)) return undefined;
  return `must be one of ${literals.map((l) => JSON.stringify(l)).join(', ')}`;
}

function issueFromError(rootSchema: unknown, error: TLocalizedValidationError): ConfigIssue[] {
  const pointer = error.instancePath;
  const at = (p: string, message: string): ConfigIssue => ({ path: pointerToPath(p), pointer: p, message });
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return (params.requiredProperties as string[]).map((prop) => at(`${pointer}/${escapePointer(prop)}`, 'is required'));
    case 'additionalProperties':
      return (params.additionalProperties as string[]).map((prop) => at(`${pointer}/${escapePointer(prop)}`, 'is not a known field'));
    case 'boolean':
      return []; // the additionalProperties error above says the same, better
    case 'format':
      return [at(pointer, FORMAT_MESSAGES[params.format as string] ?? `must be a valid ${String(params.format)}`)];
    case 'pattern': {
      const schema = resolveSchema(rootSchema, error.schemaPath);
      return [at(pointer, typeof schema?.description === 'string' ? `is not valid (${schema.description})` : `must match ${String(params.pattern)}`)];
    }
    case 'anyOf':
      return [at(pointer, describeUnion(resolveSchema(rootSchema, error.schemaPath)) ?? error.message)];
    case 'const':
      return [at(pointer, `must be ${JSON.stringify(params.allowedValue)}`)];
    default:
      return [at(pointer, error.message)];
  }
}

/** One issue per distinct path and message, in document order; union branch noise dropped. */
export function issuesFromErrors(rootSchema: unknown, errors: Iterable<TLocalizedValidationError>): ConfigIssue[] {
  const all = [...errors];
  // A failed union also reports each branch's failure at the same path: keep only the union line.
  const unionPaths = new Set(all.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const error of all) {
    if (error.keyword !== 'anyOf' && unionPaths.has(error.instancePath)) continue;
    for (const issue of issueFromError(rootSchema, error)) {
      const key = `${issue.pointer}\u0000${issue.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}
