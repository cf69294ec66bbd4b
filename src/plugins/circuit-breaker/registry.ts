// The breakers of this process: one per service and one per (service, target origin), created on
// first use and kept across config reloads while the service's breaker config is unchanged. Each
// worker process counts the traffic it carries, and the workers of a node share their verdicts:
// a breaker that opens (or closes after its probes) is announced (onTransition, not adopted) and
// the other workers adopt it (adopt), also for breakers they have not made yet (kept in
// `verdicts` until then). The gateway drops the breakers of services and targets that left the
// config (retainOnly), lists them for the admin API and turns transitions into metrics and log lines.
import { CircuitBreaker, CLOSED, FOLLOWER_GRACE_MS, HALF_OPEN, OPEN, type BreakerSettings, type BreakerState, type BreakerView } from './breaker.ts';

/** One worker's breaker changed on its own traffic: the others adopt the change. */
export interface BreakerVerdict {
  readonly service: string;
  /** The breaker config it was reached under: a worker on another config ignores it. */
  readonly fingerprint: string;
  /** The target's origin; null for the service breaker. */
  readonly target: string | null;
  readonly verdict: 'open' | 'closed';
  /** Open: when the cool-down ends (ms since the epoch), and its length. */
  readonly retryAt: number;
  readonly cooldownMs: number;
}

export interface BreakerEntry {
  readonly service: string;
  readonly fingerprint: string;
  /** The target's origin; undefined for the service breaker. */
  readonly target: string | undefined;
  readonly breaker: CircuitBreaker;
}

export type BreakerTransition = (entry: BreakerEntry, from: BreakerState, to: BreakerState, now: number, adopted: boolean) => void;

/** The breakers of one service under one config. */
export class ServiceBreakers {
  readonly service: string;
  readonly fingerprint: string;
  readonly settings: BreakerSettings;
  /** Undefined when the config asks for target breakers only. */
  readonly serviceBreaker: CircuitBreaker | undefined;
  private readonly perTarget: boolean;
  private readonly targets = new Map<string, CircuitBreaker>();
  private readonly registry: BreakerRegistry;

  constructor(registry: BreakerRegistry, service: string, fingerprint: string, settings: BreakerSettings, level: 'both' | 'targets' | 'service') {
    this.registry = registry;
    this.service = service;
    this.fingerprint = fingerprint;
    this.settings = settings;
    this.perTarget = level !== 'service';
    this.serviceBreaker = level === 'targets' ? undefined : registry.create(this, undefined);
  }

  /** The target's breaker if it exists (not made). */
  existingTarget(origin: string): CircuitBreaker | undefined {
    return this.targets.get(origin);
  }

  /** The target's breaker (made on first sight), or undefined without target breakers. */
  target(origin: string): CircuitBreaker | undefined {
    if (!this.perTarget) return undefined;
    let b = this.targets.get(origin);
    if (b === undefined) {
      b = this.registry.create(this, origin);
      this.targets.set(origin, b);
    }
    return b;
  }

  /**
   * Smallest wait until some target breaker lets a probe through (ms; 0 when one is half-open).
   * Closed breakers are left out: when every target was refused, a closed one can only be a
   * target that health checks took out.
   */
  soonestTargetRetry(now: number): number {
    let soonest = Infinity;
    for (const b of this.targets.values()) {
      const state = b.state(now);
      if (state === OPEN) soonest = Math.min(soonest, b.retryInMs(now));
      else if (state === HALF_OPEN) return 0;
    }
    return soonest === Infinity ? 0 : soonest;
  }

  entries(): BreakerEntry[] {
    const out: BreakerEntry[] = [];
    if (this.serviceBreaker) out.push({ service: this.service, fingerprint: this.fingerprint, target: undefined, breaker: this.serviceBreaker });
    for (const [origin, breaker] of this.targets) out.push({ service: this.service, fingerprint: this.fingerprint, target: origin, breaker });
    return out;
  }

  forgetTargets(keep: (origin: string) => boolean): void {
    for (const origin of this.targets.keys()) if (!keep(origin)) this.targets.delete(origin);
  }
}

export interface BreakerReport extends BreakerView {
  readonly service: string;
  /** host:port of the target; absent for the service breaker. */
  readonly target?: string;
}

export class BreakerRegistry {
  private readonly services = new Map<string, ServiceBreakers>();
  private readonly listeners: BreakerTransition[] = [];
  /** Open verdicts of other workers, by breaker key, for breakers this process has not made yet. */
  private readonly verdicts = new Map<string, BreakerVerdict>();

  /** The service's breakers for this config: kept while the config fingerprint is the same. */
  group(service: string, fingerprint: string, settings: BreakerSettings, level: 'both' | 'targets' | 'service'): ServiceBreakers {
    const existing = this.services.get(service);
    if (existing !== undefined && existing.fingerprint === fingerprint) return existing;
    const fresh = new ServiceBreakers(this, service, fingerprint, settings, level);
    this.services.set(service, fresh);
    return fresh;
  }

  create(group: ServiceBreakers, target: string | undefined): CircuitBreaker {
    const entry = { service: group.service, fingerprint: group.fingerprint, target } as { service: string; fingerprint: string; target: string | undefined; breaker: CircuitBreaker };
    entry.breaker = new CircuitBreaker(group.settings, (_b, from, to, now, adopted) => {
      // A group replaced by a config change no longer reports (its breakers are unreachable).
      if (this.services.get(group.service) !== group) return;
      for (const l of this.listeners) l(entry, from, to, now, adopted);
    });
    // Another worker opened it before this one had traffic for it.
    const pending = this.verdicts.get(keyOf(group.service, group.fingerprint, target ?? null));
    if (pending !== undefined) entry.breaker.adopt('open', Date.now(), pending.retryAt, pending.cooldownMs);
    return entry.breaker;
  }

  /** Another worker's verdict: its breaker opened or closed, so this process's does too. */
  adopt(v: BreakerVerdict, now: number): void {
    const key = keyOf(v.service, v.fingerprint, v.target);
    for (const [k, kept] of this.verdicts) if (kept.retryAt + FOLLOWER_GRACE_MS <= now) this.verdicts.delete(k);
    if (v.verdict === 'open') this.verdicts.set(key, v);
    else this.verdicts.delete(key);
    const group = this.services.get(v.service);
    if (group === undefined || group.fingerprint !== v.fingerprint) return;
    const breaker = v.target === null ? group.serviceBreaker : group.existingTarget(v.target);
    breaker?.adopt(v.verdict, now, v.retryAt, v.cooldownMs);
  }

  /** The verdict to announce for a change of a breaker's own (undefined: nothing to announce). */
  static verdictOf(entry: BreakerEntry, to: BreakerState, adopted: boolean): BreakerVerdict | undefined {
    if (adopted || to === HALF_OPEN) return undefined;
    const b = entry.breaker;
    return { service: entry.service, fingerprint: entry.fingerprint, target: entry.target ?? null, verdict: to === CLOSED ? 'closed' : 'open', retryAt: b.retryAtMs, cooldownMs: b.cooldownMs };
  }

  onTransition(listener: BreakerTransition): void {
    this.listeners.push(listener);
  }

  /**
   * Forgets services no longer using breakers and targets no longer in their service
   * (`liveTargets` holds "service|origin" keys, as the health registry keys targets).
   */
  retainOnly(liveServices: ReadonlySet<string>, liveTargets: ReadonlySet<string>): void {
    for (const [name, group] of this.services) {
      if (!liveServices.has(name)) this.services.delete(name);
      else group.forgetTargets((origin) => liveTargets.has(`${name}|${origin}`));
    }
  }

  entries(): BreakerEntry[] {
    return [...this.services.values()].flatMap((g) => g.entries());
  }

  /** Every breaker with its state now, for the admin API. */
  report(now: number, label: (origin: string) => string): BreakerReport[] {
    return this.entries().map((e) => ({ service: e.service, ...(e.target !== undefined ? { target: label(e.target) } : {}), ...e.breaker.view(now) }));
  }
}

function keyOf(service: string, fingerprint: string, target: string | null): string {
  return `${service}\n${fingerprint}\n${target ?? ''}`;
}

/** The breakers of this process (each gateway worker has its own; they share verdicts). */
export const BREAKERS = new BreakerRegistry();
