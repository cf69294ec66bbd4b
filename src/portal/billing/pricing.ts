// The pricing engine: a plan's price model and the calls metered in a billing period → invoice
// lines and totals, in exact integer minor units (cents). Pure: no clock, no store.
//
// Rules (docs/billing.md):
// - free: nothing is charged, whatever else the price says.
// - flat: `monthly_minor` per period; calls are not charged.
// - per_call: `monthly_minor` (a base fee, when not 0) + every call beyond `included_calls` at
//   `per_call_minor`.
// - tiered (graduated): `monthly_minor` (when not 0) + each call beyond `included_calls` at the price
//   of the tier its number falls in. Tiers count calls from the first of the period: with tiers
//   [≤ 1000: 0.5, ≤ 10000: 0.2, rest: 0.1] and 500 included, calls 501–1000 cost 0.5, 1001–10000
//   0.2, and the rest 0.1. A last tier with a bound prices every call above it too.
// - Per-call prices may be fractional minor units (0.05 of a cent). They are taken to 6 decimal
//   places, and each LINE is rounded once, half up, to whole minor units (quantity × unit price,
//   computed exactly with integers), never per call: 1250 calls at 0.0004 cost 1 (0.5 rounded up),
//   where rounding each call would charge nothing.
// - No proration: a flat fee is the whole period's. Totals equal the subtotal (no taxes or
//   discounts yet).
import type { Plan } from '../../core/entities/schemas.ts';

export type PlanPrice = Plan['price'];

export interface InvoiceLine {
  readonly description: string;
  readonly kind: 'fee' | 'included' | 'usage';
  /** Calls (usage, included) or 1 (fee). */
  readonly quantity: number;
  /** Minor units per unit; may be fractional for per-call prices. */
  readonly unit_price_minor: number;
  /** quantity × unit price, rounded half up to whole minor units. */
  readonly amount_minor: number;
}

export interface PricedUsage {
  readonly currency: string;
  readonly calls: number;
  readonly lines: readonly InvoiceLine[];
  readonly subtotal_minor: number;
  readonly total_minor: number;
}

export class PricingError extends Error {}

/** Micro-units per minor unit: per-call prices are exact to 6 decimal places. */
const SCALE = 1_000_000n;

function micros(unitPrice: number): bigint {
  if (!Number.isFinite(unitPrice) || unitPrice < 0) throw new PricingError(`a price must be a finite number ≥ 0, not ${unitPrice}`);
  return BigInt(Math.round(unitPrice * 1_000_000));
}

/** quantity × unit price, half up, in whole minor units (exact: integer arithmetic). */
export function lineAmount(quantity: number, unitPrice: number): number {
  if (!Number.isSafeInteger(quantity) || quantity < 0) throw new PricingError(`a quantity must be a whole number ≥ 0, not ${quantity}`);
  const exact = BigInt(quantity) * micros(unitPrice);
  return Number((exact + SCALE / 2n) / SCALE);
}

const fmt = (n: number) => n.toLocaleString('en-US');

function line(description: string, kind: InvoiceLine['kind'], quantity: number, unitPrice: number): InvoiceLine {
  // The unit price as it is charged (6 decimal places).
  const charged = Number(micros(unitPrice)) / 1_000_000;
  return { description, kind, quantity, unit_price_minor: charged, amount_minor: lineAmount(quantity, charged) };
}

/** Checks tiers: bounds strictly increasing, only the last one open (null). */
function checkTiers(tiers: PlanPrice['tiers']): void {
  if (tiers.length === 0) throw new PricingError('a tiered price needs at least one tier');
  let previous = 0;
  tiers.forEach((t, i) => {
    if (t.up_to === null) {
      if (i !== tiers.length - 1) throw new PricingError('only the last tier may be open-ended (up_to: null)');
      return;
    }
    if (t.up_to <= previous) throw new PricingError(`tier bounds must increase: ${t.up_to} after ${previous}`);
    previous = t.up_to;
  });
}

/** The invoice lines and totals for `calls` metered in one billing period under `price`. */
export function priceUsage(price: PlanPrice, calls: number): PricedUsage {
  if (!Number.isSafeInteger(calls) || calls < 0) throw new PricingError(`calls must be a whole number ≥ 0, not ${calls}`);
  const lines: InvoiceLine[] = [];
  const included = Math.min(calls, price.included_calls);
  const billable = calls - included;
  switch (price.model) {
    case 'free':
      break;
    case 'flat':
      lines.push(line('Monthly fee', 'fee', 1, price.monthly_minor));
      break;
    case 'per_call':
    case 'tiered': {
      if (price.monthly_minor > 0) lines.push(line('Monthly fee', 'fee', 1, price.monthly_minor));
      if (price.included_calls > 0) lines.push(line(`Included calls (up to ${fmt(price.included_calls)})`, 'included', included, 0));
      if (price.model === 'per_call') {
        if (billable > 0) lines.push(line('Calls', 'usage', billable, price.per_call_minor));
        break;
      }
      checkTiers(price.tiers);
      let from = 0; // calls numbered (from, to] fall in the tier
      for (let i = 0; i < price.tiers.length; i++) {
        const tier = price.tiers[i]!;
        const last = i === price.tiers.length - 1;
        const to = tier.up_to === null || last ? Infinity : tier.up_to;
        // Calls of this tier that are past the included ones.
        const quantity = Math.max(0, Math.min(calls, to) - Math.max(from, included));
        if (quantity > 0) {
          const range = to === Infinity ? `over ${fmt(from)}` : `${fmt(from + 1)}–${fmt(to)}`;
          lines.push(line(`Calls ${range}`, 'usage', quantity, tier.per_call_minor));
        }
        from = to;
        if (from >= calls) break;
      }
      break;
    }
  }
  const subtotal = lines.reduce((sum, l) => sum + l.amount_minor, 0);
  return { currency: price.currency, calls, lines, subtotal_minor: subtotal, total_minor: subtotal };
}
