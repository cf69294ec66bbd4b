// How a plan reads on the page: prices from minor units (cents) in the plan's currency, rate
// limits and quotas in words. Pure functions, unit-tested in format.test.ts.
import type { components } from '../../api/portal.gen/index.ts';

export type Plan = components['schemas']['CatalogPlan'];
export type Price = Plan['price'];

/** Minor-unit digits of a currency (USD 2, JPY 0); 2 when the runtime does not know it. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/**
 * An amount in minor units as money: 9900 USD → "$99.00". Per-call prices may be fractions of a
 * minor unit (0.05 cents), so they keep up to six more digits instead of rounding to zero.
 */
export function money(minor: number, currency: string, locale = 'en'): string {
  const digits = minorDigits(currency);
  const major = minor / 10 ** digits;
  const exact = Number.isInteger(minor);
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: exact ? digits : Math.min(digits + 6, 20) }).format(major);
  } catch {
    return `${major} ${currency}`;
  }
}

const count = (n: number, locale = 'en') => new Intl.NumberFormat(locale).format(n);

/** "100 per minute", "1,000,000 per month". */
export function perWindow(limit: number, window: string, locale = 'en'): string {
  return `${count(limit, locale)} per ${window}`;
}

/** The price model in one line, as a plan card's headline. */
export function priceHeadline(price: Price, locale = 'en'): string {
  const fee = price.monthly_minor > 0 ? `${money(price.monthly_minor, price.currency, locale)} per month` : undefined;
  switch (price.model) {
    case 'free': return 'Free';
    case 'flat': return fee ?? 'Free';
    case 'per_call': {
      const usage = `${money(price.per_call_minor, price.currency, locale)} per call`;
      return fee ? `${fee} + ${usage}` : usage;
    }
    case 'tiered': return fee ? `${fee} + usage by tier` : 'Usage by tier';
    default: return price.model;
  }
}

/** The tiers as rows: "1 – 1,000", "1,001 – 10,000", "above 10,000", with their per-call price. */
export function tierRows(price: Price, locale = 'en'): { range: string; price: string }[] {
  let from = 1;
  return price.tiers.map((t) => {
    const range = t.up_to === null ? (from === 1 ? 'every call' : `from ${count(from, locale)}`) : `${count(from, locale)} – ${count(t.up_to, locale)}`;
    if (t.up_to !== null) from = t.up_to + 1;
    return { range, price: `${money(t.per_call_minor, price.currency, locale)} per call` };
  });
}

/** Whether the calls a plan includes are worth mentioning (charged models only). */
export const showsIncluded = (price: Price) => (price.model === 'per_call' || price.model === 'tiered') && price.included_calls > 0;

/** Words a search or filter matches on: tags of the product and of its APIs, sorted, unique. */
export function allTags(products: readonly { tags: readonly string[]; apis: readonly { tags: readonly string[] }[] }[]): string[] {
  const tags = new Set<string>();
  for (const p of products) {
    for (const t of p.tags) tags.add(t);
    for (const a of p.apis) for (const t of a.tags) tags.add(t);
  }
  return [...tags].sort((a, b) => a.localeCompare(b));
}
