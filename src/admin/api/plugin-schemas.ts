// The bundled plugins with their config JSON Schemas: what the console's plugin forms are built
// from (and what any other tool can validate a plugin instance's config against before writing).
import Type from 'typebox';
import { BUNDLED_PLUGINS } from '../../plugins/index.ts';
import type { Operation } from './types.ts';

const PluginSchema = Type.Object({
  name: Type.String(),
  version: Type.String(),
  description: Type.String(),
  priority: Type.Integer({ description: 'Higher runs earlier within a phase.' }),
  scopes: Type.Optional(Type.Array(Type.String(), { description: 'Where instances may be attached (absent: everywhere).' })),
  authenticates: Type.Boolean(),
  config_schema: Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema of the instance config.' }),
}, { title: 'BundledPlugin' });

// TypeBox keeps its own bookkeeping under "~" keys: a client wants plain JSON Schema.
const plainSchema = (schema: unknown) => JSON.parse(JSON.stringify(schema, (key, value: unknown) => (key.startsWith('~') ? undefined : value))) as Record<string, unknown>;

export function pluginSchemaOperations(): Operation[] {
  // Computed once: the bundled list is fixed for the life of the process.
  const body = {
    data: BUNDLED_PLUGINS.map((p) => ({
      name: p.name, version: p.version, description: p.description, priority: p.priority,
      ...(p.scopes ? { scopes: [...p.scopes] } : {}), authenticates: p.authenticates === true,
      config_schema: plainSchema(p.configSchema),
    })).sort((a, b) => a.name.localeCompare(b.name)),
  };
  return [{
    id: 'list-plugin-schemas', method: 'GET', path: '/admin/plugins/schemas', tag: 'Plugin', role: 'viewer',
    summary: 'List the bundled plugins with their config JSON Schemas',
    responses: { 200: { description: 'Every bundled plugin, by name.', schema: Type.Object({ data: Type.Array(PluginSchema) }) } },
    async handler() { return { body, headers: { 'cache-control': 'private, max-age=60' } }; },
  }];
}
