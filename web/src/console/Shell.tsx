// Console layout: a navigation sidebar (a disclosure menu on narrow screens), a skip link, and
// the page for the current path.
import { lazy, Suspense, useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useLocation } from '../router.tsx';
import { Badge } from '../ui/Badge.tsx';
import { Button } from '../ui/Button.tsx';
import { Spinner } from '../ui/Spinner.tsx';
import { KINDS, type Collection } from './entities.ts';
import { useSession } from './session.tsx';
import { Dashboard } from './pages/Dashboard.tsx';
import { EntityPage } from './pages/EntityPage.tsx';

const SubscriptionsPage = lazy(() => import('./pages/Subscriptions.tsx'));
const ConsumerPage = lazy(() => import('./pages/ConsumerPage.tsx'));
const AuditPage = lazy(() => import('./pages/Audit.tsx'));
const WebhooksPage = lazy(() => import('./pages/Webhooks.tsx'));
const AnalyticsPage = lazy(() => import('./analytics/AnalyticsPage.tsx'));
const BrandingPage = lazy(() => import('./branding/BrandingPage.tsx'));

const NAV: readonly { href: string; label: string }[] = [
  { href: '/console', label: 'Dashboard' },
  { href: '/console/analytics', label: 'Analytics' },
  { href: '/console/services', label: 'Services' },
  { href: '/console/routes', label: 'Routes' },
  { href: '/console/plugins', label: 'Plugins' },
  { href: '/console/consumers', label: 'Consumers' },
  { href: '/console/products', label: 'Products' },
  { href: '/console/plans', label: 'Plans' },
  { href: '/console/subscriptions', label: 'Subscriptions' },
  { href: '/console/webhooks', label: 'Webhooks' },
  { href: '/console/branding', label: 'Portal branding' },
  { href: '/console/audit', label: 'Audit log' },
];

function pageFor(path: string): { title: string; node: ReactNode } {
  const parts = path.replace(/\/+$/, '').split('/').slice(2).map(decodeURIComponent);
  const [section, id] = parts;
  if (section === undefined) return { title: 'Dashboard', node: <Dashboard /> };
  if (section === 'analytics') return { title: 'Analytics', node: <AnalyticsPage /> };
  if (section === 'branding') return { title: 'Portal branding', node: <BrandingPage /> };
  if (section === 'subscriptions') return { title: 'Subscriptions', node: <SubscriptionsPage /> };
  if (section === 'audit') return { title: 'Audit log', node: <AuditPage /> };
  if (section === 'webhooks') return { title: 'Webhooks', node: <WebhooksPage /> };
  if (section === 'consumers' && id !== undefined) return { title: `Consumer ${id}`, node: <ConsumerPage name={id} /> };
  if (section in KINDS && id === undefined) return { title: KINDS[section as Collection].title, node: <EntityPage kind={KINDS[section as Collection]} key={section} /> };
  return { title: 'Not found', node: <p>There is no console page at <code>{path}</code>. <Link href="/console">Back to the dashboard</Link>.</p> };
}

export function Shell() {
  const { path } = useLocation();
  const session = useSession();
  const [menuOpen, setMenuOpen] = useState(false);
  const { title, node } = pageFor(path);
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  useEffect(() => {
    document.title = `${title} · Portcullis console`;
    setMenuOpen(false);
    // After an in-app navigation, move focus to the new page's heading (screen readers announce it).
    if (first.current) first.current = false;
    else heading.current?.focus();
  }, [path, title]);
  const current = (href: string) => (href === '/console' ? path === '/console' || path === '/console/' : path === href || path.startsWith(`${href}/`));
  return (
    <div className="shell">
      <a className="skip-link" href="#main">Skip to content</a>
      <nav className={`shell-nav${menuOpen ? ' open' : ''}`} aria-label="Console">
        <div className="nav-head">
          <Link className="brand" href="/console">Portcullis</Link>
          <Button small className="nav-toggle" aria-expanded={menuOpen} aria-controls="console-nav" onClick={() => setMenuOpen((o) => !o)}>Menu</Button>
        </div>
        <ul id="console-nav">
          {NAV.map((n) => <li key={n.href}><Link className="nav-link" href={n.href} aria-current={current(n.href) ? 'page' : undefined}>{n.label}</Link></li>)}
        </ul>
      </nav>
      <main className="shell-main" id="main">
        <div className="shell-top">
          <h1 ref={heading} tabIndex={-1}>{title}</h1>
          <div className="btn-row">
            <span className="wrap">{session.user} <Badge tone={session.role === 'viewer' ? 'neutral' : 'info'}>{session.role}</Badge></span>
            <Button small onClick={session.signOut}>Sign out</Button>
          </div>
        </div>
        <Suspense fallback={<Spinner label="Loading page" />}>{node}</Suspense>
      </main>
    </div>
  );
}
