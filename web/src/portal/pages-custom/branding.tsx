// The portal's branding (GET /portal/api/branding): its name, logo and published custom pages for
// the header and footer, and its colours applied by overriding the design tokens on :root (through
// the CSSOM, which the Content-Security-Policy allows). Loaded once per page load; until it
// arrives (or if it fails) the portal shows the default look.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { call, portal } from '../../api/portal.ts';
import type { components } from '../../api/portal.gen/index.ts';
import './branding.css';

export type Branding = components['schemas']['PortalPublicBranding'];

export const DEFAULT_NAME = 'Developer portal';
const BrandingContext = createContext<Branding | undefined>(undefined);
export const useBranding = () => useContext(BrandingContext);

/** "#rrggbb" mixed toward black by `amount` (0–1): the hover shade of the primary colour. */
export function darken(hex: string, amount: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const ch = (shift: number) => Math.round(((n >> shift) & 255) * (1 - amount)).toString(16).padStart(2, '0');
  return `#${ch(16)}${ch(8)}${ch(0)}`;
}

/** The design tokens a branding overrides (web/src/styles/tokens.css). */
export function tokensOf(b: Pick<Branding, 'primary_color' | 'accent_color' | 'primary_text_color'>): Record<string, string> {
  return {
    '--pc-color-primary': b.primary_color,
    '--pc-color-primary-hover': darken(b.primary_color, 0.18),
    '--pc-color-primary-contrast': b.primary_text_color,
    '--pc-color-accent': b.accent_color,
  };
}

export function BrandingProvider({ children }: { children: ReactNode }) {
  const [branding, setBranding] = useState<Branding>();
  useEffect(() => {
    let live = true;
    call(portal.GET('/portal/api/branding')).then((b) => { if (live) setBranding(b); }, () => { /* the default look stays */ });
    return () => { live = false; };
  }, []);
  useEffect(() => {
    if (!branding) return;
    const root = document.documentElement.style;
    const tokens = tokensOf(branding);
    for (const [name, value] of Object.entries(tokens)) root.setProperty(name, value);
    return () => { for (const name of Object.keys(tokens)) root.removeProperty(name); };
  }, [branding]);
  return <BrandingContext.Provider value={branding}>{children}</BrandingContext.Provider>;
}

/** The header's brand: the logo (decorative next to the name) and the portal's name. */
export function Brand() {
  const b = useBranding();
  return (
    <>
      {b?.logo_url ? <img className="brand-logo" src={b.logo_url} alt="" /> : null}
      <span className="brand-name">{b?.name ?? DEFAULT_NAME}</span>
    </>
  );
}
