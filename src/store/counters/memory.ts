// Rate counters in this process's memory: exact for everything that asks this process (the
// supervisor answers for all workers of a node). Keys are dropped once both of their intervals
// have passed; the number of keys is capped so that a flood of distinct keys (client IPs, header
// values) cannot exhaust memory: past the cap the oldest keys are forgotten (their counts restart).
import type { RateCounter, RateDecision, RateWindow, WindowState } from './ports.ts';
import { judge, rolled, type WindowCounts } from './sliding-window.ts';

interface Slot {
  interval: number;
  previous: number;
  current: number;
  windowMs: number;
}

export class MemoryRateCounter implements RateCounter {
  private readonly slots = new Map<string, Slot>();
  private readonly maxKeys: number;
  private sweepAt = 0;

  constructor(opts: { maxKeys?: number } = {}) {
    this.maxKeys = opts.maxKeys ?? 1_000_000;
  }

  get size(): number {
    return this.slots.size;
  }

  hit(key: string, windows: readonly RateWindow[], nowMs: number, weight = 1): RateDecision {
    if (nowMs >= this.sweepAt) this.sweep(nowMs);
    const n = windows.length;
    const states: WindowState[] = [];
    const counts: WindowCounts[] = [];
    const fits: boolean[] = [];
    // Each window's slot is looked up once; the second pass counts into the same slots.
    const keys: string[] = [];
    const slots: (Slot | undefined)[] = [];
    let retryMs = 0;
    for (let i = 0; i < n; i++) {
      const w = windows[i]!;
      const k = slotKey(key, w.seconds);
      const stored = this.slots.get(k);
      keys[i] = k;
      slots[i] = stored;
      const c = rolled(stored, Math.floor(nowMs / (w.seconds * 1000)));
      counts[i] = c;
      const verdict = judge(w, c, nowMs, weight);
      states[i] = verdict.state;
      fits[i] = verdict.allowed;
      if (!verdict.allowed && verdict.retryMs > retryMs) retryMs = verdict.retryMs;
    }
    if (retryMs > 0) {
      // Nothing is counted: windows that had room report it without this request.
      for (let i = 0; i < n; i++) if (fits[i]) states[i] = { ...states[i]!, remaining: states[i]!.remaining + weight };
      return { allowed: false, windows: states, retryAfter: Math.ceil(retryMs / 1000) };
    }
    for (let i = 0; i < n; i++) {
      const c = counts[i]!;
      const slot = slots[i];
      if (slot === undefined) {
        if (this.slots.size >= this.maxKeys) this.forgetOldest();
        this.slots.set(keys[i]!, { interval: c.interval, previous: c.previous, current: c.current + weight, windowMs: windows[i]!.seconds * 1000 });
      } else {
        slot.interval = c.interval;
        slot.previous = c.previous;
        slot.current = c.current + weight;
      }
    }
    return { allowed: true, windows: states, retryAfter: 0 };
  }

  /** Drops keys whose counts no longer matter (both intervals over); at most every 10 s. */
  private sweep(nowMs: number): void {
    this.sweepAt = nowMs + 10_000;
    for (const [k, slot] of this.slots) {
      if (Math.floor(nowMs / slot.windowMs) > slot.interval + 1) this.slots.delete(k);
    }
  }

  private forgetOldest(): void {
    // Map iteration is insertion order: the first tenth are the longest-lived keys.
    let drop = Math.max(1, Math.floor(this.maxKeys / 10));
    for (const k of this.slots.keys()) {
      this.slots.delete(k);
      if (--drop === 0) break;
    }
  }
}

const slotKey = (key: string, seconds: number) => `${seconds}\u0000${key}`;
