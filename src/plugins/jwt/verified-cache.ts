// Tokens this plugin instance has verified lately. A client sends the same token with every call
// until it expires, and checking an RS256 signature costs far more than proxying a small request;
// so a verified token is remembered, by its exact text, until it expires or for a minute at most
// (whichever comes first), and a repeat costs a map lookup. Only successes are kept. The cache
// lives in the compiled config, so every config, key, credential or revocation change (each is a
// new snapshot) starts it afresh.

/** How long a verified token is trusted without checking it again. */
export const VERIFIED_TTL_MS = 60_000;
/** Entries per plugin instance; the oldest goes first. */
export const VERIFIED_MAX_ENTRIES = 1024;
/** Longer tokens are verified every time rather than held (bounds the memory: ~2 MiB an instance). */
export const VERIFIED_MAX_TOKEN_CHARS = 2048;

interface Entry<T> {
  readonly value: T;
  readonly until: number;
}

export class VerifiedTokens<T> {
  readonly #entries = new Map<string, Entry<T>>();

  get(token: string, now: number): T | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (now < entry.until) return entry.value;
    this.#entries.delete(token);
    return undefined;
  }

  /** `expiresAt`: when the token stops being valid (ms), if it says. */
  set(token: string, value: T, now: number, expiresAt: number | undefined): void {
    if (token.length > VERIFIED_MAX_TOKEN_CHARS) return;
    const until = Math.min(now + VERIFIED_TTL_MS, expiresAt ?? Number.POSITIVE_INFINITY);
    if (until <= now) return;
    if (this.#entries.size >= VERIFIED_MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(token, { value, until });
  }

  get size(): number { return this.#entries.size; }
}
