// Spec text → a plain object and its OpenAPI version. YAML is parsed with aliases capped and
// duplicate keys refused (JSON is YAML, so one parser serves both). The version is settled here,
// before swagger-parser sees the document: its own messages for a missing or odd version are
// "[object Object] is not a valid Openapi API definition" and similar.
import YAML, { type YAMLError } from 'yaml';
import { importProblem, OpenApiImportError } from './errors.ts';
import { isObject, type Json } from './location.ts';

export type SpecFormat = 'openapi-2.0' | 'openapi-3.0' | 'openapi-3.1';

/** Expanding more aliases than this is treated as an alias bomb ("billion laughs"). */
const MAX_ALIASES = 100;

/** Patch versions swagger-parser 13.1 knows; a later patch of a known minor is checked as the last of these. */
const VALIDATOR_VERSIONS: Readonly<Record<'3.0' | '3.1', readonly string[]>> = {
  '3.0': ['3.0.0', '3.0.1', '3.0.2', '3.0.3', '3.0.4'],
  '3.1': ['3.1.0', '3.1.1', '3.1.2'],
};

export function parseSpecText(text: string): unknown {
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new OpenApiImportError(doc.errors.map(describeYamlError));
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw importProblem(`the YAML expands more than ${MAX_ALIASES} aliases (*name references); refused as a possible alias bomb`);
    }
    throw importProblem(`the YAML cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `line 3, column 1: Map keys must be unique` (the library's message ends with a code excerpt). */
function describeYamlError(error: YAMLError): string {
  const first = error.message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
  const at = error.linePos?.[0];
  return at ? `line ${at.line}, column ${at.col}: ${first}` : first;
}

export interface VersionedDocument {
  readonly format: SpecFormat;
  /** The version field as written: "2.0", "3.0.3", "3.1.0". */
  readonly specVersion: string;
  /** What swagger-parser should check: the document, with the mistakes already reported patched. */
  readonly forValidator: Json;
  readonly problems: string[];
  readonly warnings: string[];
}

const SUPPORTED = 'supported: Swagger 2.0, OpenAPI 3.0.x and 3.1.x';

/**
 * Decides the format. Mistakes that would make swagger-parser stop at once (a version or
 * info.version written as a YAML number, no paths) are reported here and patched in the copy
 * given to the validator, so that one run reports them together with everything else.
 */
export function detectVersion(raw: unknown): VersionedDocument {
  if (!isObject(raw)) {
    throw importProblem(`(document): must be a YAML or JSON object with "openapi" or "swagger" at the top, not ${describeValue(raw)}`);
  }
  const patched: Record<string, unknown> = { ...raw };
  const problems: string[] = [];
  const warnings: string[] = [];
  let format: SpecFormat;
  let specVersion: string;
  if ('swagger' in raw) {
    format = 'openapi-2.0';
    specVersion = '2.0';
    if (raw.swagger === 2) {
      problems.push('swagger: must be the string "2.0" (quote it: in YAML a bare 2.0 is a number)');
      patched.swagger = '2.0';
    } else if (raw.swagger !== '2.0') {
      throw importProblem(`swagger: version ${JSON.stringify(raw.swagger)} is not supported (${SUPPORTED})`);
    }
  } else if ('openapi' in raw) {
    const v = raw.openapi;
    if (typeof v === 'number') throw importProblem(`openapi: must be a string such as "3.0.3" (quote it: in YAML a bare ${v} is a number)`);
    const m = typeof v === 'string' ? /^3\.([01])\.(\d+)$/.exec(v) : null;
    if (!m) throw importProblem(`openapi: version ${JSON.stringify(v)} is not supported (${SUPPORTED})`);
    const minor = `3.${m[1]}` as '3.0' | '3.1';
    format = minor === '3.0' ? 'openapi-3.0' : 'openapi-3.1';
    specVersion = v as string;
    const known = VALIDATOR_VERSIONS[minor];
    if (!known.includes(specVersion)) {
      // OpenAPI patch releases only clarify the text; a later one validates like the last known.
      warnings.push(`openapi: ${specVersion} is newer than the validator knows; checked as ${known.at(-1)!}`);
      patched.openapi = known.at(-1);
    }
  } else if ('swaggerVersion' in raw) {
    throw importProblem(`swaggerVersion: Swagger ${String(raw.swaggerVersion)} is not supported (${SUPPORTED}); convert it to OpenAPI first`);
  } else {
    throw importProblem(`(document): has neither "openapi" nor "swagger", so it is not an OpenAPI description (${SUPPORTED})`);
  }
  const info = raw.info;
  if (isObject(info) && typeof info.version === 'number') {
    problems.push(`info.version: must be a string such as "${info.version}.0" (quote it: in YAML a bare ${info.version} is a number)`);
    patched.info = { ...info, version: String(info.version) };
  }
  if (raw.paths === undefined) {
    if (format === 'openapi-3.1' && raw.webhooks !== undefined) {
      // Valid 3.1 (webhooks only), but there is nothing to route: the planner warns.
    } else {
      problems.push(format === 'openapi-3.1' ? 'paths: is missing, so there is nothing to import (the document has no paths or webhooks)' : 'paths: is required');
      patched.paths = {};
    }
  }
  return { format, specVersion, forValidator: patched, problems, warnings };
}

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null || v === undefined) return 'an empty document';
  return `a ${typeof v}`;
}
