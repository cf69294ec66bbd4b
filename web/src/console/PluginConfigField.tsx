// Plugin instances: the name is chosen from the bundled plugins, and the config form is generated
// from the chosen plugin's own JSON Schema (GET /admin/plugins/schemas).
import { useEffect, useState } from 'react';
import { admin, call } from '../api/client.ts';
import type { components } from '../api/admin.gen/index.ts';
import { SelectField } from '../ui/Field.tsx';
import { SchemaField, type WidgetProps } from './schema-form/SchemaForm.tsx';
import type { Schema } from './schema-form/schema.ts';

type BundledPlugin = components['schemas']['BundledPlugin'];

let cache: Promise<BundledPlugin[]> | undefined;

export function usePluginSchemas(enabled: boolean): BundledPlugin[] | undefined {
  const [list, setList] = useState<BundledPlugin[]>();
  useEffect(() => {
    if (!enabled) return;
    cache ??= call(admin.GET('/admin/plugins/schemas')).then((r) => r.data);
    cache.then(setList, () => { cache = undefined; });
  }, [enabled]);
  return list;
}

export function PluginConfigField({ plugins, pluginName, ...p }: WidgetProps & { plugins: BundledPlugin[] | undefined; pluginName: string | undefined }) {
  const plugin = plugins?.find((x) => x.name === pluginName);
  if (!plugin) return <p className="hint">Choose a plugin to configure it.</p>;
  const schema = plugin.config_schema as Schema;
  return <SchemaField schema={schema} value={p.value ?? {}} onChange={p.onChange} pointer={p.pointer} label={`${plugin.name} config`} required ctx={{ ...p.ctx, root: { ...p.ctx.root, ...(schema.$defs as Record<string, Schema> | undefined) }, widgets: {} }} />;
}

PluginConfigField.Name = function PluginName({ plugins, value, onChange, label, ctx, pointer, schema }: WidgetProps & { plugins: BundledPlugin[] | undefined }) {
  const options = [{ value: '', label: plugins ? 'Choose a plugin' : 'Loading plugins…' }, ...(plugins ?? []).map((x) => ({ value: x.name, label: `${x.name} — ${x.description}` }))];
  return <SelectField label={label} hint={schema.description as string | undefined} error={ctx.errors.get(pointer)} required value={typeof value === 'string' ? value : ''} options={options} onChange={(v) => onChange(v === '' ? undefined : v)} />;
};
