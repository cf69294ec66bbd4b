// A product's plans side by side: price, rate limits, quota, included calls, tiers, approval, and
// a Subscribe link to the subscription page (apps/subscribe, another part of the portal).
import type { components } from '../../api/portal.gen/index.ts';
import { Link } from '../../router.tsx';
import { Badge } from '../../ui/Badge.tsx';
import { perWindow, priceHeadline, showsIncluded, tierRows, type Plan } from './format.ts';

export function PlanCard({ product, plan }: { product: string; plan: Plan }) {
  const { price } = plan;
  const tiers = price.model === 'tiered' ? tierRows(price) : [];
  const headingId = `plan-${plan.name}`;
  return (
    <li className="card plan" aria-labelledby={headingId}>
      <h3 id={headingId}>{plan.title || plan.name}</h3>
      <p className="plan-price">{priceHeadline(price)}</p>
      {plan.description ? <p className="break-anywhere">{plan.description}</p> : null}
      <dl>
        <dt>Rate limits</dt>
        <dd>{plan.rate_limits.length > 0 ? plan.rate_limits.map((r) => perWindow(r.limit, r.window)).join(', ') : 'none'}</dd>
        <dt>Quota</dt>
        <dd>{plan.quota ? perWindow(plan.quota.limit, plan.quota.period) : 'none'}</dd>
        <dt>Price model</dt>
        <dd>{price.model.replace('_', ' ')}{price.model !== 'free' ? ` (${price.currency})` : ''}</dd>
        {showsIncluded(price) ? <><dt>Included</dt><dd>{`${new Intl.NumberFormat('en').format(price.included_calls)} calls per month`}</dd></> : null}
        <dt>Approval</dt>
        <dd>{plan.requires_approval ? <Badge tone="warning">needs approval</Badge> : 'instant'}</dd>
      </dl>
      {tiers.length > 0 ? (
        <table className="table">
          <caption>Tiers (calls per month)</caption>
          <thead><tr><th scope="col">Calls</th><th scope="col">Price</th></tr></thead>
          <tbody>{tiers.map((t) => <tr key={t.range}><td>{t.range}</td><td>{t.price}</td></tr>)}</tbody>
        </table>
      ) : null}
      <Link className="btn btn-primary" href={`/apps/subscribe?product=${encodeURIComponent(product)}&plan=${encodeURIComponent(plan.name)}`} aria-label={`Subscribe to ${plan.title || plan.name}`}>Subscribe</Link>
    </li>
  );
}

export function Plans({ product }: { product: components['schemas']['CatalogProduct'] }) {
  if (product.plans.length === 0) return <p>This product has no plans yet.</p>;
  return <ul className="plans" aria-label="Plans">{product.plans.map((plan) => <PlanCard key={plan.name} product={product.name} plan={plan} />)}</ul>;
}
