// Portal branding in the admin API: the portal's name, colours (with WCAG contrast warnings) and
// logo, and its custom Markdown pages. Reading needs the viewer role, changing it editor; every
// change is in the audit log. The portal shows it through /portal/api/branding and
// /portal/api/pages/{slug} (src/portal/branding/operations.ts). See docs/portal.md.
import Type from 'typebox';
import { validate } from '../../core/config/validate.ts';
import type { Store, StoreSession } from '../../store/ports.ts';
import { checkLogo } from '../../portal/branding/logo.ts';
import { renderMarkdown } from '../../portal/branding/markdown.ts';
import {
  BrandingInput, BrandingSchema, DEFAULT_BRANDING, LogoInput, PageInput, PageSchema, presentBranding, presentPage,
  type BrandingInputValue, type LogoInputValue, type PageInputValue,
} from '../../portal/branding/model.ts';
import { WriteValidationError } from '../config-service.ts';
import { ApiProblem, etagOf, expectedVersion, type OpInput, type Operation } from './types.ts';

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
function checkIfMatch(input: OpInput, current: number): void {
  const expected = expectedVersion(input.headers, current);
  if (expected !== undefined && expected !== current) throw new ApiProblem('precondition-failed', 'the page changed since you read it; reload it and try again');
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
      responses: { 200: { description: 'The branding.', schema: BrandingSchema } },
      async handler() {
        return { body: presentBranding(await store.read().branding.getBranding()) };
      },
    },
    {
      id: 'put-portal-branding', method: 'PUT', path: '/admin/portal/branding', tag: 'Portal branding', role: 'editor', write: true,
      summary: 'Set the portal\'s name and colours',
      description: 'Colours that miss WCAG AA contrast are accepted and reported in `warnings`. The logo is changed apart (`PUT /admin/portal/branding/logo`).',
      body: BrandingInput,
      responses: { 200: { description: 'The branding now.', schema: BrandingSchema } },
      async handler(input) {
        const v = checked<BrandingInputValue>(BrandingInput, input.body);
        const fields = { name: v.name.trim(), primary_color: v.primary_color.toLowerCase(), accent_color: v.accent_color.toLowerCase() };
        const after = await store.write(async (tx) => {
          const before = await tx.branding.getBranding();
          const row = await tx.branding.putBranding(fields);
          await audit(tx, input, 'update', 'portal_branding', 'portal', 'portal', before ? auditable(presentBranding(before)) : null, auditable(presentBranding(row)));
          return row;
        });
        return { body: presentBranding(after) };
      },
    },
    {
      id: 'put-portal-logo', method: 'PUT', path: '/admin/portal/branding/logo', tag: 'Portal branding', role: 'editor', write: true,
      summary: 'Upload the portal\'s logo',
      description: 'PNG, JPEG or SVG, base64-encoded, at most 256 KiB. The type is checked against the file\'s bytes. An SVG with script, event handlers, foreignObject, entities or references to other documents is refused; SVGs are also served with a Content-Security-Policy that forbids script.',
      body: LogoInput,
      responses: { 200: { description: 'The branding with its new logo.', schema: BrandingSchema } },
      async handler(input) {
        const v = checked<LogoInputValue>(LogoInput, input.body);
        const logo = checkLogo(v.content_type, v.data);
        if (!logo.ok) throw new ApiProblem('validation-failed', logo.reason, [{ pointer: '/data', detail: logo.reason }]);
        const after = await store.write(async (tx) => {
          const before = await tx.branding.getBranding() ?? await tx.branding.putBranding(DEFAULT_BRANDING);
          const row = (await tx.branding.setLogo({ type: v.content_type, data: logo.bytes.toString('base64'), sha256: logo.sha256 }))!;
          await audit(tx, input, 'update', 'portal_branding', 'portal', 'portal', auditable(presentBranding(before)), auditable(presentBranding(row)));
          return row;
        });
        return { body: presentBranding(after) };
      },
    },
    {
      id: 'delete-portal-logo', method: 'DELETE', path: '/admin/portal/branding/logo', tag: 'Portal branding', role: 'editor', write: true,
      summary: 'Remove the portal\'s logo',
      responses: { 204: { description: 'Removed (or there was none).' } },
      async handler(input) {
        await store.write(async (tx) => {
          const before = await tx.branding.getBranding();
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
