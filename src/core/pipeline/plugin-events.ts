// Counts of notable plugin outcomes (e.g. an upstream response that breaks the API description),
// kept here because plugins may not import telemetry; telemetry/metrics.ts exposes them as
// portcullis_plugin_events_total{plugin, event, service, route}.

export interface PluginEventCount {
  readonly labels: { readonly plugin: string; readonly event: string; readonly service: string; readonly route: string };
  value: number;
}

const counts = new Map<string, PluginEventCount>();

export function countPluginEvent(plugin: string, event: string, service: string | undefined, route: string | undefined): void {
  const key = `${plugin}\u0000${event}\u0000${service ?? ''}\u0000${route ?? ''}`;
  const known = counts.get(key);
  if (known) known.value++;
  else counts.set(key, { labels: { plugin, event, service: service ?? '', route: route ?? '' }, value: 1 });
}

export function pluginEventCounts(): Iterable<PluginEventCount> {
  return counts.values();
}
