// Calendar periods (a day, a month) in an IANA time zone, as instants: quotas reset at local
// midnight, not at UTC midnight. Built on Intl alone (no time zone database of our own): a period's
// start is found by searching for the first second whose local date is the period's first day, so
// DST changes (23- and 25-hour days) and zones whose clocks skip midnight are handled alike.

export type CalendarPeriod = 'day' | 'month';

export interface PeriodBounds {
  /** First instant of the period (ms since the epoch, inclusive). */
  readonly start: number;
  /** First instant of the next period (exclusive). */
  readonly end: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', era: 'short' });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * The canonical name of an IANA time zone (`utc` → `UTC`), or undefined when Intl does not know it.
 * Offsets like `+02:00` are refused: a fixed offset has no calendar of its own to follow.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** The local calendar date at `ms` in the zone, as y·10000 + m·100 + d (comparable numbers). */
function localDateKey(ms: number, timeZone: string): number {
  let year = 0, month = 0, day = 0, bc = false;
  for (const p of formatter(timeZone).formatToParts(ms)) {
    if (p.type === 'year') year = Number(p.value);
    else if (p.type === 'month') month = Number(p.value);
    else if (p.type === 'day') day = Number(p.value);
    else if (p.type === 'era') bc = p.value.startsWith('B');
  }
  return (bc ? 1 - year : year) * 10000 + month * 100 + day;
}

// Every zone's offset lies within ±18 h of UTC (Intl's limits); the local day starts within this
// window around UTC midnight of the same date.
const SEARCH_MS = 18 * 3600_000;

/** The first instant (whole second) at which the zone's local date is `y-m-d` or later. */
function startOfLocalDay(year: number, month: number, day: number, timeZone: string): number {
  const key = year * 10000 + month * 100 + day;
  const utcMidnight = Date.UTC(year, month - 1, day);
  // Binary search over seconds: local date keys only grow with time (a zone that turns its clocks
  // back across midnight would repeat a date; the first crossing is then found, which is fine).
  let lo = Math.floor((utcMidnight - SEARCH_MS) / 1000);
  let hi = Math.floor((utcMidnight + SEARCH_MS) / 1000);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDateKey(mid * 1000, timeZone) >= key) hi = mid;
    else lo = mid + 1;
  }
  return lo * 1000;
}

/** The calendar day or month of `timeZone` that contains `nowMs`. */
export function periodBounds(period: CalendarPeriod, timeZone: string, nowMs: number): PeriodBounds {
  const key = localDateKey(nowMs, timeZone);
  const year = Math.floor(key / 10000);
  const month = Math.floor(key / 100) % 100;
  const day = key % 100;
  if (period === 'day') {
    // Date.UTC normalises day overflow (Jan 32 → Feb 1) for the next day's date.
    const next = new Date(Date.UTC(year, month - 1, day + 1));
    return { start: startOfLocalDay(year, month, day, timeZone), end: startOfLocalDay(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone) };
  }
  const nextYear = month === 12 ? year + 1 : year;
  const nextMonth = month === 12 ? 1 : month + 1;
  return { start: startOfLocalDay(year, month, 1, timeZone), end: startOfLocalDay(nextYear, nextMonth, 1, timeZone) };
}

/**
 * Period bounds for many asks: each (period, zone) is computed again only when `nowMs` leaves the
 * period it last computed, so a request costs a map lookup and two comparisons.
 */
export class PeriodClock {
  private readonly cache = new Map<string, PeriodBounds>();

  bounds(period: CalendarPeriod, timeZone: string, nowMs: number): PeriodBounds {
    const key = period === 'day' ? `d${timeZone}` : `m${timeZone}`;
    const cached = this.cache.get(key);
    if (cached !== undefined && nowMs >= cached.start && nowMs < cached.end) return cached;
    const fresh = periodBounds(period, timeZone, nowMs);
    this.cache.set(key, fresh);
    return fresh;
  }
}
