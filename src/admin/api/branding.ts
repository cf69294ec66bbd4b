// Portal branding in the admin API: the portal's name, colours (with WCAG contrast warnings) and
// logo, and its custom Markdown pages (the pure checks and the renderer are in
// src/core/branding/, shared with the portal). Reading needs the viewer role, changing it editor; every
// change is in the audit log. The portal shows it through /portal/api/branding and
// /portal/api/pages/{slug} (src/portal/branding/operations.ts). See docs/portal.md.
import Type, { type Static } from 'typebox';
import { contrastWarnings, textOn } from '../../core/branding/contrast.ts';
import { checkLogo, LOGO_TYPES } from '../../core/branding/logo.ts';
import { renderMarkdown } from '../../core/branding/markdown.ts';
import { validate } from '../../core/config/validate.ts';
import type { Page } from '../../store/branding/model.ts';
import type { Store, StoreSession } from '../../store/ports.ts';
import type { PortalBrandingRow } from '../../store/schema.ts';
import { WriteValidationError } from '../config-service.ts';
import { ApiProblem, etagOf, expectedVersion, type OpInput, type Operation } from './types.ts';

// --- schemas and presentation (shared with the portal's public endpoints) ---------------------

/** The design system's own colours (web/src/styles/tokens.css): what an unbranded portal shows. */
export const DEFAULT_BRANDING = { name: 'Developer portal', primary_color: '#1f4b99', accent_color: '#2563eb' } as const;

const Colour = (what: string) => Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: `${what} as #rrggbb.` });

export const BrandingInput = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 80, pattern: '\\S', description: 'The portal\'s name, shown in its header and the browser tab.' }),
  primary_color: Colour('Buttons, links and the active navigation item'),
  accent_color: Colour('Decorations: the header\'s border and highlights'),
}, { additionalProperties: false, title: 'PortalBrandingInput' });
export type BrandingInputValue = Static<typeof BrandingInput>;

export const LogoInput = Type.Object({
  content_type: Type.Union(LOGO_TYPES.map((t) => Type.Literal(t)), { description: 'The file\'s type; checked against its bytes.' }),
  data: Type.String({ maxLength: 360_000, description: 'The file, base64-encoded (at most 256 KiB decoded).' }),
}, { additionalProperties: false, title: 'PortalLogoInput' });
export type LogoInputValue = Static<typeof LogoInput>;

export const PageInput = Type.Object({
  slug: Type.String({ pattern: '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$', description: 'The page\'s address: /pages/{slug}. Lower-case letters, digits and dashes.' }),
  title: Type.String({ minLength: 1, maxLength: 120, pattern: '\\S' }),
  body: Type.String({ maxLength: 100_000, description: 'Markdown (GitHub flavoured). Raw HTML is shown as text; links and images may only use http(s) or relative URLs.' }),
  published: Type.Boolean({ default: false, description: 'Shown in the portal (and its navigation) only when published.' }),
  nav_order: Type.Integer({ minimum: 0, maximum: 1000, default: 0, description: 'Position in the portal\'s navigation (lowest first; ties by title).' }),
}, { additionalProperties: false, title: 'PortalPageInput' });
export type PageInputValue = Static<typeof PageInput>;

const Warning = Type.Object({ field: Type.String(), ratio: Type.Number(), message: Type.String() }, { title: 'ContrastWarning' });

export const BrandingSchema = Type.Object({
  name: Type.String(),
  primary_color: Type.String(),
  accent_color: Type.String(),
  primary_text_color: Type.String({ description: 'The label colour used on primary-coloured buttons (white or near-black, whichever contrasts more).' }),
  logo: Type.Union([Type.Object({ content_type: Type.String(), url: Type.String(), sha256: Type.String() }), Type.Null()]),
  warnings: Type.Array(Warning, { description: 'WCAG AA contrast warnings for the colours (empty when they pass).' }),
  updated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null until branding is first set.' }),
  version: Type.Integer({ description: '0 until branding is first set.' }),
}, { title: 'PortalBranding' });

export const PageSchema = Type.Object({
  id: Type.String(), slug: Type.String(), title: Type.String(), body: Type.String(), published: Type.Boolean(), nav_order: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }), updated_at: Type.String({ format: 'date-time' }), version: Type.Integer(),
}, { title: 'PortalPage' });

/** Where the portal serves the logo; the hash makes a new logo a new URL (no stale caches). */
export const LOGO_PATH = '/portal/api/branding/logo';

export function presentBranding(row: PortalBrandingRow | undefined) {
  const b = row ?? { ...DEFAULT_BRANDING, logo_type: null, logo_sha256: null, updated_at: null, version: 0 };
  return {
    name: b.name, primary_color: b.primary_color, accent_color: b.accent_color, primary_text_color: textOn(b.primary_color),
    logo: b.logo_type && b.logo_sha256 ? { content_type: b.logo_type, url: `${LOGO_PATH}?v=${b.logo_sha256.slice(0, 16)}`, sha256: b.logo_sha256 } : null,
    warnings: contrastWarnings(b.primary_color, b.accent_color),
    updated_at: b.updated_at, version: b.version,
  };
}

export const presentPage = (p: Page) => ({ id: p.id, slug: p.slug, title: p.title, body: p.body, published: p.published, nav_order: p.nav_order, created_at: p.created_at, updated_at: p.updated_at, version: p.version });

// --- operations -------------------------------------------------------------------------------

function checked<T>(schema: Parameters<typeof validate>[0], body: unknown): T {
  const v = validate<T>(schema, body);
  if (!v.ok) throw new WriteValidationError(v.issues);
  return v.value;
}

const audit = (tx: StoreSession, input: OpInput, action: string, entity: string, id: string, key: string, before: unknown, after: unknown) => tx.appendAudit({
  actor: input.principal?.user ?? 'anonymous', action, entity, entity_id: id, entity_key: key,
  before: before === null ? null : JSON.stringify(before), after: after === null ? null : JSON.stringify(after), request_id: input.requestId,
});

/** The branding as the audit log keeps it: no logo bytes, only their type and hash. */
const auditable = (b: ReturnType<typeof presentBranding>) => ({ name: b.name, primary_color: b.primary_color, accent_color: b.accent_color, logo: b.logo ? { content_type: b.logo.content_type, sha256: b.logo.sha256 } : null });

const PagePreviewInput = Type.Object({ body: PageInput.properties.body }, { additionalProperties: false, title: 'PortalPagePreviewInput' });

/** If-Match: a write based on an older read of this version answers 412 instead of overwriting. */
function checkIfMatch(input: OpInput, current: number, what = 'the page'): void {
  const expected = expectedVersion(input.headers, current);
  if (expected !== undefined && expected !== current) throw new ApiProblem('precondition-failed', `${what} changed since you read it; reload it and try again`);
}

export function brandingOperations(store: Store): Operation[] {
  const findPage = async (session: StoreSession, id: string) => {
    const page = await session.branding.getPage(id) ?? await session.branding.getPageBySlug(id);
    if (!page) throw new ApiProblem('not-found', `no portal page "${id}"`);
    return page;
  };
  return [
    {
      id: 'get-portal-branding', method: 'GET', path: '/admin/portal/branding', tag: 'Portal branding', role: 'viewer',
      summary: 'The portal\'s name, colours and logo',
      description: 'With the colours\' WCAG AA contrast warnings. Before branding is first set, the defaults (version 0).',
      responses: { 200: { description: 'The branding.', schema: BrandingSchema, etag: true } },
      async handler() {
        const row = await store.read().branding.getBranding();
        return { body: presentBranding(row), headers: { etag: etagOf(row?.version ?? 0) } };
      },
    },
    {
      id: 'put-portal-branding', method: 'PUT', path: '/admin/portal/branding', tag: 'Portal branding', role: 'editor', write: true,
      summary: 'Set the portal\'s name and colours',
      description: 'Colours that miss WCAG AA contrast are accepted and reported in `warnings`. The logo is changed apart (`PUT /admin/portal/branding/logo`).',
      body: BrandingInput,
      responses: { 200: { description: 'The branding now.', schema: BrandingSchema, etag: true } },
      problems: ['precondition-failed'],
      async handler(input) {
        const v = checked<BrandingInputValue>(BrandingInput, input.body);
        const fields = { name: v.name.trim(), primary_color: v.primary_color.toLowerCase(), accent_color: v.accent_color.toLowerCase() };
        const after = await store.write(async (tx) => {
          const before = await tx.branding.getBranding();
          checkIfMatch(input, before?.version ?? 0, 'the branding');
          const row = await tx.branding.putBranding(fields);
          await audit(tx, input, 'update', 'portal_branding', 'portal', 'portal', before ? auditable(presentBranding(before)) : null, auditable(presentBranding(row)));
          return row;
        });
        return { body: presentBranding(after), headers: { etag: etagOf(after.version) } };
      },
    },
    {
      id: 'put-portal-logo', method: 'PUT', path: '/admin/portal/branding/logo', tag: 'Portal branding', role: 'editor', write: true,
      summary: 'Upload the portal\'s logo',
      description: 'PNG, JPEG or SVG, base64-encoded, at most 256 KiB. The type is checked against the file\'s bytes. An SVG with script, event handlers, foreignObject, entities or references to other documents is refused; SVGs are also served with a Content-Security-Policy that forbids script.',
      body: LogoInput,
      responses: { 200: { description: 'The branding with its new logo.', schema: BrandingSchema, etag: true } },
      problems: ['precondition-failed'],
      async handler(input) {
        const v = checked<LogoInputValue>(LogoInput, input.body);
        const logo = checkLogo(v.content_type, v.data);
        if (!logo.ok) throw new ApiProblem('validation-failed', logo.reason, [{ pointer: '/data', detail: logo.reason }]);
        const after = await store.write(async (tx) => {
          checkIfMatch(input, (await tx.branding.getBranding())?.version ?? 0, 'the branding');
          const before = await tx.branding.getBranding() ?? await tx.branding.putBranding(DEFAULT_BRANDING);
          const row = (await tx.branding.setLogo({ type: v.content_type, data: logo.bytes.toString('base64'), sha256: logo.sha256 }))!;
          await audit(tx, input, 'update', 'portal_branding', 'portal', 'portal', auditable(presentBranding(before)), auditable(presentBranding(row)));
          return row;
        });
        return { body: presentBranding(after), headers: { etag: etagOf(after.version) } };
      },
    },
    {
      id: 'delete-portal-logo', method: 'DELETE', path: '/admin/portal/branding/logo', tag: 'Portal branding', role: 'editor', write: true,
      summary: 'Remove the portal\'s logo',
      responses: { 204: { description: 'Removed (or there was none).' } },
      problems: ['precondition-failed'],
      async handler(input) {
        await store.write(async (tx) => {
          const before = await tx.branding.getBranding();
          checkIfMatch(input, before?.version ?? 0, 'the branding');
          if (!before?.logo_type) return;
          const row = (await tx.branding.setLogo(undefined))!;
          await audit(tx, input, 'update', 'portal_branding', 'portal', 'portal', auditable(presentBranding(before)), auditable(presentBranding(row)));
        });
        return { status: 204 };
      },
    },
    {
      id: 'list-portal-pages', method: 'GET', path: '/admin/portal/pages', tag: 'Portal branding', role: 'viewer',
      summary: 'The portal\'s custom pages, published or not',
      description: 'In navigation order (then title).',
      responses: { 200: { description: 'Every page.', schema: Type.Object({ data: Type.Array(PageSchema) }) } },
      async handler() {
        return { body: { data: (await store.read().branding.listPages()).map(presentPage) } };
      },
    },
    {
      id: 'create-portal-page', method: 'POST', path: '/admin/portal/pages', tag: 'Portal branding', role: 'editor', write: true,
      summary: 'Create a custom portal page (Markdown)', body: PageInput,
      responses: { 201: { description: 'Created.', schema: PageSchema, etag: true } },
      problems: ['conflict'],
      async handler(input) {
        const v = checked<PageInputValue>(PageInput, input.body);
        const page = await store.write(async (tx) => {
          const created = await tx.branding.insertPage({ ...v, title: v.title.trim() });
          await audit(tx, input, 'create', 'portal_page', created.id, created.slug, null, presentPage(created));
          return created;
        });
        return { status: 201, body: presentPage(page), headers: { etag: etagOf(page.version) } };
      },
    },
    {
      id: 'preview-portal-page', method: 'POST', path: '/admin/portal/pages/preview', tag: 'Portal branding', role: 'viewer',
      summary: 'Render Markdown as the portal will show it',
      description: 'The same renderer as `GET /portal/api/pages/{slug}`: raw HTML escaped, only http(s) and relative links. Nothing is stored.',
      body: PagePreviewInput,
      responses: { 200: { description: 'The HTML.', schema: Type.Object({ html: Type.String() }) } },
      async handler(input) {
        const v = checked<{ body: string }>(PagePreviewInput, input.body);
        return { body: { html: renderMarkdown(v.body) } };
      },
    },
    {
      id: 'get-portal-page', method: 'GET', path: '/admin/portal/pages/{id}', tag: 'Portal branding', role: 'viewer',
      summary: 'One custom page (by id or slug)',
      responses: { 200: { description: 'The page.', schema: PageSchema, etag: true } },
      problems: ['not-found'],
      async handler(input) {
        const page = await findPage(store.read(), input.params.id!);
        return { body: presentPage(page), headers: { etag: etagOf(page.version) } };
      },
    },
    {
      id: 'replace-portal-page', method: 'PUT', path: '/admin/portal/pages/{id}', tag: 'Portal branding', role: 'editor', write: true,
      summary: 'Replace a custom page', body: PageInput,
      responses: { 200: { description: 'The page now.', schema: PageSchema, etag: true } },
      problems: ['not-found', 'conflict', 'precondition-failed'],
      async handler(input) {
        const v = checked<PageInputValue>(PageInput, input.body);
        const page = await store.write(async (tx) => {
          const before = await findPage(tx, input.params.id!);
          checkIfMatch(input, before.version);
          const after = (await tx.branding.updatePage(before.id, { ...v, title: v.title.trim() }))!;
          await audit(tx, input, 'update', 'portal_page', after.id, after.slug, presentPage(before), presentPage(after));
          return after;
        });
        return { body: presentPage(page), headers: { etag: etagOf(page.version) } };
      },
    },
    {
      id: 'delete-portal-page', method: 'DELETE', path: '/admin/portal/pages/{id}', tag: 'Portal branding', role: 'editor', write: true,
      summary: 'Delete a custom page',
      responses: { 204: { description: 'Deleted.' } },
      problems: ['not-found', 'precondition-failed'],
      async handler(input) {
        await store.write(async (tx) => {
          const before = await findPage(tx, input.params.id!);
          checkIfMatch(input, before.version);
          await tx.branding.deletePage(before.id);
          await audit(tx, input, 'delete', 'portal_page', before.id, before.slug, presentPage(before), null);
        });
        return { status: 204 };
      },
    },
  ];
}
