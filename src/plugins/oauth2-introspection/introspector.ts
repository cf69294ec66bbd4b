// Introspection with a cache and one call in flight per token. Answers are keyed by the SHA-256
// of the token, so the cache never holds a token. Active answers are reused for the TTL but never
// past the token's `exp`; inactive ones for the (short) negative TTL; failures are never cached,
// so an IdP outage refuses new tokens while cached ones keep working until their entry expires.
import { createHash } from 'node:crypto';
import { ExpiringCache } from './cache.ts';
import { reusableUntil } from './claims.ts';
import { introspect, isFailure, type IntrospectionEndpoint, type IntrospectionOutcome } from './endpoint.ts';

export interface IntrospectorOptions {
  readonly cacheTtlSeconds: number;
  readonly negativeCacheTtlSeconds: number;
  readonly maxCacheEntries: number;
}

export type Send = (token: string) => Promise<IntrospectionOutcome>;

export class Introspector {
  private readonly options: IntrospectorOptions;
  private readonly send: Send;
  private readonly cache: ExpiringCache<IntrospectionOutcome>;
  private readonly inFlight = new Map<string, Promise<IntrospectionOutcome>>();

  constructor(options: IntrospectorOptions, send: Send) {
    this.options = options;
    this.send = send;
    this.cache = new ExpiringCache(options.maxCacheEntries);
  }

  /** For an endpoint: calls it over HTTP. */
  static forEndpoint(options: IntrospectorOptions, endpoint: IntrospectionEndpoint): Introspector {
    return new Introspector(options, (token) => introspect(endpoint, token));
  }

  get cachedEntries(): number {
    return this.cache.size;
  }

  /** The answer for a token: synchronous from the cache, else a promise shared by concurrent callers. */
  lookup(token: string): IntrospectionOutcome | Promise<IntrospectionOutcome> {
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = this.cache.get(key, Date.now());
    if (cached !== undefined) return cached;
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.call(key, token);
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async call(key: string, token: string): Promise<IntrospectionOutcome> {
    let outcome: IntrospectionOutcome;
    try {
      outcome = await this.send(token);
    } catch {
      // send() is not supposed to throw; if it does, the token is refused, never let through.
      outcome = { failed: 'request failed' };
    } finally {
      this.inFlight.delete(key);
    }
    this.remember(key, outcome);
    return outcome;
  }

  private remember(key: string, outcome: IntrospectionOutcome): void {
    if (isFailure(outcome)) return;
    const now = Date.now();
    const { cacheTtlSeconds, negativeCacheTtlSeconds } = this.options;
    if (outcome.active) {
      if (cacheTtlSeconds > 0) this.cache.set(key, outcome, reusableUntil(outcome.claims, now, cacheTtlSeconds), now);
    } else if (negativeCacheTtlSeconds > 0) {
      this.cache.set(key, outcome, now + negativeCacheTtlSeconds * 1000, now);
    }
  }
}
