// The full check of a config document, as `portcullis validate` and every (re)load run it:
// schema, cross references, plugin configs and route patterns. When the schema stage fails, the
// later stages still look at every part they can, so one run lists every problem.
import { ConfigError, pointerToPath, type ConfigIssue } from '../config/errors.ts';
import { checkConfig, parseYaml } from '../config/load.ts';
import type { Config, PluginInstance } from '../config/schema.ts';
import { compileInstance, type PluginCatalog } from '../pipeline/compile.ts';
import type { Scope } from '../pipeline/phases.ts';
import { compileEnvOf } from '../pipeline/plugin.ts';
import { parsePathPattern } from '../router/patterns.ts';
import { compileSnapshot, type Snapshot } from './compile.ts';
import type { StoredSpecRecord } from './specs.ts';

export function loadConfigDocument(text: string, catalog: PluginCatalog): { config: Config; snapshot: Snapshot } {
  return checkDocument(parseYaml(text), catalog);
}

/** `specs`: the stored API specs of the services whose plugins read them (store mode). */
export function checkDocument(raw: unknown, catalog: PluginCatalog, specs?: readonly StoredSpecRecord[]): { config: Config; snapshot: Snapshot } {
  let config: Config;
  try {
    config = checkConfig(raw);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(merge(err.issues, laterStageIssues(raw, catalog)));
  }
  return { config, snapshot: compileSnapshot(specs && specs.length > 0 ? { ...config, specs } : config, catalog) };
}

function merge(a: ConfigIssue[], b: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set(a.map((i) => `${i.pointer}\u0000${i.message}`));
  return [...a, ...b.filter((i) => !seen.has(`${i.pointer}\u0000${i.message}`))];
}

const objects = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map((x) => (x !== null && typeof x === 'object' ? x as Record<string, unknown> : {})) : []);

/** Plugin and route-pattern problems in a document whose schema check failed. */
function laterStageIssues(raw: unknown, catalog: PluginCatalog): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const doc = raw !== null && typeof raw === 'object' ? raw as Record<string, unknown> : {};
  const env = compileEnvOf(doc.gateway as Parameters<typeof compileEnvOf>[0]);
  const plugins = (list: unknown, base: string, scope: Scope, owner: unknown) => objects(list).forEach((inst, i) => {
    if (typeof inst.name !== 'string') return;
    const instance = { enabled: true, config: {}, ...inst } as PluginInstance;
    compileInstance(catalog, instance, `${base}/${i}`, scope, typeof owner === 'string' ? owner : '', issues, env);
  });
  plugins(doc.plugins, '/plugins', 'global', '');
  objects(doc.services).forEach((s, i) => plugins(s.plugins, `/services/${i}/plugins`, 'service', s.name));
  objects(doc.routes).forEach((r, i) => {
    plugins(r.plugins, `/routes/${i}/plugins`, 'route', r.name);
    if (!Array.isArray(r.paths)) return;
    r.paths.forEach((p: unknown, j: number) => {
      if (typeof p !== 'string') return;
      const parsed = parsePathPattern(p);
      const pointer = `/routes/${i}/paths/${j}`;
      if (typeof parsed === 'string') issues.push({ pointer, path: pointerToPath(pointer), message: parsed });
    });
  });
  return issues;
}
