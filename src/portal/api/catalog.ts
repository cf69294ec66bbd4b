// The public catalog (no login): published products with their APIs (services) and plans side by
// side, one API's page (its stored documents by version, deprecation and sunset of its route
// versions, a changelog derived from the documents), search and tag filter. Only what a published
// product sells is visible: a service in no published product is "not found" here.
import Type from 'typebox';
import { parseYaml } from '../../core/config/load.ts';
import { ApiProblem, Timestamp } from '../../admin/api/types.ts';
import type { StoredEntity, StoreSession } from '../../store/ports.ts';
import type { SpecRow } from '../../store/schema.ts';
import type { PortalContext, PortalOperation } from './context.ts';

type SpecMeta = Omit<SpecRow, 'content'>;
interface DocSummary { description: string; paths: string[] }

const RouteVersionSchema = Type.Object({
  name: Type.String(), route: Type.String(),
  state: Type.Union([Type.Literal('active'), Type.Literal('deprecated'), Type.Literal('sunset')]),
  deprecated_at: Type.Optional(Timestamp), sunset_at: Type.Optional(Timestamp),
  link: Type.Optional(Type.String()), sunset_link: Type.Optional(Type.String()),
}, { title: 'CatalogApiVersion' });
const ApiSummarySchema = Type.Object({
  name: Type.String(), title: Type.String(), description: Type.String(), tags: Type.Array(Type.String()),
  protocol: Type.String(), version: Type.Union([Type.String(), Type.Null()], { description: 'The latest stored document’s version.' }),
  status: Type.Union([Type.Literal('active'), Type.Literal('deprecated'), Type.Literal('sunset')], { description: 'deprecated (or sunset) when every version its routes serve is.' }),
}, { title: 'CatalogApi' });
const PlanSchema = Type.Object({
  name: Type.String(), title: Type.String(), description: Type.String(),
  rate_limits: Type.Array(Type.Object({ window: Type.String(), limit: Type.Integer() })),
  quota: Type.Union([Type.Object({ period: Type.String(), limit: Type.Integer() }), Type.Null()]),
  price: Type.Object({ model: Type.String(), currency: Type.String(), monthly_minor: Type.Integer(), per_call_minor: Type.Number(), included_calls: Type.Integer(), tiers: Type.Array(Type.Object({ up_to: Type.Union([Type.Integer(), Type.Null()]), per_call_minor: Type.Number() })) }),
  requires_approval: Type.Boolean(),
}, { title: 'CatalogPlan' });
const ProductSchema = Type.Object({
  name: Type.String(), title: Type.String(), description: Type.String(), tags: Type.Array(Type.String()),
  apis: Type.Array(ApiSummarySchema), plans: Type.Array(PlanSchema),
}, { title: 'CatalogProduct' });
const DocumentMetaSchema = Type.Object({ id: Type.String(), version: Type.String(), title: Type.String(), format: Type.String(), created_at: Timestamp }, { title: 'CatalogDocumentMeta' });
const ChangeSchema = Type.Object({
  version: Type.String(), published_at: Timestamp,
  added_paths: Type.Array(Type.String()), removed_paths: Type.Array(Type.String()),
}, { title: 'CatalogChange' });
const ApiPageSchema = Type.Object({
  ...ApiSummarySchema.properties,
  products: Type.Array(Type.String({ description: 'Published products that include this API.' })),
  versions: Type.Array(RouteVersionSchema),
  documents: Type.Array(DocumentMetaSchema, { description: 'Stored documents, oldest first.' }),
  changelog: Type.Array(ChangeSchema, { description: 'Newest first: what each stored document changed from the one before (paths added and removed).' }),
}, { title: 'CatalogApiPage' });
const DocumentSchema = Type.Object({ ...DocumentMetaSchema.properties, content: Type.String() }, { title: 'CatalogDocument' });

const str = (v: unknown, fallback = '') => (typeof v === 'string' ? v : fallback);
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function catalogOperations(ctx: PortalContext): PortalOperation[] {
  const { store, settings } = ctx;
  // Stored documents never change (a new version is a new row): parse each once.
  const summaries = new Map<string, DocSummary>();
  const summaryOf = async (session: StoreSession, meta: SpecMeta | undefined): Promise<DocSummary> => {
    if (!meta) return { description: '', paths: [] };
    let s = summaries.get(meta.id);
    if (!s) {
      const row = await session.getSpec(meta.id);
      s = { description: '', paths: [] };
      try {
        const doc = parseYaml(row?.content ?? '') as { info?: { description?: unknown }; paths?: unknown };
        s = { description: str(doc?.info?.description), paths: doc?.paths && typeof doc.paths === 'object' ? Object.keys(doc.paths).sort() : [] };
      } catch { /* a document that does not parse has no summary */ }
      if (summaries.size > 1000) summaries.clear();
      summaries.set(meta.id, s);
    }
    return s;
  };

  const versionsOf = (routes: StoredEntity[], service: string, now: number) => routes
    .filter((r) => r.data.service === service && r.data.version && typeof r.data.version === 'object')
    .map((r) => {
      const v = r.data.version as Record<string, unknown>;
      const sunset = typeof v.sunset_at === 'string' ? v.sunset_at : undefined;
      const deprecated = typeof v.deprecated_at === 'string' ? v.deprecated_at : undefined;
      const state = sunset && Date.parse(sunset) <= now ? 'sunset' : deprecated && Date.parse(deprecated) <= now ? 'deprecated' : 'active';
      return { name: str(v.name), route: r.key, state, ...(deprecated ? { deprecated_at: deprecated } : {}), ...(sunset ? { sunset_at: sunset } : {}), ...(typeof v.link === 'string' ? { link: v.link } : {}), ...(typeof v.sunset_link === 'string' ? { sunset_link: v.sunset_link } : {}) };
    });

  /** Everything the catalog shows, read in one session. */
  const load = async () => {
    const session = store.read();
    const [products, services, plans, routes] = await Promise.all([session.all('product'), session.all('service'), session.all('plan'), session.all('route')]);
    const published = products.filter((p) => p.data.status === 'published');
    const now = settings.now();
    const apiCache = new Map<string, Record<string, unknown>>();
    const api = async (name: string) => {
      const cached = apiCache.get(name);
      if (cached) return cached;
      const service = services.find((s) => s.key === name);
      if (!service) return undefined;
      const specs = await session.listSpecs(name);
      const latest = specs.at(-1);
      const versions = versionsOf(routes, name, now);
      const status = versions.length > 0 && versions.every((v) => v.state !== 'active') ? (versions.every((v) => v.state === 'sunset') ? 'sunset' : 'deprecated') : 'active';
      const summary = {
        name, title: latest?.title || name, description: (await summaryOf(session, latest)).description, tags: strings(service.data.tags),
        protocol: str(service.data.protocol, 'http'), version: latest?.version ?? null, status,
      };
      apiCache.set(name, summary);
      return summary;
    };
    const plan = (name: string) => {
      const p = plans.find((x) => x.key === name)?.data;
      if (!p) return undefined;
      const price = (p.price ?? {}) as Record<string, unknown>;
      return {
        name, title: str(p.title, name), description: str(p.description), rate_limits: (p.rate_limits ?? []) as unknown[], quota: p.quota ?? null,
        price: { model: str(price.model, 'free'), currency: str(price.currency, 'USD'), monthly_minor: Number(price.monthly_minor ?? 0), per_call_minor: Number(price.per_call_minor ?? 0), included_calls: Number(price.included_calls ?? 0), tiers: (price.tiers ?? []) as unknown[] },
        requires_approval: p.requires_approval === true,
      };
    };
    const product = async (p: StoredEntity) => ({
      name: p.key, title: str(p.data.title, p.key), description: str(p.data.description), tags: strings(p.data.tags),
      apis: (await Promise.all(strings(p.data.services).map(api))).filter((a) => a !== undefined),
      plans: strings(p.data.plans).map(plan).filter((x) => x !== undefined),
    });
    return { session, published, routes, product, api, now };
  };

  return [
    {
      id: 'portal-catalog', method: 'GET', path: '/portal/api/catalog', tag: 'Catalog',
      summary: 'Published products with their APIs and plans; search and tag filter',
      query: [
        { name: 'q', description: 'Words to find (case-insensitive) in product and API names, titles and descriptions.', schema: Type.String({ maxLength: 200 }) },
        { name: 'tag', description: 'Only products that carry this tag, or sell an API that does.', schema: Type.String({ maxLength: 64 }) },
      ],
      responses: { 200: { description: 'The catalog.', schema: Type.Object({ data: Type.Array(ProductSchema) }) } },
      async handler(input) {
        const q = (input.query.q ?? '').trim().toLowerCase().slice(0, 200);
        const tag = input.query.tag;
        const { published, product } = await load();
        const all = await Promise.all(published.map(product));
        const text = (p: Awaited<ReturnType<typeof product>>) => [p.name, p.title, p.description, ...p.apis.flatMap((a) => [a.name, a.title, a.description])].join('\n').toLowerCase();
        const words = q.split(/\s+/).filter(Boolean);
        const data = all.filter((p) => (tag === undefined || p.tags.includes(tag) || p.apis.some((a) => (a.tags as string[]).includes(tag))) && words.every((w) => text(p).includes(w)));
        return { body: { data } };
      },
    },
    {
      id: 'portal-catalog-product', method: 'GET', path: '/portal/api/catalog/products/{product}', tag: 'Catalog',
      summary: 'One published product: its APIs and its plans side by side',
      responses: { 200: { description: 'The product.', schema: ProductSchema } },
      problems: ['not-found'],
      async handler(input) {
        const { published, product } = await load();
        const p = published.find((x) => x.key === input.params.product);
        if (!p) throw new ApiProblem('not-found', 'no such published product');
        return { body: await product(p) };
      },
    },
    {
      id: 'portal-catalog-api', method: 'GET', path: '/portal/api/catalog/apis/{api}', tag: 'Catalog',
      summary: 'One API’s page: its documents by version, its versions’ deprecation and sunset, a changelog',
      responses: { 200: { description: 'The API.', schema: ApiPageSchema } },
      problems: ['not-found'],
      async handler(input) {
        const name = input.params.api!;
        const { session, published, routes, api, now } = await load();
        const products = published.filter((p) => strings(p.data.services).includes(name)).map((p) => p.key);
        const summary = products.length > 0 ? await api(name) : undefined;
        if (!summary) throw new ApiProblem('not-found', 'no such API in a published product');
        const specs = await session.listSpecs(name);
        const changelog = [];
        let previous: string[] = [];
        for (const spec of specs) {
          const { paths } = await summaryOf(session, spec);
          changelog.push({ version: spec.version, published_at: spec.created_at, added_paths: paths.filter((p) => !previous.includes(p)), removed_paths: previous.filter((p) => !paths.includes(p)) });
          previous = paths;
        }
        return {
          body: {
            ...summary, products, versions: versionsOf(routes, name, now),
            documents: specs.map((s) => ({ id: s.id, version: s.version, title: s.title, format: s.format, created_at: s.created_at })),
            changelog: changelog.toReversed(),
          },
        };
      },
    },
    {
      id: 'portal-catalog-document', method: 'GET', path: '/portal/api/catalog/apis/{api}/documents/{document}', tag: 'Catalog',
      summary: 'One stored document of an API (its text as imported)',
      responses: { 200: { description: 'The document.', schema: DocumentSchema } },
      problems: ['not-found'],
      async handler(input) {
        const { published } = await load();
        const name = input.params.api!;
        if (!published.some((p) => strings(p.data.services).includes(name))) throw new ApiProblem('not-found', 'no such API in a published product');
        const row = await store.read().getSpec(input.params.document!);
        if (!row || row.service !== name) throw new ApiProblem('not-found', 'no such document');
        return { body: { id: row.id, version: row.version, title: row.title, format: row.format, created_at: row.created_at, content: row.content } };
      },
    },
  ];
}
