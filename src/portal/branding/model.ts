// Branding as the APIs present it: the stored row (or the defaults before anyone set it), the
// colours' contrast warnings, the request schemas shared by the admin API and its OpenAPI document.
import Type, { type Static } from 'typebox';
import type { Page } from '../../store/branding/model.ts';
import type { PortalBrandingRow } from '../../store/schema.ts';
import { contrastWarnings, textOn } from './contrast.ts';
import { LOGO_TYPES } from './logo.ts';

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
