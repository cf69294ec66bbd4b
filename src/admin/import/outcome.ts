// What the OpenAPI and WSDL imports share around their own plans: the options that run an import,
// the core of what it reports, and the one rule for route names another service already owns.
import type { Actor, PlannedChange } from '../config-service.ts';
import type { StoredEntity } from '../../store/ports.ts';
import type { ReadOptions } from './source.ts';

export interface ImportRunOptions extends ReadOptions {
  /** Report what would change; write nothing (no config change, no stored document). */
  readonly dryRun?: boolean;
  /** For the audit log. */
  readonly actor: Actor;
}

export interface ImportOutcome {
  /** The service's name. */
  readonly service: string;
  /** Names of the routes the document became, in document order. */
  readonly routes: readonly string[];
  /** What the apply changed (or would change, on a dry run); empty when re-importing the same document. */
  readonly changes: readonly PlannedChange[];
  readonly revision: number;
  readonly applied: boolean;
  readonly warnings: readonly string[];
}

/**
 * One problem line per planned route whose name the store has under another service: an import
 * never takes a route over from another service.
 */
export function routeClashes(planned: readonly { readonly name: string }[], stored: ReadonlyMap<string, StoredEntity>, service: string): string[] {
  return planned.flatMap((r) => {
    const owner = stored.get(r.name)?.data.service;
    return owner !== undefined && owner !== service ? [`route "${r.name}" already exists for service "${String(owner)}"; import under another service name`] : [];
  });
}
