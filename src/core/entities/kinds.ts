// The entity kinds the store and the admin API manage as one generic set: their schema (the
// form a client writes and reads), their natural key (what a config file identifies them by) and
// the columns the store indexes for filtering. Pure data: no store, no HTTP.
import Type, { type TObject, type TProperties } from 'typebox';
import { PluginInstanceSchema, RouteSchema, ServiceSchema } from '../config/schema.ts';
import { ConsumerSchema, NAME_PATTERN, PlanSchema, ProductSchema, SubscriptionSchema, TradingPartnerSchema } from './schemas.ts';

export const KIND_NAMES = ['service', 'route', 'plugin', 'consumer', 'plan', 'product', 'subscription', 'trading_partner'] as const;
export type KindName = (typeof KIND_NAMES)[number];
export type EntityData = Record<string, unknown>;

export interface EntityKind {
  readonly kind: KindName;
  /** URL segment, table name and config-file section (plugins are nested in the file). */
  readonly collection: 'services' | 'routes' | 'plugins' | 'consumers' | 'plans' | 'products' | 'subscriptions' | 'trading_partners';
  readonly title: string;
  readonly schema: TObject;
  /** Natural key, unique per kind: what a config file and `config diff` identify the entity by. */
  key(e: EntityData): string;
  /** Indexed columns besides the common ones; `?<param>=` filters on them. */
  readonly columns: readonly string[];
  columnValues(e: EntityData): Record<string, string | null>;
  /** Kinds deleted with this one (the file nests them in it). */
  readonly owns: readonly { kind: KindName; column: string }[];
}

function without(props: TProperties, name: string): TProperties {
  const { [name]: _dropped, ...rest } = props;
  return rest;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export const PluginEntitySchema = Type.Object({
  ...PluginInstanceSchema.properties,
  service: Type.Optional(Type.String({ pattern: NAME_PATTERN, description: 'Attach to this service (every route of it).' })),
  route: Type.Optional(Type.String({ pattern: NAME_PATTERN, description: 'Attach to this route only.' })),
}, { additionalProperties: false });

export function pluginScope(e: EntityData): 'global' | 'service' | 'route' {
  return typeof e.route === 'string' ? 'route' : typeof e.service === 'string' ? 'service' : 'global';
}

const byName = (e: EntityData) => String(e.name);

export const KINDS: Readonly<Record<KindName, EntityKind>> = {
  service: {
    kind: 'service', collection: 'services', title: 'Service',
    schema: Type.Object(without(ServiceSchema.properties, 'plugins'), { additionalProperties: false, description: 'An upstream API: targets, timeouts, retries, health checks.' }),
    key: byName, columns: [], columnValues: () => ({}),
    owns: [{ kind: 'plugin', column: 'service' }],
  },
  route: {
    kind: 'route', collection: 'routes', title: 'Route',
    schema: Type.Object(without(RouteSchema.properties, 'plugins'), { additionalProperties: false, description: 'Which requests go to which service.' }),
    key: byName, columns: ['service'], columnValues: (e) => ({ service: str(e.service) }),
    owns: [{ kind: 'plugin', column: 'route' }],
  },
  plugin: {
    kind: 'plugin', collection: 'plugins', title: 'Plugin instance',
    schema: PluginEntitySchema,
    key: (e) => `${String(e.name)}@${pluginScope(e)}${e.route ? `:${String(e.route)}` : e.service ? `:${String(e.service)}` : ''}`,
    columns: ['plugin', 'scope', 'service', 'route'],
    columnValues: (e) => ({ plugin: str(e.name), scope: pluginScope(e), service: str(e.service), route: str(e.route) }),
    owns: [],
  },
  consumer: {
    kind: 'consumer', collection: 'consumers', title: 'Consumer',
    schema: ConsumerSchema, key: byName, columns: ['custom_id'], columnValues: (e) => ({ custom_id: str(e.custom_id) }),
    owns: [{ kind: 'subscription', column: 'consumer' }],
  },
  plan: {
    kind: 'plan', collection: 'plans', title: 'Plan',
    schema: PlanSchema, key: byName, columns: [], columnValues: () => ({}), owns: [],
  },
  product: {
    kind: 'product', collection: 'products', title: 'Product',
    schema: ProductSchema, key: byName, columns: ['status'], columnValues: (e) => ({ status: str(e.status) }), owns: [],
  },
  subscription: {
    kind: 'subscription', collection: 'subscriptions', title: 'Subscription',
    schema: SubscriptionSchema, key: (e) => `${String(e.consumer)}/${String(e.product)}`,
    columns: ['consumer', 'product', 'plan', 'status'],
    columnValues: (e) => ({ consumer: str(e.consumer), product: str(e.product), plan: str(e.plan), status: str(e.status) }),
    owns: [],
  },
  trading_partner: {
    kind: 'trading_partner', collection: 'trading_partners', title: 'Trading partner',
    schema: TradingPartnerSchema, key: byName, columns: [], columnValues: () => ({}), owns: [],
  },
};

export const KIND_LIST: readonly EntityKind[] = KIND_NAMES.map((k) => KINDS[k]);
export const kindOfCollection = (collection: string): EntityKind | undefined => KIND_LIST.find((k) => k.collection === collection);
