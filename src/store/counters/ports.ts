// Counters of the data plane: request rates (rate-limiting) and allowances per calendar period
// (quota). Ports only; adapters: memory.ts (one process), redis.ts (every node on one Redis), and
// the gateway's supervisor channel (every worker of one node, counted in the supervisor).
// Implementations answer synchronously when they can (memory) and with a promise when the count
// lives elsewhere; callers handle both without paying for a promise on the fast path.

export type MaybePromise<T> = T | Promise<T>;

/** One limit: at most `limit` requests per `seconds`. */
export interface RateWindow {
  readonly seconds: number;
  readonly limit: number;
}

export interface WindowState {
  readonly limit: number;
  /** Requests still allowed in this window after this one (0 when refused). */
  readonly remaining: number;
  /** Seconds until the current window ends. */
  readonly resetSeconds: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** One per window, in the order they were asked for. */
  readonly windows: readonly WindowState[];
  /** When refused: seconds until a request can be allowed again (≥ 1); 0 when allowed. */
  readonly retryAfter: number;
}

export interface RateCounter {
  /**
   * Checks every window for `key` and, only when all of them allow the request, counts it in all
   * of them (atomically): a refused request consumes nothing. `weight` (default 1) is what the
   * request counts for, e.g. a GraphQL operation's cost: it is allowed only when that many fit.
   */
  hit(key: string, windows: readonly RateWindow[], nowMs: number, weight?: number): MaybePromise<RateDecision>;
}

/** A quota subject's allowance for the calendar period that contains now. */
export interface QuotaAsk {
  /** Who the allowance belongs to, e.g. `subscription:acme/shipping` or `consumer:acme@route:labels`. */
  readonly subject: string;
  readonly period: 'day' | 'month';
  /** IANA time zone the calendar periods are counted in. */
  readonly timeZone: string;
  readonly limit: number;
  /** Shown by the admin API and in events; not part of the subject's identity. */
  readonly consumer: string;
  readonly plan: string | undefined;
  /** The product subscribed to (plan quotas); undefined for an explicit limit. */
  readonly product?: string | undefined;
}

export interface QuotaDecision {
  readonly allowed: boolean;
  /** Requests counted in this period (including this one when allowed). */
  readonly used: number;
  readonly limit: number;
  /** When this period ends (ms since the epoch). */
  readonly resetsAt: number;
}

export interface QuotaCounter {
  /** Counts one request (or `weight` units, default 1) against the subject's allowance unless they do not all fit. */
  consume(ask: QuotaAsk, nowMs: number, weight?: number): MaybePromise<QuotaDecision>;
  /**
   * Takes back `units` consumed at `atMs` and never used (a lease's unused units, gateway/quota-leases.ts),
   * from the period that contained `atMs`. Counters that cannot are lent no leases.
   */
  refund?(ask: QuotaAsk, atMs: number, units: number): void;
}
