// WCAG 2.x contrast for the branding colours: the relative luminance of sRGB colours and their
// contrast ratio, and the warnings an admin sees when a chosen colour would make text or controls
// hard to read. Warnings, not refusals: the admin may know better (and can see the preview).
const channel = (c: number) => {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};

/** "#rrggbb" → [r, g, b] (0–255). */
export function rgbOf(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function luminance(hex: string): number {
  const [r, g, b] = rgbOf(hex);
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** The contrast ratio of two colours, 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const WHITE = '#ffffff';
const DARK = '#1a1d23'; // --pc-color-text
/** The portal's page background (--pc-color-bg): links and headings in the primary colour sit on it. */
export const PAGE_BACKGROUND = '#f6f7f9';

/** The text colour for labels on a primary-coloured surface (a button): whichever reads better. */
export const textOn = (background: string): string => (contrastRatio(background, WHITE) >= contrastRatio(background, DARK) ? WHITE : DARK);

export interface ContrastWarning { readonly field: 'primary_color' | 'accent_color'; readonly ratio: number; readonly message: string }

const round = (r: number) => Math.round(r * 100) / 100;

/**
 * WCAG AA: text needs 4.5:1, and user-interface components and graphics 3:1. The primary colour is
 * used for text (links) on the page and as a button's background under its label; the accent for
 * decorations (the header's border, focus and highlights).
 */
export function contrastWarnings(primary: string, accent: string): ContrastWarning[] {
  const warnings: ContrastWarning[] = [];
  const onPage = contrastRatio(primary, PAGE_BACKGROUND);
  if (onPage < 4.5) warnings.push({ field: 'primary_color', ratio: round(onPage), message: `links in the primary colour have a contrast of ${round(onPage)}:1 on the page background; WCAG AA asks for 4.5:1` });
  const label = contrastRatio(primary, textOn(primary));
  if (label < 4.5) warnings.push({ field: 'primary_color', ratio: round(label), message: `button labels on the primary colour have a contrast of ${round(label)}:1; WCAG AA asks for 4.5:1` });
  const accentOnPage = contrastRatio(accent, PAGE_BACKGROUND);
  if (accentOnPage < 3) warnings.push({ field: 'accent_color', ratio: round(accentOnPage), message: `the accent colour has a contrast of ${round(accentOnPage)}:1 on the page background; WCAG AA asks for 3:1 for interface elements` });
  return warnings;
}
