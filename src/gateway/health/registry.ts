// Health of every upstream target, kept outside snapshots so a reload keeps what was learnt.
// A target is healthy when the active checker (if any) says so and it is not passively ejected.
import type { PassiveHealthCheck } from '../../core/config/schema.ts';

export interface TargetHealth {
  readonly key: string;
  /** Verdict of active probing; true until probes say otherwise. */
  activeHealthy: boolean;
  /** Consecutive failures seen in live traffic. */
  passiveFailures: number;
  /** While now < this, live traffic avoids the target (0 = not ejected). */
  ejectedUntil: number;
}

export type HealthListener = (key: string, healthy: boolean) => void;

export function targetKey(service: string, origin: string): string {
  return `${service}|${origin}`;
}

export class HealthRegistry {
  private readonly targets = new Map<string, TargetHealth>();
  private readonly listeners: HealthListener[] = [];

  get(key: string): TargetHealth {
    let t = this.targets.get(key);
    if (!t) {
      t = { key, activeHealthy: true, passiveFailures: 0, ejectedUntil: 0 };
      this.targets.set(key, t);
    }
    return t;
  }

  onChange(listener: HealthListener): void {
    this.listeners.push(listener);
  }

  isHealthy(t: TargetHealth, now: number): boolean {
    return t.activeHealthy && (t.ejectedUntil === 0 || now >= t.ejectedUntil);
  }

  setActive(key: string, healthy: boolean): void {
    const t = this.get(key);
    if (t.activeHealthy === healthy) return;
    t.activeHealthy = healthy;
    // An active "healthy" verdict also ends a passive ejection.
    if (healthy) { t.ejectedUntil = 0; t.passiveFailures = 0; }
    this.emit(key, healthy);
  }

  recordSuccess(t: TargetHealth): void {
    if (t.passiveFailures !== 0) t.passiveFailures = 0;
    if (t.ejectedUntil !== 0) { t.ejectedUntil = 0; this.emit(t.key, t.activeHealthy); }
  }

  recordFailure(t: TargetHealth, policy: PassiveHealthCheck | undefined, now: number): void {
    if (!policy) return;
    t.passiveFailures++;
    if (t.passiveFailures >= policy.unhealthy_threshold && (t.ejectedUntil === 0 || now >= t.ejectedUntil)) {
      t.ejectedUntil = now + policy.recovery_ms;
      t.passiveFailures = 0;
      this.emit(t.key, false);
    }
  }

  /** Forgets targets that no longer exist. */
  retainOnly(keys: ReadonlySet<string>): void {
    for (const key of this.targets.keys()) if (!keys.has(key)) this.targets.delete(key);
  }

  snapshot(): { key: string; healthy: boolean }[] {
    const now = Date.now();
    return [...this.targets.values()].map((t) => ({ key: t.key, healthy: this.isHealthy(t, now) }));
  }

  private emit(key: string, healthy: boolean): void {
    for (const l of this.listeners) l(key, healthy);
  }
}
