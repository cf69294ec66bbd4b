// One circuit breaker: closed → open when the failure ratio over a rolling window crosses the
// threshold; open → half-open after a cool-down; half-open lets a few probes through and closes
// after enough successes, or opens again (with a longer cool-down, if configured) on a failure.
// Another worker's verdict can be adopted (adopt): its breaker opened, so this one opens until the
// same time plus a grace, in which the worker that opened it probes first; or its probes closed
// it, so this one closes too. Pure: the clock is passed in, so every transition is testable
// without waiting.
import { OUTCOME_FAILURE, OUTCOME_SUCCESS, type Outcome } from '../../core/pipeline/upstream-guard.ts';

export const CLOSED = 0;
export const HALF_OPEN = 1;
export const OPEN = 2;
export type BreakerState = typeof CLOSED | typeof HALF_OPEN | typeof OPEN;
export const STATE_NAMES = ['closed', 'half-open', 'open'] as const;

/** Window buckets: the window rolls off one tenth at a time. */
const BUCKETS = 10;

/**
 * A breaker opened by another worker's verdict waits this much longer than that worker before it
 * probes: the worker that opened it probes first, and its verdict (closed, or open again) usually
 * arrives within the grace. Probing then costs the node one worker's probes, not every worker's.
 */
export const FOLLOWER_GRACE_MS = 1000;

export interface BreakerSettings {
  readonly failureRatio: number;
  readonly minRequests: number;
  readonly windowMs: number;
  readonly cooldownMs: number;
  /** Each failed half-open round multiplies the cool-down by this (1 = constant)… */
  readonly cooldownMultiplier: number;
  /** …up to this. */
  readonly maxCooldownMs: number;
  readonly halfOpenMaxProbes: number;
  readonly halfOpenSuccesses: number;
}

/** A permit that was refused (nothing to release). */
export const REFUSED = -1;
/** A permit taken while closed: its outcome goes into the window. */
export const CLOSED_PERMIT = 0;

/** `adopted`: the change follows another worker's verdict, not this breaker's own traffic. */
export type TransitionListener = (breaker: CircuitBreaker, from: BreakerState, to: BreakerState, now: number, adopted: boolean) => void;

export interface BreakerView {
  readonly state: (typeof STATE_NAMES)[number];
  /** Requests and failures counted in the current window (closed state). */
  readonly requests: number;
  readonly failures: number;
  readonly opened_at: string | undefined;
  /** When an open breaker lets probes through again. */
  readonly next_retry_at: string | undefined;
  readonly cooldown_ms: number;
  readonly probes_in_flight: number;
  readonly probe_successes: number;
}

export class CircuitBreaker {
  readonly settings: BreakerSettings;
  private readonly onTransition: TransitionListener | undefined;
  private readonly bucketMs: number;
  private readonly successes = Array.from({ length: BUCKETS }, () => 0);
  private readonly failures = Array.from({ length: BUCKETS }, () => 0);
  /** Bucket number (time / bucketMs) of the newest bucket written. */
  private head = 0;
  private totalRequests = 0;
  private totalFailures = 0;
  private current: BreakerState = CLOSED;
  private openedAt = 0;
  private retryAt = 0;
  private cooldown: number;
  /** Bumped on every half-open round, so a late probe of an old round is not counted in a new one. */
  private generation = 0;
  private probes = 0;
  private probeSuccesses = 0;
  /** Open on another worker's verdict (it probes first), not on this breaker's own traffic. */
  private following = false;

  constructor(settings: BreakerSettings, onTransition?: TransitionListener) {
    this.settings = settings;
    this.onTransition = onTransition;
    this.bucketMs = Math.max(1, Math.floor(settings.windowMs / BUCKETS));
    this.cooldown = settings.cooldownMs;
  }

  /** The state now; an open breaker whose cool-down is over becomes half-open here. */
  state(now: number): BreakerState {
    if (this.current === OPEN && now >= this.retryAt) this.halfOpen(now);
    return this.current;
  }

  /** Whether a request may go through now (no permit taken). */
  admits(now: number): boolean {
    const s = this.state(now);
    return s === CLOSED || (s === HALF_OPEN && this.probes < this.settings.halfOpenMaxProbes);
  }

  /** Takes a permit: CLOSED_PERMIT, a probe permit (> 0), or REFUSED. */
  acquire(now: number): number {
    const s = this.state(now);
    if (s === CLOSED) return CLOSED_PERMIT;
    if (s === OPEN || this.probes >= this.settings.halfOpenMaxProbes) return REFUSED;
    this.probes++;
    return this.generation;
  }

  /** Hands back a permit with the outcome of what it let through. */
  release(permit: number, outcome: Outcome, now: number): void {
    if (permit === CLOSED_PERMIT) {
      // Outcomes of requests let in before the breaker opened are stale once it has.
      if (this.current === CLOSED && outcome !== 0) this.record(outcome, now);
      return;
    }
    if (permit < 0 || this.current !== HALF_OPEN || permit !== this.generation) return;
    this.probes--;
    if (outcome === OUTCOME_FAILURE) {
      this.cooldown = Math.min(this.settings.maxCooldownMs, Math.round(this.cooldown * this.settings.cooldownMultiplier));
      this.open(now);
    } else if (outcome === OUTCOME_SUCCESS && ++this.probeSuccesses >= this.settings.halfOpenSuccesses) {
      this.close(now);
    }
  }

  /** When this open breaker's cool-down ends (ms since the epoch); its current cool-down (ms). */
  get retryAtMs(): number { return this.retryAt; }
  get cooldownMs(): number { return this.cooldown; }

  /**
   * Another worker's verdict on the same upstream: `open` until `retryAt` (plus the follower's
   * grace), with that cool-down; or `closed` (its probes succeeded). An open verdict never
   * shortens an opening this breaker already has.
   */
  adopt(verdict: 'open' | 'closed', now: number, retryAt = 0, cooldownMs = this.cooldown): void {
    if (verdict === 'closed') {
      if (this.current !== CLOSED) this.close(now, true);
      return;
    }
    const until = retryAt + FOLLOWER_GRACE_MS;
    if (until <= now || (this.current === OPEN && this.retryAt >= until)) return;
    // Opened on its own traffic too (two workers at about the same time): it probes as planned.
    if (this.current === OPEN && !this.following) return;
    this.cooldown = cooldownMs;
    this.open(now, until, true);
  }

  /** Milliseconds until an open breaker lets probes through (0 when not open). */
  retryInMs(now: number): number {
    return this.state(now) === OPEN ? this.retryAt - now : 0;
  }

  view(now: number): BreakerView {
    const s = this.state(now);
    this.roll(Math.floor(now / this.bucketMs));
    return {
      state: STATE_NAMES[s],
      requests: this.totalRequests,
      failures: this.totalFailures,
      opened_at: s === CLOSED ? undefined : new Date(this.openedAt).toISOString(),
      next_retry_at: s === OPEN ? new Date(this.retryAt).toISOString() : undefined,
      cooldown_ms: this.cooldown,
      probes_in_flight: s === HALF_OPEN ? this.probes : 0,
      probe_successes: s === HALF_OPEN ? this.probeSuccesses : 0,
    };
  }

  private record(outcome: Outcome, now: number): void {
    const bucket = Math.floor(now / this.bucketMs);
    this.roll(bucket);
    const i = bucket % BUCKETS;
    this.totalRequests++;
    if (outcome === OUTCOME_FAILURE) {
      this.failures[i]!++;
      this.totalFailures++;
      const s = this.settings;
      if (this.totalRequests >= s.minRequests && this.totalFailures >= s.failureRatio * this.totalRequests) this.open(now);
    } else {
      this.successes[i]!++;
    }
  }

  /** Drops the buckets that fell out of the window by `bucket`. */
  private roll(bucket: number): void {
    if (bucket <= this.head) return;
    const stale = Math.min(BUCKETS, bucket - this.head);
    for (let k = 1; k <= stale; k++) {
      const i = (this.head + k) % BUCKETS;
      this.totalRequests -= this.successes[i]! + this.failures[i]!;
      this.totalFailures -= this.failures[i]!;
      this.successes[i] = 0;
      this.failures[i] = 0;
    }
    this.head = bucket;
  }

  private resetWindow(): void {
    this.successes.fill(0);
    this.failures.fill(0);
    this.totalRequests = 0;
    this.totalFailures = 0;
  }

  private open(now: number, retryAt = now + this.cooldown, adopted = false): void {
    const from = this.current;
    this.current = OPEN;
    this.following = adopted;
    this.openedAt = now;
    this.retryAt = retryAt;
    this.probes = 0;
    this.probeSuccesses = 0;
    this.resetWindow();
    this.onTransition?.(this, from, OPEN, now, adopted);
  }

  private halfOpen(now: number): void {
    this.current = HALF_OPEN;
    this.generation++;
    this.probes = 0;
    this.probeSuccesses = 0;
    this.onTransition?.(this, OPEN, HALF_OPEN, now, false);
  }

  private close(now: number, adopted = false): void {
    const from = this.current;
    this.current = CLOSED;
    this.cooldown = this.settings.cooldownMs;
    this.probes = 0;
    this.probeSuccesses = 0;
    this.resetWindow();
    this.head = Math.floor(now / this.bucketMs);
    this.onTransition?.(this, from, CLOSED, now, adopted);
  }
}
