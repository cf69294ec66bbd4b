// The portal's public branding endpoints (no login: the header and custom pages show to anyone):
// the name, colours and logo URL with the published pages for the navigation; the logo itself;
// and one published page rendered to safe HTML (src/core/branding/markdown.ts).
import Type from 'typebox';
import { presentBranding } from '../../admin/api/branding.ts';
import { ApiProblem, Timestamp } from '../../admin/api/types.ts';
import { LOGO_HEADERS } from '../../core/branding/logo.ts';
import { renderMarkdown } from '../../core/branding/markdown.ts';
import type { PortalContext, PortalOperation } from '../api/context.ts';

const PublicBranding = Type.Object({
  name: Type.String(),
  primary_color: Type.String({ description: '#rrggbb' }),
  accent_color: Type.String({ description: '#rrggbb' }),
  primary_text_color: Type.String({ description: 'Label colour on primary-coloured buttons.' }),
  logo_url: Type.Union([Type.String(), Type.Null()]),
  pages: Type.Array(Type.Object({ slug: Type.String(), title: Type.String() }), { description: 'Published custom pages, in navigation order.' }),
}, { title: 'PortalPublicBranding' });

const RenderedPage = Type.Object({
  slug: Type.String(), title: Type.String(),
  html: Type.String({ description: 'The page\'s Markdown rendered on the server: raw HTML escaped, only http(s) and relative links. Safe to insert as is.' }),
  updated_at: Timestamp,
}, { title: 'PortalRenderedPage' });

export function brandingPortalOperations(ctx: PortalContext): PortalOperation[] {
  const { store } = ctx;
  return [
    {
      id: 'portal-branding', method: 'GET', path: '/portal/api/branding', tag: 'Branding',
      summary: 'The portal\'s name, colours, logo and custom pages (public)',
      responses: { 200: { description: 'The branding.', schema: PublicBranding } },
      async handler() {
        const session = store.read();
        const [row, pages] = await Promise.all([session.branding.getBranding(), session.branding.listPages({ publishedOnly: true })]);
        const b = presentBranding(row);
        return {
          body: { name: b.name, primary_color: b.primary_color, accent_color: b.accent_color, primary_text_color: b.primary_text_color, logo_url: b.logo?.url ?? null, pages: pages.map((p) => ({ slug: p.slug, title: p.title })) },
        };
      },
    },
    {
      id: 'portal-branding-logo', method: 'GET', path: '/portal/api/branding/logo', tag: 'Branding',
      summary: 'The portal\'s logo image (public)',
      description: 'Served with its stored type, `nosniff` and a Content-Security-Policy that forbids script (an SVG opened directly cannot run any).',
      responses: { 200: { description: 'The image (PNG, JPEG or SVG).', contentType: 'image/*' } },
      problems: ['not-found'],
      async handler(input) {
        const row = await store.read().branding.getBranding();
        if (!row?.logo_type || !row.logo_data || !row.logo_sha256) throw new ApiProblem('not-found', 'the portal has no logo');
        const etag = `"${row.logo_sha256}"`;
        const headers = { ...LOGO_HEADERS, etag, 'cache-control': 'public, max-age=300' };
        if (input.headers['if-none-match'] === etag) return { status: 304, headers };
        return { body: Buffer.from(row.logo_data, 'base64'), contentType: row.logo_type, headers };
      },
    },
    {
      id: 'portal-page', method: 'GET', path: '/portal/api/pages/{slug}', tag: 'Branding',
      summary: 'A published custom page, rendered (public)',
      responses: { 200: { description: 'The page.', schema: RenderedPage } },
      problems: ['not-found'],
      async handler(input) {
        const page = await store.read().branding.getPageBySlug(input.params.slug!);
        // A draft is "not found" like a page that does not exist: drafts cannot be probed.
        if (!page?.published) throw new ApiProblem('not-found', 'no such page');
        return { body: { slug: page.slug, title: page.title, html: renderMarkdown(page.body), updated_at: page.updated_at } };
      },
    },
  ];
}
