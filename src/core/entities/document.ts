// A config document ↔ entity sets. The file nests plugin instances in their service or route; the
// store keeps them as entities of their own. Order is kept through `position` so that route
// declaration order (the router's last tie-break) and the file's layout survive a round trip.
import type { Config, GatewaySettings } from '../config/schema.ts';
import { KIND_NAMES, KINDS, pluginScope, type EntityData, type KindName } from './kinds.ts';

export interface EntityRecord {
  readonly key: string;
  readonly position: number;
  readonly data: EntityData;
}

export type EntitySets = Record<KindName, EntityRecord[]>;

export function emptySets(): EntitySets {
  return Object.fromEntries(KIND_NAMES.map((k) => [k, []])) as unknown as EntitySets;
}

function record(kind: KindName, data: EntityData, position: number): EntityRecord {
  return { key: KINDS[kind].key(data), position, data };
}

/** A checked config → the entities the store holds (gateway settings travel separately). */
export function decompose(config: Config): EntitySets {
  const sets = emptySets();
  const plugins: EntityData[] = [];
  config.plugins.forEach((p) => plugins.push({ ...p }));
  config.services.forEach(({ plugins: own, ...service }, i) => {
    sets.service.push(record('service', service, i));
    own.forEach((p) => plugins.push({ ...p, service: service.name }));
  });
  config.routes.forEach(({ plugins: own, ...route }, i) => {
    sets.route.push(record('route', route, i));
    own.forEach((p) => plugins.push({ ...p, route: route.name }));
  });
  plugins.forEach((p, i) => sets.plugin.push(record('plugin', p, i)));
  config.consumers.forEach((e, i) => sets.consumer.push(record('consumer', e, i)));
  config.plans.forEach((e, i) => sets.plan.push(record('plan', e, i)));
  config.products.forEach((e, i) => sets.product.push(record('product', e, i)));
  config.subscriptions.forEach((e, i) => sets.subscription.push(record('subscription', e, i)));
  (config.trading_partners ?? []).forEach((e, i) => sets.trading_partner.push(record('trading_partner', e, i)));
  return sets;
}

const ordered = (list: readonly EntityRecord[]) => [...list].sort((a, b) => a.position - b.position || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

/** Entities (+ settings) → a raw config document, not yet checked. */
export function assemble(sets: EntitySets, gateway: Partial<GatewaySettings> | undefined): Record<string, unknown> {
  const pluginsOf = (scope: 'global' | 'service' | 'route', name?: string) => ordered(sets.plugin)
    .filter((p) => pluginScope(p.data) === scope && (scope === 'global' || p.data[scope] === name))
    .map(({ data: { service: _s, route: _r, ...instance } }) => instance);
  return {
    format_version: 1,
    gateway: gateway ?? {},
    services: ordered(sets.service).map((s) => ({ ...s.data, plugins: pluginsOf('service', String(s.data.name)) })),
    routes: ordered(sets.route).map((r) => ({ ...r.data, plugins: pluginsOf('route', String(r.data.name)) })),
    plugins: pluginsOf('global'),
    consumers: ordered(sets.consumer).map((e) => e.data),
    plans: ordered(sets.plan).map((e) => e.data),
    products: ordered(sets.product).map((e) => e.data),
    subscriptions: ordered(sets.subscription).map((e) => e.data),
    trading_partners: ordered(sets.trading_partner).map((e) => e.data),
  };
}
