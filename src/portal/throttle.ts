// Throttling of the portal's guessable doors (login, sign-up, password reset): fixed windows per
// key, in this process's memory. Per node, not cluster-wide — N nodes allow N× the attempts, which
// still turns an online password guess from millions an hour into dozens. A restart forgets the
// counts. The map is bounded: when full, windows that have ended are swept, then the oldest dropped.
import type { ThrottleLimit } from './settings.ts';

interface Window { start: number; count: number }

export class Throttle {
  readonly #limit: ThrottleLimit;
  readonly #now: () => number;
  readonly #max: number;
  readonly #windows = new Map<string, Window>();

  constructor(limit: ThrottleLimit, now: () => number, maxKeys = 100_000) {
    this.#limit = limit;
    this.#now = now;
    this.#max = maxKeys;
  }

  /** Counts an attempt; undefined when allowed, else the seconds until the window ends. */
  hit(key: string): number | undefined {
    const now = this.#now();
    let w = this.#windows.get(key);
    if (!w || now - w.start >= this.#limit.windowMs) {
      if (!w && this.#windows.size >= this.#max) this.#sweep(now);
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
    }
    w.count++;
    if (w.count <= this.#limit.max) return undefined;
    return Math.max(1, Math.ceil((w.start + this.#limit.windowMs - now) / 1000));
  }

  #sweep(now: number): void {
    for (const [key, w] of this.#windows) if (now - w.start >= this.#limit.windowMs) this.#windows.delete(key);
    // Still full: drop the oldest (insertion order) rather than grow without bound.
    while (this.#windows.size >= this.#max) this.#windows.delete(this.#windows.keys().next().value!);
  }
}
