// What a consumer has bought: for each service, the plan of the consumer's active subscription
// to a product that contains it. Compiled at snapshot time so rate-limiting and quota find a
// caller's plan with two map lookups.
import type { Plan, Product, Subscription } from '../entities/schemas.ts';

export interface Entitlement {
  readonly plan: Plan;
  /** The product subscribed to (its services share the plan's quota). */
  readonly product: string;
}

export interface Entitlements {
  /** The consumer's plan for this service, if an active subscription covers it. */
  planFor(consumer: string, service: string): Entitlement | undefined;
}

/**
 * Builds the lookup table. When several active subscriptions of one consumer cover the same
 * service (two products sharing it), the product that comes first by name wins, so the
 * answer never depends on the order entities were written in.
 */
export function compileEntitlements(plans: readonly Plan[], products: readonly Product[], subscriptions: readonly Subscription[]): Entitlements {
  const planByName = new Map(plans.map((p) => [p.name, p]));
  const productByName = new Map(products.map((p) => [p.name, p]));
  const table = new Map<string, Map<string, Entitlement>>();
  const active = subscriptions.filter((s) => s.status === 'active').sort((a, b) => (a.product < b.product ? -1 : a.product > b.product ? 1 : 0));
  for (const sub of active) {
    const product = productByName.get(sub.product);
    const plan = planByName.get(sub.plan);
    if (product === undefined || plan === undefined) continue;
    let byService = table.get(sub.consumer);
    if (byService === undefined) table.set(sub.consumer, (byService = new Map()));
    for (const service of product.services) {
      if (!byService.has(service)) byService.set(service, Object.freeze({ plan, product: product.name }));
    }
  }
  return { planFor: (consumer, service) => table.get(consumer)?.get(service) };
}

export const NO_ENTITLEMENTS: Entitlements = { planFor: () => undefined };
