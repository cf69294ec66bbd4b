// An API's page: what it is, the products that sell it, its versions with deprecation and sunset
// notices, its documents (each opens the reference), and the changelog.
import { call, portal } from '../../api/portal.ts';
import type { components } from '../../api/portal.gen/index.ts';
import { Link } from '../../router.tsx';
import { Badge } from '../../ui/Badge.tsx';
import { DataTable } from '../../ui/Table.tsx';
import type { PageProps } from '../routes.tsx';
import './catalog.css';
import { Failed, Loading } from './States.tsx';
import { StatusBadge } from './StatusBadge.tsx';
import { useLoad } from './useLoad.ts';

type Version = components['schemas']['CatalogApiVersion'];
const date = (iso: string) => new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' });

/** Deprecated and sunset versions, in words, above everything else on the page. */
function Notices({ versions }: { versions: readonly Version[] }) {
  const notable = versions.filter((v) => v.state !== 'active' || v.deprecated_at !== undefined || v.sunset_at !== undefined);
  return (
    <>
      {notable.map((v) => (
        <div key={`${v.route}/${v.name}`} className={v.state === 'sunset' ? 'notice notice-danger' : 'notice'} role="note">
          <strong>Version {v.name}</strong>{' '}
          {v.state === 'sunset' ? 'is retired' : v.state === 'deprecated' ? 'is deprecated' : 'will be deprecated'}
          {v.deprecated_at && v.state === 'active' ? ` on ${date(v.deprecated_at)}` : ''}
          {v.sunset_at ? (v.state === 'sunset' ? ` since ${date(v.sunset_at)}` : `; it stops working on ${date(v.sunset_at)}`) : ''}.
          {v.link ? <> <a href={v.link} rel="noopener noreferrer">Migration guide</a></> : null}
          {v.sunset_link && v.sunset_link !== v.link ? <> <a href={v.sunset_link} rel="noopener noreferrer">Sunset details</a></> : null}
        </div>
      ))}
    </>
  );
}

export default function ApiPage({ params }: PageProps) {
  const name = params.api ?? '';
  const load = useLoad(() => call(portal.GET('/portal/api/catalog/apis/{api}', { params: { path: { api: name } } })), name);
  if (load.state === 'loading') return <Loading what="the API" />;
  if (load.state === 'error') return <Failed message={load.message} status={load.status} retry={load.retry} what="API" />;
  const api = load.data;
  const docs = `/apis/${encodeURIComponent(api.name)}/docs`;
  const latest = api.documents.at(-1);
  return (
    <div className="container catalog-page">
      <nav aria-label="Breadcrumbs" className="breadcrumbs"><Link href="/catalog">Catalog</Link> / {api.title || api.name}</nav>
      <h1 className="break-anywhere">{api.title || api.name}</h1>
      <p className="tags">
        <Badge tone="info">{api.protocol}</Badge>
        {api.version ? <Badge>{`v${api.version}`}</Badge> : null}
        <StatusBadge status={api.status} />
        {api.tags.map((t) => <Badge key={t}>{t}</Badge>)}
      </p>
      <Notices versions={api.versions} />
      {api.description ? <p className="break-anywhere">{api.description}</p> : null}
      {latest ? <p><Link className="btn btn-primary" href={docs}>API reference and try it</Link></p> : <p>No reference document is published for this API yet.</p>}
      {api.products.length > 0 ? (
        <section className="section" aria-labelledby="api-products">
          <h2 id="api-products">Available in</h2>
          <ul className="catalog-apis">{api.products.map((p) => <li key={p}><Link href={`/products/${encodeURIComponent(p)}`}>{p}</Link> <span className="hint">plans and subscription</span></li>)}</ul>
        </section>
      ) : null}
      <section className="section" aria-labelledby="api-versions">
        <h2 id="api-versions">Versions</h2>
        <DataTable<Version>
          caption="Versions" rows={api.versions} empty="This API is not versioned." rowKey={(v) => `${v.route}/${v.name}`}
          columns={[
            { key: 'name', header: 'Version', render: (v) => v.name, truncate: (v) => v.name },
            { key: 'state', header: 'State', render: (v) => (v.state === 'active' ? 'active' : <StatusBadge status={v.state} />) },
            { key: 'deprecated', header: 'Deprecated', render: (v) => (v.deprecated_at ? date(v.deprecated_at) : '—') },
            { key: 'sunset', header: 'Sunset', render: (v) => (v.sunset_at ? date(v.sunset_at) : '—') },
          ]}
        />
      </section>
      <section className="section" aria-labelledby="api-documents">
        <h2 id="api-documents">Documents</h2>
        {api.documents.length === 0 ? <p>None yet.</p> : (
          <ul className="catalog-apis">
            {api.documents.toReversed().map((d) => (
              <li key={d.id}>
                <Link href={`${docs}?document=${encodeURIComponent(d.id)}`}>{`${d.title || api.name} ${d.version}`}</Link>
                <Badge>{d.format}</Badge>
                <span className="hint">{date(d.created_at)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="section" aria-labelledby="api-changelog">
        <h2 id="api-changelog">Changelog</h2>
        {api.changelog.length === 0 ? <p>No changes recorded.</p> : (
          <ul className="changelog">
            {api.changelog.map((c) => (
              <li key={`${c.version}-${c.published_at}`}>
                <strong>{c.version}</strong> <span className="hint">{date(c.published_at)}</span>
                {c.added_paths.length === 0 && c.removed_paths.length === 0 ? <div>No paths added or removed.</div> : null}
                {c.added_paths.length > 0 ? <div>Added: {c.added_paths.map((p, i) => <span key={p}>{i > 0 ? ', ' : ''}<code>{p}</code></span>)}</div> : null}
                {c.removed_paths.length > 0 ? <div>Removed: {c.removed_paths.map((p, i) => <span key={p}>{i > 0 ? ', ' : ''}<code>{p}</code></span>)}</div> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
