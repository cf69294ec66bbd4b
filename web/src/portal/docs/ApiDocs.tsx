// An API's reference: the stored document picked by version (?document=), OpenAPI rendered with
// Redoc (lazily: only this page loads it), GraphQL SDL as highlighted text, a WSDL as its text
// with a pointer to its REST face's OpenAPI document, and the try-it panel for OpenAPI operations.
import { lazy, Suspense, useEffect, useState } from 'react';
import { call, messageOf, portal } from '../../api/portal.ts';
import { Link, navigate } from '../../router.tsx';
import { SelectField } from '../../ui/Field.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import { Failed, Loading } from '../catalog/States.tsx';
import { useLoad } from '../catalog/useLoad.ts';
import '../catalog/catalog.css';
import type { PageProps } from '../routes.tsx';
import './docs.css';
import { basePathOf, documentLabel, kindOf, operationsOf, parseOpenApi, pickDocument, type Operation } from './documents.ts';
import { SdlView } from './SdlView.tsx';
import { nonceStyleElements } from './styleNonce.ts';
import { TryIt } from './TryIt.tsx';

const RedocView = lazy(() => {
  nonceStyleElements();
  return import('./RedocView.tsx');
});

type Parsed = { kind: 'openapi'; spec: Record<string, unknown>; operations: Operation[] } | { kind: 'text'; text: string; format: string } | { kind: 'error'; message: string };

export default function ApiDocs({ params, search }: PageProps) {
  const name = params.api ?? '';
  const api = useLoad(() => call(portal.GET('/portal/api/catalog/apis/{api}', { params: { path: { api: name } } })), name);
  const config = useLoad(() => call(portal.GET('/portal/api/config')), 'config');
  const chosen = api.state === 'ready' ? pickDocument(api.data.documents, search.get('document')) : undefined;
  const [parsed, setParsed] = useState<Parsed | undefined>();

  useEffect(() => {
    if (!chosen) return;
    let live = true;
    setParsed(undefined);
    call(portal.GET('/portal/api/catalog/apis/{api}/documents/{document}', { params: { path: { api: name, document: chosen.id } } }))
      .then(async (doc) => {
        if (kindOf(doc.format) !== 'openapi') return { kind: 'text', text: doc.content, format: doc.format } as const;
        const spec = await parseOpenApi(doc.content);
        return { kind: 'openapi', spec, operations: operationsOf(spec) } as const;
      })
      .catch((err: unknown) => ({ kind: 'error', message: messageOf(err) }) as const)
      .then((p) => { if (live) setParsed(p); });
    return () => { live = false; };
  }, [name, chosen?.id, chosen]);

  if (api.state === 'loading') return <Loading what="the API" />;
  if (api.state === 'error') return <Failed message={api.message} status={api.status} retry={api.retry} what="API" />;
  const page = api.data;
  const title = page.title || page.name;
  const restFace = page.documents.findLast((d) => kindOf(d.format) === 'openapi');
  const gatewayUrl = config.state === 'ready' ? config.data.gateway_url ?? undefined : undefined;

  return (
    <div className="container docs-page">
      <nav aria-label="Breadcrumbs" className="breadcrumbs"><Link href="/catalog">Catalog</Link> / <Link href={`/apis/${encodeURIComponent(page.name)}`}>{title}</Link> / Reference</nav>
      <h1 className="break-anywhere">{title} reference</h1>
      {!chosen ? <p>No document is published for this API yet.</p> : (
        <>
          <div className="docs-toolbar">
            <SelectField label="Version" value={chosen.id} onChange={(id) => navigate(`/apis/${encodeURIComponent(page.name)}/docs?document=${encodeURIComponent(id)}`)} options={page.documents.toReversed().map((d) => ({ value: d.id, label: documentLabel(d) }))} />
          </div>
          {parsed === undefined ? <div className="page-loading"><Spinner label="Loading the document" /></div> : null}
          {parsed?.kind === 'error' ? <div className="form-errors" role="alert">The document could not be shown: {parsed.message}</div> : null}
          {parsed?.kind === 'text' ? (
            <>
              {kindOf(parsed.format) === 'wsdl' && restFace ? <p>This is the SOAP contract. Its REST face is described by an <Link href={`/apis/${encodeURIComponent(page.name)}/docs?document=${encodeURIComponent(restFace.id)}`}>OpenAPI document</Link>.</p> : null}
              {kindOf(parsed.format) === 'graphql'
                ? <SdlView sdl={parsed.text} label={`${title} GraphQL schema`} />
                : <pre className="doc-source" tabIndex={0} role="region" aria-label={`${title} ${parsed.format} document`}><code>{parsed.text}</code></pre>}
            </>
          ) : null}
          {parsed?.kind === 'openapi' ? (
            <>
              <div className="docs-reference" data-testid="redoc">
                <Suspense fallback={<div className="page-loading"><Spinner label="Loading the reference viewer" /></div>}>
                  <RedocView spec={parsed.spec} />
                </Suspense>
              </div>
              {config.state === 'loading' ? <Spinner label="Loading" /> : <TryIt key={chosen.id} operations={parsed.operations} gatewayUrl={gatewayUrl} basePath={basePathOf(parsed.spec)} />}
            </>
          ) : null}
        </>
      )}
    </div>
  );
}
