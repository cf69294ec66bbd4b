// Browse and search the catalog: products with their APIs, a search box (?q=) and tag filters
// (?tag=), both kept in the URL so a search can be shared and the back button works.
import { useEffect, useState } from 'react';
import { call, portal } from '../../api/portal.ts';
import type { components } from '../../api/portal.gen/index.ts';
import { Link, navigate } from '../../router.tsx';
import { Badge } from '../../ui/Badge.tsx';
import { Button } from '../../ui/Button.tsx';
import { TextField } from '../../ui/Field.tsx';
import type { PageProps } from '../routes.tsx';
import './catalog.css';
import { allTags } from './format.ts';
import { Failed, Loading } from './States.tsx';
import { useLoad } from './useLoad.ts';
import { ApiList } from './ApiList.tsx';

type Product = components['schemas']['CatalogProduct'];

function catalogUrl(q: string, tag: string): string {
  const s = new URLSearchParams();
  if (q) s.set('q', q);
  if (tag) s.set('tag', tag);
  return s.size > 0 ? `/catalog?${s}` : '/catalog';
}

export default function Catalog({ search }: PageProps) {
  const q = search.get('q') ?? '';
  const tag = search.get('tag') ?? '';
  const [typed, setTyped] = useState(q);
  useEffect(() => setTyped(q), [q]);
  const filtered = useLoad(async () => (await call(portal.GET('/portal/api/catalog', { params: { query: { ...(q ? { q } : {}), ...(tag ? { tag } : {}) } } }))).data, `${q}\n${tag}`);
  // The tag list comes from the whole catalog, so filtering by one tag still offers the others.
  const everything = useLoad(async () => (await call(portal.GET('/portal/api/catalog'))).data, 'all');
  const tags = everything.state === 'ready' ? allTags(everything.data) : [];

  return (
    <div className="container catalog-page">
      <h1>API catalog</h1>
      <form role="search" aria-label="Catalog" className="catalog-search" onSubmit={(e) => { e.preventDefault(); navigate(catalogUrl(typed.trim(), tag)); }}>
        <TextField label="Search APIs and products" type="search" name="q" value={typed} onChange={setTyped} />
        <Button type="submit" variant="primary">Search</Button>
      </form>
      {tags.length > 0 ? (
        <ul className="tag-filter" aria-label="Filter by tag">
          <li><Button small aria-pressed={tag === ''} onClick={() => navigate(catalogUrl(q, ''))}>All tags</Button></li>
          {tags.map((t) => <li key={t}><Button small aria-pressed={tag === t} onClick={() => navigate(catalogUrl(q, tag === t ? '' : t))}>{t}</Button></li>)}
        </ul>
      ) : null}
      {filtered.state === 'loading' ? <Loading what="the catalog" /> : null}
      {filtered.state === 'error' ? <Failed message={filtered.message} status={undefined} retry={filtered.retry} what="catalog" /> : null}
      {filtered.state === 'ready' ? <Results products={filtered.data} searching={q !== '' || tag !== ''} /> : null}
    </div>
  );
}

function Results({ products, searching }: { products: readonly Product[]; searching: boolean }) {
  if (products.length === 0) {
    return <p role="status">{searching ? <>Nothing matches. <Link href="/catalog">Show the whole catalog</Link>.</> : 'No APIs are published yet.'}</p>;
  }
  return (
    <>
      <p role="status" className="visually-hidden">{products.length === 1 ? '1 product' : `${products.length} products`}</p>
      <ul className="catalog-list">
        {products.map((p) => (
          <li key={p.name} className="card catalog-card">
            <h2><Link href={`/products/${encodeURIComponent(p.name)}`}>{p.title || p.name}</Link></h2>
            {p.description ? <p>{p.description}</p> : null}
            {p.tags.length > 0 ? <div className="tags">{p.tags.map((t) => <Badge key={t}>{t}</Badge>)}</div> : null}
            <ApiList apis={p.apis} label={`APIs in ${p.title || p.name}`} />
            <p className="hint">{p.plans.length === 1 ? '1 plan' : `${p.plans.length} plans`}</p>
          </li>
        ))}
      </ul>
    </>
  );
}
