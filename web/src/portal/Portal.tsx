// The developer portal: a header with navigation and the account menu, and the page for the
// current path (routes.tsx). Pages for logged-in users send visitors to /login and back.
import { Suspense, useEffect, useRef } from 'react';
import { Link, navigate, useLocation } from '../router.tsx';
import { Spinner } from '../ui/Spinner.tsx';
import { Brand, BrandingProvider, DEFAULT_NAME, useBranding } from './pages-custom/branding.tsx';
import { matchRoute, NAV } from './routes.tsx';
import { PortalSessionProvider, usePortalSession } from './session.tsx';

function Header() {
  const { account, teams, team, selectTeam } = usePortalSession();
  const { path } = useLocation();
  return (
    <header className="portal-header">
      <div className="container portal-header-row">
        <Link href="/" className="brand"><Brand /></Link>
        <nav aria-label="Portal">
          <ul className="portal-nav">
            {NAV.filter((item) => !item.auth || account !== undefined).map((item) => (
              <li key={item.href}><Link href={item.href} aria-current={path === item.href ? 'page' : undefined}>{item.label}</Link></li>
            ))}
          </ul>
        </nav>
        <div className="portal-account">
          {account !== undefined && teams.length > 1 ? (
            <label className="team-picker">
              <span className="visually-hidden">Team</span>
              <select value={team?.id} onChange={(e) => selectTeam(e.target.value)}>
                {teams.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
              </select>
            </label>
          ) : null}
          {account === undefined
            ? <><Link href="/login">Log in</Link> <Link href="/signup" className="btn btn-primary">Sign up</Link></>
            : <Link href="/account" className="truncate" title={account.email}>{account.email}</Link>}
        </div>
      </div>
    </header>
  );
}

/** Links to the published custom pages. */
function Footer() {
  const pages = useBranding()?.pages ?? [];
  if (pages.length === 0) return null;
  return (
    <footer className="portal-footer">
      <nav className="container" aria-label="Pages">
        <ul>{pages.map((p) => <li key={p.slug}><Link href={`/pages/${encodeURIComponent(p.slug)}`}>{p.title}</Link></li>)}</ul>
      </nav>
    </footer>
  );
}

function CurrentPage() {
  const { path, search } = useLocation();
  const { loading, account } = usePortalSession();
  const match = matchRoute(path);
  const main = useRef<HTMLElement>(null);
  const name = useBranding()?.name ?? DEFAULT_NAME;
  const route = match?.route;
  useEffect(() => {
    // A custom page titles itself once its content has loaded (its title is the admin's).
    if (route?.pattern === '/pages/:slug') return;
    document.title = route ? (route.pattern === '/' ? name : `${route.title} · ${name}`) : `Not found · ${name}`;
  }, [route, name]);
  const needsLogin = match?.route.auth === true && !loading && account === undefined;
  useEffect(() => {
    if (needsLogin) navigate(`/login?next=${encodeURIComponent(path + (search.size > 0 ? `?${search}` : ''))}`, { replace: true });
  }, [needsLogin, path, search]);
  if (match === undefined) {
    return <main id="main" ref={main} className="container section"><h1>Page not found</h1><p>There is no page at <code>{path}</code>. <Link href="/">Go to the start page</Link>.</p></main>;
  }
  if (match.route.auth === true && (loading || account === undefined)) return <main id="main" className="page-loading"><Spinner label="Loading" /></main>;
  const Current = match.route.page;
  return (
    <main id="main" ref={main}>
      <Suspense fallback={<div className="page-loading"><Spinner label="Loading" /></div>}>
        <Current params={match.params} search={search} />
      </Suspense>
    </main>
  );
}

export default function Portal() {
  return (
    <PortalSessionProvider>
      <BrandingProvider>
        <a className="skip-link" href="#main">Skip to content</a>
        <Header />
        <CurrentPage />
        <Footer />
      </BrandingProvider>
    </PortalSessionProvider>
  );
}
