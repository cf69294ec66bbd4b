// The config entities the console edits, and typed calls for them. The seven collections share
// one shape (list/get/create/replace/patch/delete with ETags), so one set of functions serves
// them all; the path is typed as one representative collection and the answers as `Entity`.
import { components } from '../../../docs/admin-openapi.json';
import { admin, call } from '../api/client.ts';
import type { Schema, SchemaRoot } from './schema-form/schema.ts';

/** The admin API's component schemas (the same document the client's types come from). */
export const SCHEMAS = components.schemas as unknown as SchemaRoot;

export type Collection = 'services' | 'routes' | 'plugins' | 'consumers' | 'plans' | 'products' | 'subscriptions';

export interface Entity {
  id: string;
  name?: string;
  version: number;
  created_at: string;
  updated_at: string;
  [field: string]: unknown;
}

export interface Page<T> { data: T[]; next_cursor?: string }

export interface KindInfo {
  readonly collection: Collection;
  readonly title: string;
  readonly singular: string;
  readonly input: Schema;
  /** Columns beyond the name: field → header. */
  readonly columns: readonly (readonly [string, string])[];
}

const input = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

export const KINDS: Readonly<Record<Collection, KindInfo>> = {
  services: { collection: 'services', title: 'Services', singular: 'service', input: input('ServiceInput'), columns: [['targets', 'Targets'], ['path', 'Path']] },
  routes: { collection: 'routes', title: 'Routes', singular: 'route', input: input('RouteInput'), columns: [['service', 'Service'], ['paths', 'Paths'], ['methods', 'Methods']] },
  plugins: { collection: 'plugins', title: 'Plugins', singular: 'plugin instance', input: input('PlugininstanceInput'), columns: [['enabled', 'Enabled'], ['service', 'Service'], ['route', 'Route'], ['consumer', 'Consumer'], ['plan', 'Plan']] },
  consumers: { collection: 'consumers', title: 'Consumers', singular: 'consumer', input: input('ConsumerInput'), columns: [['groups', 'Groups'], ['custom_id', 'Custom id']] },
  plans: { collection: 'plans', title: 'Plans', singular: 'plan', input: input('PlanInput'), columns: [['title', 'Title'], ['rate_limits', 'Rate limits'], ['price', 'Price'], ['requires_approval', 'Approval']] },
  products: { collection: 'products', title: 'Products', singular: 'product', input: input('ProductInput'), columns: [['title', 'Title'], ['status', 'Status'], ['services', 'Services'], ['plans', 'Plans']] },
  subscriptions: { collection: 'subscriptions', title: 'Subscriptions', singular: 'subscription', input: input('SubscriptionInput'), columns: [['consumer', 'Consumer'], ['product', 'Product'], ['plan', 'Plan'], ['status', 'Status']] },
};

type ListPath = '/admin/services';
type ItemPath = '/admin/services/{id}';
const listPath = (c: Collection) => `/admin/${c}` as ListPath;
const itemPath = (c: Collection) => `/admin/${c}/{id}` as ItemPath;

export interface ListQuery { limit?: number; cursor?: string; sort?: string; [filter: string]: string | number | undefined }

export const listEntities = (c: Collection, query: ListQuery = {}) =>
  call(admin.GET(listPath(c), { params: { query: query as { limit?: number } } })) as Promise<Page<Entity>>;

export async function getEntity(c: Collection, id: string): Promise<{ entity: Entity; etag: string | undefined }> {
  const r = await admin.GET(itemPath(c), { params: { path: { id } } });
  const entity = (await call(Promise.resolve(r))) as unknown as Entity;
  return { entity, etag: r.response.headers.get('etag') ?? undefined };
}

export const createEntity = (c: Collection, body: unknown) =>
  call(admin.POST(listPath(c), { body: body as never })) as unknown as Promise<Entity>;

export const replaceEntity = (c: Collection, id: string, body: unknown, etag?: string) =>
  call(admin.PUT(itemPath(c), { params: { path: { id }, header: etag ? { 'If-Match': etag } : {} }, body: body as never })) as unknown as Promise<Entity>;

export const patchEntity = (c: Collection, id: string, body: Record<string, unknown>, etag?: string) =>
  call(admin.PATCH(itemPath(c), { params: { path: { id }, header: etag ? { 'If-Match': etag } : {} }, body: body as never })) as unknown as Promise<Entity>;

export const deleteEntity = (c: Collection, id: string) =>
  call(admin.DELETE(itemPath(c), { params: { path: { id } } }));

/** Short text for a cell (lists joined, objects summarised). */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' && v !== null ? ('url' in v ? String(v.url) : 'limit' in v && 'window' in v ? `${String(v.limit)}/${String(v.window)}` : JSON.stringify(v)) : String(v))).join(', ');
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('model' in o && 'currency' in o) return priceText(o);
    return JSON.stringify(value);
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** "USD 49.00/month + 0.10 per call" style summary of a plan price. */
export function priceText(p: Record<string, unknown>): string {
  const cur = String(p.currency ?? 'USD');
  const money = (minor: unknown) => `${cur} ${(Number(minor ?? 0) / 100).toFixed(2)}`;
  switch (p.model) {
    case 'flat': return `${money(p.monthly_minor)}/month`;
    case 'per_call': return `${Number(p.monthly_minor) > 0 ? `${money(p.monthly_minor)}/month + ` : ''}${money(p.per_call_minor)} per call${Number(p.included_calls) > 0 ? ` after ${String(p.included_calls)}` : ''}`;
    case 'tiered': return `tiered (${Array.isArray(p.tiers) ? p.tiers.length : 0} tiers)`;
    default: return 'free';
  }
}
