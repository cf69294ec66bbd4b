// The portal's pages: one entry per page, each its own lazily loaded chunk so the landing page
// stays small. Add a page by adding an entry (and, for the header, a NAV item). Patterns are
// matched in order; `:name` captures one path segment.
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

export interface PageProps {
  readonly params: Readonly<Record<string, string>>;
  readonly search: URLSearchParams;
}

export interface PortalRoute {
  readonly pattern: string;
  /** Shown in the document title. */
  readonly title: string;
  /** Only for logged-in users: others are sent to /login and back. */
  readonly auth?: boolean;
  readonly page: LazyExoticComponent<ComponentType<PageProps>>;
}

export const ROUTES: readonly PortalRoute[] = [
  { pattern: '/', title: 'Developer portal', page: lazy(() => import('./pages/Home.tsx')) },
  { pattern: '/pages/:slug', title: 'Page', page: lazy(() => import('./pages-custom/CustomPage.tsx')) },
];

/** Header navigation: `auth` items show only to logged-in users. */
export const NAV: readonly { href: string; label: string; auth?: boolean }[] = [
  { href: '/', label: 'Home' },
];

export function matchRoute(path: string): { route: PortalRoute; params: Record<string, string> } | undefined {
  const parts = path.replace(/\/+$/, '').split('/').slice(1);
  for (const route of ROUTES) {
    const want = route.pattern.replace(/\/+$/, '').split('/').slice(1);
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      const w = want[i]!;
      if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(parts[i]!);
      else ok = w === parts[i];
    }
    if (ok) return { route, params };
  }
  return undefined;
}
