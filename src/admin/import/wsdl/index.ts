// WSDL import: a WSDL 1.1 document becomes a soap service, its proxy route and (optionally) one
// mediated REST route per operation; the WSDL is stored (format "wsdl") and, with REST routes, the
// OpenAPI document of the REST face (format "openapi-3.1") for the portal.
//
//   parseWsdl(text)                → operations and their element models (safe XML parser)
//   planWsdlImport(wsdl, options)  → the config fragment, pure
//   importWsdl(config, source, …)  → both, ConfigService.apply in merge mode, documents stored
//
// Sources, size limits, dry run and errors are those of the OpenAPI import (src/admin/import/).
import type { ConfigService } from '../../config-service.ts';
import type { Store, StoreSession } from '../../../store/ports.ts';
import { importProblem, OpenApiImportError } from '../errors.ts';
import { routeClashes, type ImportOutcome, type ImportRunOptions } from '../outcome.ts';
import { MAX_SPEC_BYTES, readSource } from '../source.ts';
import { restFaceOpenApi } from './openapi.ts';
import { parseWsdl } from './parse.ts';
import { planWsdlImport, type WsdlPlan, type WsdlPlanOptions } from './plan.ts';

export { parseWsdl, type ParsedWsdl, type WsdlOperation } from './parse.ts';
export { mediationConfig, planWsdlImport, WSDL_IMPORT_TAG, type WsdlPlan, type WsdlPlanOptions } from './plan.ts';
export { restFaceOpenApi } from './openapi.ts';
export { OpenApiImportError as ImportError } from '../errors.ts';

/** A file path or http(s) URL (CLI), or the text itself (admin API: it fetches nothing). */
/** The REST face is OpenAPI 3.1: stored under the same format name the OpenAPI import uses for 3.1. */
export const REST_FACE_FORMAT = 'openapi-3.1';

export type WsdlSource = string | { readonly text: string; readonly label?: string };

export interface WsdlImportOptions extends WsdlPlanOptions, ImportRunOptions {}

export interface WsdlImportResult extends ImportOutcome {
  readonly soap_version: string;
  readonly operations: readonly string[];
  /** Stored documents (absent on a dry run): the WSDL and, with REST routes, the OpenAPI face. */
  readonly spec_ids?: { readonly wsdl: string; readonly openapi?: string };
}

export async function importWsdl(config: ConfigService, source: WsdlSource, opts: WsdlImportOptions): Promise<WsdlImportResult> {
  const maxBytes = opts.maxBytes ?? MAX_SPEC_BYTES;
  let text: string;
  if (typeof source === 'string') text = (await readSource(source, opts)).text;
  else {
    if (Buffer.byteLength(source.text) > maxBytes) throw importProblem(`${source.label ?? 'wsdl'}: larger than the ${maxBytes}-byte limit for a document`);
    text = source.text;
  }
  const wsdl = parseWsdl(text);
  const plan = planWsdlImport(wsdl, opts);
  const document = await overStored(config.store, plan);
  const result = await config.apply(document, { dryRun: opts.dryRun === true, actor: opts.actor, merge: true });
  let specIds: WsdlImportResult['spec_ids'];
  if (opts.dryRun !== true) {
    const wsdlId = await storeDocument(config.store, plan.service.name, 'wsdl', wsdl.name, text);
    const openapi = plan.restPaths.size > 0 ? await storeDocument(config.store, plan.service.name, REST_FACE_FORMAT, `${wsdl.name} (REST face)`, JSON.stringify(restFaceOpenApi(plan, wsdl.name), null, 2)) : undefined;
    specIds = openapi === undefined ? { wsdl: wsdlId } : { wsdl: wsdlId, openapi };
  }
  return {
    service: plan.service.name,
    routes: plan.routes.map((r) => r.name),
    soap_version: plan.binding.version,
    operations: plan.binding.operations.map((o) => o.name),
    changes: result.changes,
    revision: result.revision,
    applied: result.applied,
    ...(specIds === undefined ? {} : { spec_ids: specIds }),
    warnings: plan.warnings,
  };
}

/**
 * The plan as a config document laid over what the store has under the same names: the fields the
 * WSDL decides are replaced, everything an operator tuned (timeouts, health checks, hosts…) stays.
 * A route name owned by another service is refused.
 */
async function overStored(store: Store, plan: WsdlPlan): Promise<Record<string, unknown>> {
  const session = store.read();
  const existing = await session.getByKey('service', plan.service.name);
  const routes = new Map((await session.all('route')).map((r) => [r.key, r]));
  const clashes = routeClashes(plan.routes, routes, plan.service.name);
  if (clashes.length > 0) throw new OpenApiImportError(clashes);
  return {
    format_version: 1,
    services: [existing ? { ...existing.data, ...plan.service } : plan.service],
    routes: plan.routes.map((r) => { const current = routes.get(r.name); return current ? { ...current.data, ...r } : r; }),
  };
}

/** Stores a document for the service unless the latest one of that format is the same text. */
async function storeDocument(store: Store, service: string, format: string, title: string, content: string): Promise<string> {
  const same = async (tx: StoreSession) => {
    const latest = (await tx.listSpecs(service)).filter((s) => s.format === format).at(-1);
    return latest !== undefined && (await tx.getSpec(latest.id))?.content === content ? latest.id : undefined;
  };
  const unchanged = await same(store.read());
  if (unchanged !== undefined) return unchanged;
  return store.write(async (tx) => {
    const again = await same(tx);
    if (again !== undefined) return again;
    return (await tx.insertSpec({ service, format, title, version: '', content })).id;
  }, { bump: true });
}
