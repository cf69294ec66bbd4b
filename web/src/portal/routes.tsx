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
  { pattern: '/signup', title: 'Sign up', page: lazy(() => import('./account/SignUp.tsx')) },
  { pattern: '/check-email', title: 'Check your email', page: lazy(() => import('./account/CheckEmail.tsx')) },
  { pattern: '/verify-email', title: 'Verify your email', page: lazy(() => import('./account/VerifyEmail.tsx')) },
  { pattern: '/login', title: 'Log in', page: lazy(() => import('./account/Login.tsx')) },
  { pattern: '/forgot-password', title: 'Reset your password', page: lazy(() => import('./account/ForgotPassword.tsx')) },
  { pattern: '/reset-password', title: 'Choose a new password', page: lazy(() => import('./account/ResetPassword.tsx')) },
  { pattern: '/accept-invitation', title: 'Join a team', auth: true, page: lazy(() => import('./account/AcceptInvitation.tsx')) },
  { pattern: '/account', title: 'Your account', auth: true, page: lazy(() => import('./account/Account.tsx')) },
  { pattern: '/team', title: 'Team', auth: true, page: lazy(() => import('./account/Team.tsx')) },
  { pattern: '/catalog', title: 'API catalog', page: lazy(() => import('./catalog/Catalog.tsx')) },
  { pattern: '/products/:product', title: 'Product', page: lazy(() => import('./catalog/Product.tsx')) },
  { pattern: '/apis/:api', title: 'API', page: lazy(() => import('./catalog/ApiPage.tsx')) },
  { pattern: '/apis/:api/docs', title: 'API reference', page: lazy(() => import('./docs/ApiDocs.tsx')) },
  { pattern: '/apps', title: 'Applications', auth: true, page: lazy(() => import('./apps/Apps.tsx')) },
  { pattern: '/apps/subscribe', title: 'Subscribe', auth: true, page: lazy(() => import('./apps/Subscribe.tsx')) },
  { pattern: '/apps/:app', title: 'Application', auth: true, page: lazy(() => import('./apps/AppPage.tsx')) },
  { pattern: '/usage', title: 'Usage', auth: true, page: lazy(() => import('./usage/UsagePage.tsx')) },
  { pattern: '/billing', title: 'Billing', auth: true, page: lazy(() => import('./billing/BillingPage.tsx')) },
  { pattern: '/billing/invoices/:id', title: 'Invoice', auth: true, page: lazy(() => import('./billing/InvoicePage.tsx')) },
  { pattern: '/pages/:slug', title: 'Page', page: lazy(() => import('./pages-custom/CustomPage.tsx')) },
];

/** Header navigation: `auth` items show only to logged-in users. */
export const NAV: readonly { href: string; label: string; auth?: boolean }[] = [
  { href: '/', label: 'Home' },
  { href: '/catalog', label: 'Catalog' },
  { href: '/apps', label: 'Applications', auth: true },
  { href: '/usage', label: 'Usage', auth: true },
  { href: '/billing', label: 'Billing', auth: true },
  { href: '/team', label: 'Team', auth: true },
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
