// A product: what it is, the APIs it sells, and its plans side by side.
import { call, portal } from '../../api/portal.ts';
import { Link } from '../../router.tsx';
import { Badge } from '../../ui/Badge.tsx';
import type { PageProps } from '../routes.tsx';
import './catalog.css';
import { ApiList } from './ApiList.tsx';
import { Plans } from './Plans.tsx';
import { Failed, Loading } from './States.tsx';
import { useLoad } from './useLoad.ts';

export default function Product({ params }: PageProps) {
  const name = params.product ?? '';
  const load = useLoad(() => call(portal.GET('/portal/api/catalog/products/{product}', { params: { path: { product: name } } })), name);
  if (load.state === 'loading') return <Loading what="the product" />;
  if (load.state === 'error') return <Failed message={load.message} status={load.status} retry={load.retry} what="product" />;
  const p = load.data;
  return (
    <div className="container catalog-page">
      <nav aria-label="Breadcrumbs" className="breadcrumbs"><Link href="/catalog">Catalog</Link> / {p.title || p.name}</nav>
      <h1 className="break-anywhere">{p.title || p.name}</h1>
      {p.description ? <p className="break-anywhere">{p.description}</p> : null}
      {p.tags.length > 0 ? <div className="tags">{p.tags.map((t) => <Badge key={t}>{t}</Badge>)}</div> : null}
      <section className="section" aria-labelledby="product-apis">
        <h2 id="product-apis">APIs</h2>
        {p.apis.length === 0 ? <p>No APIs in this product yet.</p> : (
          <ApiList apis={p.apis} />
        )}
      </section>
      <section className="section" aria-labelledby="product-plans">
        <h2 id="product-plans">Plans</h2>
        <Plans product={p} />
      </section>
    </div>
  );
}
