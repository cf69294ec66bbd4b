// Stored API specs (from `portcullis import openapi`) as a snapshot carries them: the raw text of
// each service's latest document, parsed on first use during one snapshot compile and shared by
// every plugin instance of that service, so a large spec is parsed once per snapshot.
import YAML from 'yaml';
import type { ServiceSpec } from '../pipeline/plugin.ts';

export interface StoredSpecRecord {
  readonly service: string;
  readonly id: string;
  readonly format: string;
  /** The document text as imported (JSON or YAML). */
  readonly content: string;
}

/** Plugin names whose instances read their service's stored spec (the store loads only those). */
export const SPEC_READING_PLUGINS: ReadonlySet<string> = new Set(['request-validator', 'graphql']);

/** Same limit as the importer: more aliases than this is treated as an alias bomb. */
const MAX_ALIASES = 100;

export function specLookup(records: readonly StoredSpecRecord[]): (service: string) => ServiceSpec | string | undefined {
  const byService = new Map(records.map((r) => [r.service, r]));
  const parsed = new Map<string, ServiceSpec | string>();
  return (service) => {
    const known = parsed.get(service);
    if (known !== undefined) return known;
    const record = byService.get(service);
    if (record === undefined) return undefined;
    let result: ServiceSpec | string;
    // A GraphQL schema is SDL text, not YAML: its plugin builds the schema from the text.
    if (record.format === 'graphql-sdl') result = { id: record.id, format: record.format, document: record.content };
    else try {
      const doc = YAML.parse(record.content, { maxAliasCount: MAX_ALIASES, uniqueKeys: true });
      result = { id: record.id, format: record.format, document: doc };
    } catch (err) {
      result = `the stored spec ${record.id} of service "${service}" cannot be parsed: ${(err as Error).message.split('\n', 1)[0]}`;
    }
    parsed.set(service, result);
    return result;
  };
}

interface PluginRef { readonly name?: unknown; readonly enabled?: unknown; readonly config?: unknown }
interface DocShape {
  readonly plugins?: readonly PluginRef[];
  readonly services?: readonly { readonly name: string; readonly protocol?: unknown; readonly graphql?: { readonly schema?: unknown }; readonly plugins?: readonly PluginRef[] }[];
  readonly routes?: readonly { readonly service: string; readonly plugins?: readonly PluginRef[] }[];
}

/**
 * The services whose stored spec the config needs: those with an enabled spec-reading plugin
 * instance (on the service or one of its routes) that does not carry its own document, and
 * graphql services without an inline schema (their implicit graphql instance reads it).
 */
export function servicesNeedingSpecs(config: DocShape): string[] {
  const reads = (p: PluginRef) => typeof p.name === 'string' && SPEC_READING_PLUGINS.has(p.name) && p.enabled !== false && !carriesOwnDocument(p.config);
  const out = new Set<string>();
  for (const s of config.services ?? []) {
    if ((s.plugins ?? []).some(reads)) out.add(s.name);
    if (s.protocol === 'graphql' && s.graphql?.schema === undefined) out.add(s.name);
  }
  for (const r of config.routes ?? []) if ((r.plugins ?? []).some(reads)) out.add(r.service);
  return [...out].sort();
}

function carriesOwnDocument(config: unknown): boolean {
  if (typeof config !== 'object' || config === null) return false;
  const c = config as Record<string, unknown>;
  return c.openapi !== undefined || c.schemas !== undefined || c.schema !== undefined;
}
