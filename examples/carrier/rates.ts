// Pricing. Deliberately simple and deterministic so tests and the quickstart can state exact
// amounts: a per-parcel base fee plus a per-half-kilogram fee on the billable weight, times a
// surcharge when the parcel leaves the country. All arithmetic is in integer cents.

export const SERVICES = ['ground', 'express', 'overnight'] as const;
export type Service = (typeof SERVICES)[number];

export interface Address {
  postal_code: string;
  country: string;
}

export interface Parcel {
  weight_kg: number;
  length_cm: number;
  width_cm: number;
  height_cm: number;
}

export interface RateRequest {
  from: Address;
  to: Address;
  parcels: Parcel[];
}

export interface Quote {
  service: Service;
  amount: number;
  currency: 'EUR';
  estimated_days: number;
}

interface Tariff {
  baseCents: number;
  perHalfKgCents: number;
  /** `null`: the service is not offered for that distance class. */
  days: { domestic: number; international: number | null };
}

const TARIFFS: Record<Service, Tariff> = {
  ground: { baseCents: 490, perHalfKgCents: 45, days: { domestic: 3, international: 7 } },
  express: { baseCents: 990, perHalfKgCents: 80, days: { domestic: 2, international: 3 } },
  // Nobody can promise next-day across a border, so overnight is domestic only.
  overnight: { baseCents: 1990, perHalfKgCents: 140, days: { domestic: 1, international: null } },
};

/** Percent applied to international shipments. */
const INTERNATIONAL_SURCHARGE_PERCENT = 220;

/** The industry-standard volumetric divisor: cm³ per kg. */
const VOLUMETRIC_DIVISOR = 5000;

export function isInternational(req: RateRequest): boolean {
  return req.from.country !== req.to.country;
}

/**
 * Carriers bill the larger of actual and volumetric weight (a big light box costs van space),
 * rounded up to the next half kilogram. Counted in half-kilogram units to stay in integers;
 * the epsilon keeps float noise (1.2 * 2 = 2.4000000000000004) from adding a unit.
 */
export function billableHalfKg(parcel: Parcel): number {
  const volumetricKg = (parcel.length_cm * parcel.width_cm * parcel.height_cm) / VOLUMETRIC_DIVISOR;
  return Math.max(1, Math.ceil(Math.max(parcel.weight_kg, volumetricKg) * 2 - 1e-9));
}

/** The quote for one service, or undefined when the service does not serve this route. */
export function quoteFor(req: RateRequest, service: Service): Quote | undefined {
  const tariff = TARIFFS[service];
  const international = isInternational(req);
  const days = international ? tariff.days.international : tariff.days.domestic;
  if (days === null) return undefined;
  let cents = 0;
  for (const parcel of req.parcels) cents += tariff.baseCents + tariff.perHalfKgCents * billableHalfKg(parcel);
  if (international) cents = Math.ceil((cents * INTERNATIONAL_SURCHARGE_PERCENT) / 100);
  return { service, amount: cents / 100, currency: 'EUR', estimated_days: days };
}

/** Every service available for the route, cheapest (ground) first. */
export function quoteAll(req: RateRequest): Quote[] {
  const quotes: Quote[] = [];
  for (const service of SERVICES) {
    const quote = quoteFor(req, service);
    if (quote) quotes.push(quote);
  }
  return quotes;
}
