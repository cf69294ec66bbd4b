// A remote JSON Web Key Set, fetched by the gateway process and cached. The fetch is bounded
// (timeout, body size, redirects), its result parsed into public keys only, and every failure
// means "no new keys": the last good set stays in use, and with none, tokens fail (never open).
// Refreshes are driven by traffic, not timers, so a set no config uses any more costs nothing:
// a request past 80% of the cache lifetime starts a refresh in the background and is verified
// with the keys at hand; only the very first request (no keys yet) waits for the fetch.
import { ALGORITHMS } from './schema.ts';
import { isSymmetric, publicJwkKey, type VerificationKey } from './keys.ts';
import { BodyTooLargeError, readCappedBody } from '../../core/net/read-capped.ts';

export interface JwksOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Bounds for the cache lifetime taken from Cache-Control max-age. */
  readonly minTtlMs: number;
  readonly maxTtlMs: number;
  /** Lifetime when the response has no max-age. */
  readonly defaultTtlMs: number;
  /** At most one refetch per this interval is triggered by tokens naming an unknown kid. */
  readonly unknownKidIntervalMs: number;
  /** After a failed fetch, the next one waits this long. */
  readonly failureRetryMs: number;
  readonly maxKeys: number;
  readonly maxRedirects: number;
  readonly now: () => number;
}

export const DEFAULT_JWKS_OPTIONS: JwksOptions = {
  timeoutMs: 5000,
  maxBytes: 256 * 1024,
  minTtlMs: 60_000,
  maxTtlMs: 24 * 3600_000,
  defaultTtlMs: 10 * 60_000,
  unknownKidIntervalMs: 30_000,
  failureRetryMs: 10_000,
  maxKeys: 64,
  maxRedirects: 3,
  now: Date.now,
};

/** Reports a failed fetch (the message never holds key material or tokens). */
export type FetchWarning = (uri: string, message: string) => void;

const ASYMMETRIC = ALGORITHMS.filter((a) => !isSymmetric(a));
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class JwksSource {
  readonly uri: string;
  readonly #opts: JwksOptions;
  #keys: readonly VerificationKey[] | undefined;
  #refreshAt = 0;
  #retryAt = 0;
  #lastUnknownKidFetch = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;

  constructor(uri: string, opts: Partial<JwksOptions> = {}) {
    this.uri = uri;
    this.#opts = { ...DEFAULT_JWKS_OPTIONS, ...opts };
  }

  /**
   * The current keys; waits for the first fetch only, refreshes in the background after that.
   * `fresh` says the keys come from a fetch this call waited for (no point refetching them).
   */
  async keys(warn?: FetchWarning): Promise<{ keys: readonly VerificationKey[]; fresh: boolean }> {
    const now = this.#opts.now();
    if (this.#keys === undefined) {
      if (this.#inflight === undefined && now < this.#retryAt) return { keys: [], fresh: false };
      await this.#refresh(warn);
      return { keys: this.#keys ?? [], fresh: true };
    }
    if (now >= this.#refreshAt && now >= this.#retryAt) void this.#refresh(warn);
    return { keys: this.#keys, fresh: false };
  }

  /** The keys held now, without fetching: whether a key that verified a token is still published. */
  current(): readonly VerificationKey[] {
    return this.#keys ?? [];
  }

  /**
   * A token named a kid we do not have: maybe the issuer rotated keys. Refetch, but at most once
   * per interval and not while failures back off (tokens with made-up kids must not turn the
   * gateway into a JWKS flooder), and join a fetch already under way.
   */
  async keysAfterUnknownKid(warn?: FetchWarning): Promise<readonly VerificationKey[]> {
    const now = this.#opts.now();
    if (this.#inflight !== undefined) await this.#inflight;
    else if (now - this.#lastUnknownKidFetch >= this.#opts.unknownKidIntervalMs && now >= this.#retryAt) {
      this.#lastUnknownKidFetch = now;
      await this.#refresh(warn);
    }
    return this.#keys ?? [];
  }

  /** One fetch at a time: concurrent callers share it. Never rejects. */
  #refresh(warn: FetchWarning | undefined): Promise<void> {
    this.#inflight ??= this.#fetch().then(
      ({ keys, ttlMs }) => {
        this.#keys = keys;
        this.#refreshAt = this.#opts.now() + ttlMs * 0.8;
      },
      (err: unknown) => {
        this.#retryAt = this.#opts.now() + this.#opts.failureRetryMs;
        try {
          warn?.(this.uri, err instanceof Error ? err.message : String(err));
        } catch {
          // Reporting must not turn a failed fetch into a rejected promise nobody awaits.
        }
      },
    ).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(): Promise<{ keys: VerificationKey[]; ttlMs: number }> {
    const { body, cacheControl } = await fetchBounded(this.uri, this.#opts);
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      throw new Error('the JWKS is not JSON');
    }
    const keys = parseJwks(doc, this.#opts.maxKeys);
    return { keys, ttlMs: ttlFrom(cacheControl, this.#opts) };
  }
}

/** The usable public keys of a JWKS document; throws when it is not one. */
export function parseJwks(doc: unknown, maxKeys: number): VerificationKey[] {
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) throw new Error('the JWKS has no "keys" array');
  const keys: VerificationKey[] = [];
  // The body cap (256 KiB) bounds how many entries there can be to look at.
  for (const jwk of (doc as { keys: unknown[] }).keys) {
    if (keys.length >= maxKeys) break;
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) continue;
    // Keys that cannot be public signature keys (oct, private, "use": "enc"...) are skipped.
    const key = publicJwkKey(jwk as Record<string, unknown>, ASYMMETRIC);
    if (typeof key !== 'string' && key.algorithms.size > 0) keys.push(key);
  }
  return keys;
}

/** Cache lifetime from Cache-Control max-age, clamped; the default without one. */
export function ttlFrom(cacheControl: string | null, opts: Pick<JwksOptions, 'minTtlMs' | 'maxTtlMs' | 'defaultTtlMs'>): number {
  const m = /(?:^|[,\s])max-age\s*=\s*"?(\d{1,10})"?/i.exec(cacheControl ?? '');
  if (!m) return opts.defaultTtlMs;
  return Math.min(opts.maxTtlMs, Math.max(opts.minTtlMs, Number(m[1]) * 1000));
}

/**
 * GET with a deadline over the whole exchange, a body cap, and redirects followed by hand: an
 * https JWKS never redirects to plain http (someone on the path could then serve keys).
 */
async function fetchBounded(uri: string, opts: JwksOptions): Promise<{ body: string; cacheControl: string | null }> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const httpsOnly = new URL(uri).protocol === 'https:';
  let url = new URL(uri);
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'manual', signal, headers: { accept: 'application/jwk-set+json, application/json' } });
    } catch (err) {
      const cause = (err as Error).cause instanceof Error ? (err as Error).cause as Error : err as Error;
      throw new Error(signal.aborted ? `no answer within ${opts.timeoutMs} ms` : `fetch failed (${cause.message})`, { cause: err });
    }
    if (REDIRECTS.has(res.status)) {
      await res.body?.cancel();
      const location = res.headers.get('location');
      if (hop >= opts.maxRedirects || location === null) throw new Error('too many redirects, or a redirect without Location');
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && (httpsOnly || next.protocol !== 'http:')) throw new Error(`refused redirect to ${next.protocol}`);
      url = next;
      continue;
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status}`);
    }
    return { body: await readCapped(res, opts.maxBytes, signal), cacheControl: res.headers.get('cache-control') };
  }
}

async function readCapped(res: Response, maxBytes: number, signal: AbortSignal): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readCappedBody(res, maxBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new Error(`the JWKS is ${err.message}`, { cause: err });
    if (signal.aborted) throw new Error('no complete answer in time', { cause: err });
    throw err;
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/**
 * One source per URI for the whole process, so a config reload (which compiles plugins anew)
 * keeps the cached keys. An entry is a few small objects; no timers or sockets are held.
 */
const sources = new Map<string, JwksSource>();

export function jwksSource(uri: string): JwksSource {
  let source = sources.get(uri);
  if (!source) {
    source = new JwksSource(uri);
    sources.set(uri, source);
  }
  return source;
}
