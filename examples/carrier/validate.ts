// Hand-written request validation (the example takes no dependencies beyond `yaml`). Each check
// records a { pointer, message } and keeps going, so one 422 lists every problem in the body
// instead of making the client fix them one round trip at a time. The limits here are the ones
// documented in openapi.yaml; change both together.
import { CarrierProblem, type FieldError } from './problem.ts';
import { SERVICES, quoteFor, type Address, type Parcel, type RateRequest, type Service } from './rates.ts';

export interface LabelRequest extends RateRequest {
  service: Service;
}

export const MAX_PARCELS = 20;
export const MAX_WEIGHT_KG = 70;
export const MAX_DIMENSION_CM = 300;

// 1–16 letters, digits, spaces or hyphens, starting and ending with a letter or digit: loose
// enough for every country's format, strict enough to keep junk out of labels and PDFs.
const POSTAL_CODE = /^[A-Za-z0-9](?:[A-Za-z0-9 -]{0,14}[A-Za-z0-9])?$/;
// ISO 3166-1 alpha-2 by shape only; a demo does not need the list of assigned codes.
const COUNTRY = /^[A-Z]{2}$/;

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own properties only: a body like {"__proto__": …} or a missing "constructor" must not reach the prototype. */
function field(obj: Obj, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** RFC 6901: escape `~` then `/` in each reference token. */
export function pointer(...tokens: Array<string | number>): string {
  return tokens.map((t) => '/' + String(t).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

class Checker {
  readonly errors: FieldError[] = [];

  add(path: Array<string | number>, message: string): void {
    this.errors.push({ pointer: pointer(...path), message });
  }

  object(value: unknown, path: Array<string | number>): Obj | undefined {
    if (value === undefined) this.add(path, 'is required');
    else if (!isObject(value)) this.add(path, 'must be an object');
    else return value;
    return undefined;
  }

  string(value: unknown, path: Array<string | number>, pattern: RegExp, expected: string): string | undefined {
    if (value === undefined) this.add(path, 'is required');
    else if (typeof value !== 'string' || !pattern.test(value)) this.add(path, `must be ${expected}`);
    else return value;
    return undefined;
  }

  /** JSON.parse turns 1e400 into Infinity, hence isFinite rather than typeof alone. */
  positive(value: unknown, path: Array<string | number>, max: number, unit: string): number | undefined {
    if (value === undefined) this.add(path, 'is required');
    else if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
      this.add(path, `must be a number greater than 0 and at most ${max} (${unit})`);
    } else return value;
    return undefined;
  }
}

function checkAddress(c: Checker, value: unknown, key: string): Address | undefined {
  const obj = c.object(value, [key]);
  if (!obj) return undefined;
  const postal_code = c.string(field(obj, 'postal_code'), [key, 'postal_code'], POSTAL_CODE, '1 to 16 letters, digits, spaces or hyphens');
  const country = c.string(field(obj, 'country'), [key, 'country'], COUNTRY, 'an ISO 3166-1 alpha-2 code in upper case, like "DE"');
  return postal_code !== undefined && country !== undefined ? { postal_code, country } : undefined;
}

function checkParcel(c: Checker, value: unknown, index: number): Parcel | undefined {
  const obj = c.object(value, ['parcels', index]);
  if (!obj) return undefined;
  const weight_kg = c.positive(field(obj, 'weight_kg'), ['parcels', index, 'weight_kg'], MAX_WEIGHT_KG, 'kg');
  const length_cm = c.positive(field(obj, 'length_cm'), ['parcels', index, 'length_cm'], MAX_DIMENSION_CM, 'cm');
  const width_cm = c.positive(field(obj, 'width_cm'), ['parcels', index, 'width_cm'], MAX_DIMENSION_CM, 'cm');
  const height_cm = c.positive(field(obj, 'height_cm'), ['parcels', index, 'height_cm'], MAX_DIMENSION_CM, 'cm');
  if (weight_kg === undefined || length_cm === undefined || width_cm === undefined || height_cm === undefined) return undefined;
  return { weight_kg, length_cm, width_cm, height_cm };
}

function checkParcels(c: Checker, value: unknown): Parcel[] | undefined {
  if (value === undefined) return void c.add(['parcels'], 'is required');
  if (!Array.isArray(value)) return void c.add(['parcels'], 'must be an array');
  // Checking the count first bounds the work and the length of the error list.
  if (value.length === 0 || value.length > MAX_PARCELS) return void c.add(['parcels'], `must contain 1 to ${MAX_PARCELS} parcels`);
  const parcels = value.map((p: unknown, i) => checkParcel(c, p, i));
  return parcels.every((p) => p !== undefined) ? parcels : undefined;
}

function checkRateFields(c: Checker, body: unknown): RateRequest | undefined {
  if (!isObject(body)) return void c.add([], 'must be a JSON object');
  const from = checkAddress(c, field(body, 'from'), 'from');
  const to = checkAddress(c, field(body, 'to'), 'to');
  const parcels = checkParcels(c, field(body, 'parcels'));
  return from && to && parcels ? { from, to, parcels } : undefined;
}

function fail(c: Checker): never {
  const n = c.errors.length;
  throw new CarrierProblem('validation', { detail: `The request body has ${n} invalid field${n === 1 ? '' : 's'}.`, errors: c.errors });
}

/** The body of POST /rates, or a 422 CarrierProblem. */
export function parseRateRequest(body: unknown): RateRequest {
  const c = new Checker();
  const req = checkRateFields(c, body);
  if (!req || c.errors.length > 0) fail(c);
  return req;
}

/** The body of POST /labels, or a 422 CarrierProblem. */
export function parseLabelRequest(body: unknown): LabelRequest {
  const c = new Checker();
  const req = checkRateFields(c, body);
  const raw = isObject(body) ? field(body, 'service') : undefined;
  let service: Service | undefined;
  if (!isObject(body)) {
    // already reported at the root
  } else if (raw === undefined) c.add(['service'], 'is required');
  else if (!SERVICES.includes(raw as Service)) c.add(['service'], `must be one of ${SERVICES.join(', ')}`);
  else service = raw as Service;
  // Only meaningful once both addresses are valid; the tariff table (rates.ts) decides what is
  // offered, so a label can never be bought for a service POST /rates would not quote.
  if (req && service && quoteFor(req, service) === undefined) {
    c.add(['service'], `${service} is not offered from ${req.from.country} to ${req.to.country}`);
  }
  if (!req || !service || c.errors.length > 0) fail(c);
  return { ...req, service };
}
