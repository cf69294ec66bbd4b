// A custom portal page (/pages/:slug): Markdown an admin wrote, rendered to HTML on the server
// (raw HTML escaped, only http(s) and relative links: src/core/branding/markdown.ts), so it is
// inserted as is. Loading, not-found and error states in the page's place.
import { useEffect, useState } from 'react';
import { ApiError, call, messageOf, portal } from '../../api/portal.ts';
import type { components } from '../../api/portal.gen/index.ts';
import { Link } from '../../router.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import type { PageProps } from '../routes.tsx';
import { DEFAULT_NAME, useBranding } from './branding.tsx';

type RenderedPage = components['schemas']['PortalRenderedPage'];
type State = { kind: 'loading' } | { kind: 'ok'; page: RenderedPage } | { kind: 'missing' } | { kind: 'error'; message: string };

export default function CustomPage({ params }: PageProps) {
  const slug = params.slug ?? '';
  const [state, setState] = useState<State>({ kind: 'loading' });
  const name = useBranding()?.name ?? DEFAULT_NAME;
  useEffect(() => {
    let live = true;
    setState({ kind: 'loading' });
    call(portal.GET('/portal/api/pages/{slug}', { params: { path: { slug } } })).then(
      (page) => { if (live) setState({ kind: 'ok', page }); },
      (err: unknown) => { if (live) setState(err instanceof ApiError && err.status === 404 ? { kind: 'missing' } : { kind: 'error', message: messageOf(err) }); },
    );
    return () => { live = false; };
  }, [slug]);
  useEffect(() => {
    if (state.kind === 'ok') document.title = `${state.page.title} · ${name}`;
  }, [state, name]);
  if (state.kind === 'loading') return <div className="container section page-loading"><Spinner label="Loading the page" /></div>;
  if (state.kind === 'missing') return <div className="container section"><h1>Page not found</h1><p>There is no page here. <Link href="/">Go to the start page</Link>.</p></div>;
  if (state.kind === 'error') return <div className="container section"><h1>This page could not be loaded</h1><p role="alert">{state.message}</p></div>;
  return (
    <article className="container section custom-page">
      <h1>{state.page.title}</h1>
      {/* Server-rendered and safe by construction (see the header comment). */}
      <div className="custom-page-body" dangerouslySetInnerHTML={{ __html: state.page.html }} />
    </article>
  );
}
