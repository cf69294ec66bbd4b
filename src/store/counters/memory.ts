// Rate counters in this process's memory: exact for everything that asks this process (the
// supervisor answers for all workers of a node). Keys are dropped once all of their windows'
// intervals have passed; the number of keys is capped so that a flood of distinct keys (client
// IPs, header values) cannot exhaust memory: past the cap the oldest keys are forgotten (their
// counts restart). Every request of a rate-limited route comes through hit(), so it allocates
// only what it returns: a key's windows are a short array of slots found by their length (one
// to four, so a scan beats a map key per window), counted in place.
import type { RateCounter, RateDecision, RateWindow } from './ports.ts';
import { judge, rollForward, type WindowCounts, type WindowVerdict } from './sliding-window.ts';

/** A window's length and the interval a reservation was counted in. */
export interface LeaseSpan {
  readonly windowMs: number;
  readonly interval: number;
}

interface Slot extends WindowCounts {
  readonly windowMs: number;
}

function slotOf(slots: Slot[], windowMs: number, nowMs: number): Slot {
  for (let i = 0; i < slots.length; i++) if (slots[i]!.windowMs === windowMs) return slots[i]!;
  const slot: Slot = { windowMs, interval: Math.floor(nowMs / windowMs), previous: 0, current: 0 };
  slots.push(slot);
  return slot;
}

export class MemoryRateCounter implements RateCounter {
  private readonly keys = new Map<string, Slot[]>();
  private readonly maxKeys: number;
  private sweepAt = 0;

  constructor(opts: { maxKeys?: number } = {}) {
    this.maxKeys = opts.maxKeys ?? 1_000_000;
  }

  /** Keys counted (each with its windows). */
  get size(): number {
    return this.keys.size;
  }

  hit(key: string, windows: readonly RateWindow[], nowMs: number, weight = 1): RateDecision {
    if (nowMs >= this.sweepAt) this.sweep(nowMs);
    let slots = this.keys.get(key);
    if (slots === undefined) {
      if (this.keys.size >= this.maxKeys) this.forgetOldest();
      slots = [];
      this.keys.set(key, slots);
    }
    const n = windows.length;
    const verdicts: WindowVerdict[] = [];
    let retryMs = 0;
    for (let i = 0; i < n; i++) {
      const w = windows[i]!;
      const slot = slotOf(slots, w.seconds * 1000, nowMs);
      rollForward(slot, Math.floor(nowMs / slot.windowMs));
      const v = judge(w, slot, nowMs, weight);
      verdicts.push(v);
      if (!v.allowed && v.retryMs > retryMs) retryMs = v.retryMs;
    }
    if (retryMs > 0) {
      // Nothing is counted: windows that had room report it without this request.
      for (let i = 0; i < n; i++) {
        const v = verdicts[i]!;
        if (v.allowed) verdicts[i] = { ...v, remaining: v.remaining + weight };
      }
      return { allowed: false, windows: verdicts, retryAfter: Math.ceil(retryMs / 1000) };
    }
    for (let i = 0; i < n; i++) slotOf(slots, windows[i]!.seconds * 1000, nowMs).current += weight;
    return { allowed: true, windows: verdicts, retryAfter: 0 };
  }

  /**
   * Counts `units` more in every window of `key` now, without judging them: a lease the caller has
   * already judged to fit (rate-leases in the gateway), whose requests are then admitted elsewhere.
   */
  reserve(key: string, windows: readonly RateWindow[], nowMs: number, units: number): void {
    let slots = this.keys.get(key);
    if (slots === undefined) this.keys.set(key, (slots = []));
    for (const w of windows) {
      const slot = slotOf(slots, w.seconds * 1000, nowMs);
      rollForward(slot, Math.floor(nowMs / slot.windowMs));
      slot.current += units;
    }
  }

  /**
   * Takes back `units` counted by reserve() in the intervals named by `spans` (one per window):
   * from the current count while that interval is still current, from the previous one once it has
   * become that; older intervals no longer count, so nothing is taken.
   */
  refund(key: string, spans: readonly LeaseSpan[], units: number): void {
    const slots = this.keys.get(key);
    if (slots === undefined || units <= 0) return;
    for (const span of spans) {
      const slot = slots.find((s) => s.windowMs === span.windowMs);
      if (slot === undefined) continue;
      if (slot.interval === span.interval) slot.current = Math.max(0, slot.current - units);
      else if (slot.interval === span.interval + 1) slot.previous = Math.max(0, slot.previous - units);
    }
  }

  /** Drops keys whose counts no longer matter (every window's intervals over); at most every 10 s. */
  private sweep(nowMs: number): void {
    this.sweepAt = nowMs + 10_000;
    for (const [k, slots] of this.keys) {
      if (slots.every((s) => Math.floor(nowMs / s.windowMs) > s.interval + 1)) this.keys.delete(k);
    }
  }

  private forgetOldest(): void {
    // Map iteration is insertion order: the first tenth are the longest-lived keys.
    let drop = Math.max(1, Math.floor(this.maxKeys / 10));
    for (const k of this.keys.keys()) {
      this.keys.delete(k);
      if (--drop === 0) break;
    }
  }
}
