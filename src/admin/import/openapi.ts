// OpenAPI import: a Swagger 2.0 / OpenAPI 3.0 / 3.1 spec becomes one service and its routes.
//
//   parseSpec(source)          read (file or http(s) URL), parse, check the version, validate
//   planImport(spec, options)  → { service, routes, warnings }: a config fragment, pure
//   importOpenApi(config, …)   both, then ConfigService.apply in merge mode, and the spec stored
//
// The CLI (`portcullis import openapi`) and the admin API call importOpenApi. Problems with the
// spec, its source or the options are an OpenApiImportError (one line per problem); a fragment the
// configuration refuses as a whole (it clashes with what is there) is ConfigError from apply.
import type { ApplyResult, ConfigService } from '../config-service.ts';
import type { StoredEntity, Store, StoreSession } from '../../store/ports.ts';
import { importProblem, OpenApiImportError } from './errors.ts';
import { isObject, type Json } from './location.ts';
import { routeClashes, type ImportOutcome, type ImportRunOptions } from './outcome.ts';
import { detectVersion, parseSpecText, type SpecFormat } from './parse.ts';
import { IMPORT_TAG, planImport, type ImportedRoute, type ImportedService, type ImportPlan, type PlanOptions, type PlannableSpec } from './plan.ts';
import { MAX_SPEC_BYTES, readSource, type ReadOptions, type SourceText } from './source.ts';
import { externalRefs, validateWithSwaggerParser } from './validate.ts';

export { OpenApiImportError } from './errors.ts';
export { IMPORT_TAG, planImport } from './plan.ts';
export { FETCH_TIMEOUT_MS, MAX_SPEC_BYTES } from './source.ts';
export type { ImportedRoute, ImportedService, ImportPlan, PlanOptions, ReadOptions, SpecFormat };

/**
 * Where a spec comes from: a file path or an http(s) URL, or text already in hand (an upload to
 * the admin API; `url`, if given, is where it came from, for relative server URLs).
 */
export type SpecSource = string | { readonly text: string; readonly label?: string; readonly url?: string };

export interface ParsedSpec extends PlannableSpec {
  readonly format: SpecFormat;
  /** The version field as written: "2.0", "3.0.3", "3.1.0". */
  readonly specVersion: string;
  readonly title: string;
  /** info.version */
  readonly version: string;
  /** The validated document, internal $refs resolved (it may contain cycles: do not serialise). */
  readonly document: Json;
  /** The text as read, what gets stored. */
  readonly text: string;
  /** The path or URL, for messages. */
  readonly source: string;
  readonly url?: string;
  readonly warnings: readonly string[];
}

/** Reads and validates a spec; OpenApiImportError lists every problem found. */
export async function parseSpec(source: SpecSource, opts: ReadOptions = {}): Promise<ParsedSpec> {
  const read = typeof source === 'string' ? await readSource(source, opts) : textSource(source, opts.maxBytes ?? MAX_SPEC_BYTES);
  const raw = parseSpecText(read.text);
  const versioned = detectVersion(raw);
  const document = await validateWithSwaggerParser(versioned.forValidator, versioned.problems);
  const warnings = [...versioned.warnings];
  const external = externalRefs(raw);
  if (external.length > 0) {
    warnings.push(`${external.length} external $ref${external.length === 1 ? '' : 's'} not followed (only references inside the document are), e.g. ${external[0]}`);
  }
  const info = isObject(document.info) ? document.info : {};
  return {
    format: versioned.format,
    specVersion: versioned.specVersion,
    title: typeof info.title === 'string' ? info.title : '',
    version: typeof info.version === 'string' ? info.version : '',
    document,
    text: read.text,
    source: read.label,
    ...(read.url ? { url: read.url.href } : {}),
    warnings,
  };
}

function textSource(source: Exclude<SpecSource, string>, maxBytes: number): SourceText {
  if (Buffer.byteLength(source.text) > maxBytes) throw importProblem(`${source.label ?? 'spec'}: larger than the ${maxBytes}-byte limit for a spec`);
  if (source.url !== undefined && !URL.canParse(source.url)) throw importProblem(`url: "${source.url}" is not an absolute URL`);
  return { text: source.text, label: source.label ?? 'spec', ...(source.url === undefined ? {} : { url: new URL(source.url) }) };
}

export interface ImportOptions extends PlanOptions, ImportRunOptions {}

export interface ImportResult extends ImportOutcome {
  readonly format: SpecFormat;
  /** The stored spec (absent on a dry run). An unchanged spec is not stored twice. */
  readonly spec_id?: string;
}

/**
 * Imports a spec: creates or updates its service and routes by name and deletes nothing, so
 * routes added by hand, and other services, stay. On an existing service or route, the fields
 * the spec decides are replaced (targets, path and tags; a route's service, paths, methods and
 * tags) and everything else an operator tuned (timeouts, health checks, hosts, priority…) is kept.
 *
 * Throws OpenApiImportError (spec, source, options, or a route name owned by another service),
 * ConfigError / WriteValidationError from the apply.
 */
export async function importOpenApi(config: ConfigService, source: SpecSource, opts: ImportOptions): Promise<ImportResult> {
  const spec = await parseSpec(source, opts);
  const plan = planImport(spec, opts);
  const { document, warnings } = await withLocalSettings(config.store, plan);
  const result: ApplyResult = await config.apply(document, { dryRun: opts.dryRun === true, actor: opts.actor, merge: true });
  const specId = opts.dryRun === true ? undefined : await storeSpec(config.store, plan.service.name, spec);
  return {
    service: plan.service.name,
    routes: plan.routes.map((r) => r.name),
    format: spec.format,
    changes: result.changes,
    revision: result.revision,
    applied: result.applied,
    ...(specId === undefined ? {} : { spec_id: specId }),
    warnings: [...spec.warnings, ...plan.warnings, ...warnings],
  };
}

/**
 * The plan as a config document, laid over what the store has under the same names. Read outside
 * apply's transaction: a concurrent edit is at worst overwritten, as with any apply, and the
 * result is still checked as a whole there.
 */
async function withLocalSettings(store: Store, plan: ImportPlan): Promise<{ document: Json; warnings: string[] }> {
  const session = store.read();
  const existing = await session.getByKey('service', plan.service.name);
  const routes = new Map((await session.all('route')).map((r) => [r.key, r]));
  const clashes = routeClashes(plan.routes, routes, plan.service.name);
  if (clashes.length > 0) throw new OpenApiImportError(clashes);
  const planned = new Set(plan.routes.map((r) => r.name));
  const stale = [...routes.values()].filter((r) => r.data.service === plan.service.name && hasImportTag(r) && !planned.has(r.key));
  const warnings = stale.map((r) => `route "${r.key}" (from an earlier import) is not in this spec; it was kept, delete it if it is no longer needed`);
  // Merge mode deletes nothing, so a path rewrite from an earlier --strip-prefix import outlives it.
  const rewriting = new Set((await session.all('plugin')).filter((p) => p.data.name === 'request-transformer' && typeof p.data.route === 'string' && hasReplaceUri(p)).map((p) => String(p.data.route)));
  for (const r of plan.routes) {
    if (r.plugins === undefined && rewriting.has(r.name)) warnings.push(`route "${r.name}" keeps its request-transformer replace.uri (from an earlier import with stripPrefix); delete it if the upstream should get the request path`);
  }
  return {
    document: {
      format_version: 1,
      services: [existing ? overService(existing, plan.service) : plan.service],
      routes: plan.routes.map((r) => { const current = routes.get(r.name); return current ? overRoute(current, r) : r; }),
    },
    warnings,
  };
}

const hasImportTag = (e: StoredEntity) => Array.isArray(e.data.tags) && e.data.tags.includes(IMPORT_TAG);
const hasReplaceUri = (e: StoredEntity) => isObject(e.data.config) && isObject(e.data.config.replace) && typeof e.data.config.replace.uri === 'string';

function overService(current: StoredEntity, planned: ImportedService): Json {
  // Same upstream: keep the stored targets as they are (a tuned weight is not a change).
  const targets = Array.isArray(current.data.targets) ? current.data.targets : [];
  const sameTargets = targets.length === planned.targets.length && targets.every((t, i) => isObject(t) && t.url === planned.targets[i]!.url);
  return { ...current.data, ...planned, ...(sameTargets ? { targets } : {}) };
}

function overRoute(current: StoredEntity, planned: ImportedRoute): Json {
  return { ...current.data, ...planned };
}

/** Stores the spec text for the service, unless the latest stored one is the same text. */
/**
 * Stores a spec as the service's document (for the portal's reference and request-validator)
 * without touching its routes; nothing new when it equals the latest one. The demo uses it.
 */
export async function storeOpenApiDocument(store: Store, service: string, source: SpecSource): Promise<string> {
  return storeSpec(store, service, await parseSpec(source));
}

async function storeSpec(store: Store, service: string, spec: ParsedSpec): Promise<string> {
  const sameAsLatest = async (tx: StoreSession) => {
    const latest = (await tx.listSpecs(service)).at(-1);
    return latest !== undefined && latest.format === spec.format && (await tx.getSpec(latest.id))?.content === spec.text ? latest.id : undefined;
  };
  const unchanged = await sameAsLatest(store.read());
  if (unchanged !== undefined) return unchanged;
  // A new spec moves the config revision: gateways reload, and a request-validator using the
  // service's stored spec validates against this one.
  return store.write(async (tx) => {
    const again = await sameAsLatest(tx);
    if (again !== undefined) return again;
    const row = await tx.insertSpec({ service, format: spec.format, title: spec.title, version: spec.version, content: spec.text });
    return row.id;
  }, { bump: true });
}
