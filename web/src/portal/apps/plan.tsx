// A plan's terms in words: limits, quota, price and whether an admin must approve it.
import { Badge } from '../../ui/Badge.tsx';
import type { CatalogPlan } from './shared.tsx';

const money = (minor: number, currency: string) => {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency, maximumFractionDigits: 4 }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
};
const count = new Intl.NumberFormat();

export function priceText(p: CatalogPlan['price']): string {
  const fee = p.monthly_minor > 0 ? `${money(p.monthly_minor, p.currency)} a month` : '';
  const included = p.included_calls > 0 ? `${count.format(p.included_calls)} calls included` : '';
  switch (p.model) {
    case 'free': return 'Free';
    case 'flat': return fee || 'Free';
    case 'per_call': return [fee, included, `${money(p.per_call_minor, p.currency)} per call`].filter(Boolean).join(', ');
    case 'tiered': {
      let from = 0;
      const tiers = p.tiers.map((t) => {
        const range = t.up_to === null ? `over ${count.format(from)}` : `${count.format(from + 1)}–${count.format(t.up_to)}`;
        from = t.up_to ?? from;
        return `${range}: ${money(t.per_call_minor, p.currency)} per call`;
      });
      return [fee, included, ...tiers].filter(Boolean).join('; ');
    }
    default: return p.model;
  }
}

export function PlanTerms({ plan }: { plan: CatalogPlan }) {
  return (
    <dl className="plan-terms">
      <div><dt>Price</dt><dd>{priceText(plan.price)}</dd></div>
      <div><dt>Rate limits</dt><dd>{plan.rate_limits.length === 0 ? 'None' : plan.rate_limits.map((r) => `${count.format(r.limit)} per ${r.window}`).join(', ')}</dd></div>
      <div><dt>Quota</dt><dd>{plan.quota ? `${count.format(plan.quota.limit)} calls per ${plan.quota.period}` : 'None'}</dd></div>
      <div><dt>Approval</dt><dd>{plan.requires_approval ? <><Badge tone="warning">needs approval</Badge> An administrator reviews the subscription before its keys work for this API.</> : 'None: active at once'}</dd></div>
    </dl>
  );
}
