// One request's view of its service's breakers: the service breaker's permit (taken in `access`)
// and the target breakers the gateway consults for each attempt (UpstreamGuard).
import type { PluginResponse } from '../../core/pipeline/context.ts';
import type { Outcome, UpstreamGuard } from '../../core/pipeline/upstream-guard.ts';
import { REFUSED } from './breaker.ts';
import type { ServiceBreakers } from './registry.ts';

export interface FallbackResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The compiled plugin config: breaker settings plus how to answer while open. */
export interface CompiledBreakerConfig {
  readonly fingerprint: string;
  readonly level: 'both' | 'targets' | 'service';
  readonly settings: ServiceBreakers['settings'];
  readonly failureStatuses: ReadonlySet<number>;
  readonly fallback: FallbackResponse | undefined;
}

/** 503 circuit-open (or the configured fallback) with Retry-After: the cool-down left. */
export function openAnswer(conf: CompiledBreakerConfig, retryInMs: number): PluginResponse {
  const retryAfter = String(Math.max(1, Math.ceil(retryInMs / 1000)));
  const fb = conf.fallback;
  if (fb === undefined) return { problem: 'circuit-open', headers: { 'retry-after': retryAfter } };
  return { status: fb.status, headers: fb.headers['retry-after'] === undefined ? { ...fb.headers, 'retry-after': retryAfter } : fb.headers, body: fb.body };
}

export class BreakerGuard implements UpstreamGuard {
  private readonly group: ServiceBreakers;
  private readonly conf: CompiledBreakerConfig;
  /** The service breaker's permit for this request (REFUSED when there is none). */
  private servicePermit: number;

  constructor(group: ServiceBreakers, conf: CompiledBreakerConfig, servicePermit: number) {
    this.group = group;
    this.conf = conf;
    this.servicePermit = servicePermit;
  }

  admits(origin: string, now: number): boolean {
    return this.group.target(origin)?.admits(now) ?? true;
  }

  acquire(origin: string, now: number): number {
    return this.group.target(origin)?.acquire(now) ?? REFUSED;
  }

  release(origin: string, permit: number, outcome: Outcome, now: number): void {
    if (permit !== REFUSED) this.group.target(origin)?.release(permit, outcome, now);
  }

  isFailureStatus(status: number): boolean {
    return this.conf.failureStatuses.has(status);
  }

  refusal(now: number): PluginResponse {
    return openAnswer(this.conf, this.group.soonestTargetRetry(now));
  }

  requestEnded(outcome: Outcome, now: number): void {
    const permit = this.servicePermit;
    if (permit === REFUSED) return;
    this.servicePermit = REFUSED;
    this.group.serviceBreaker?.release(permit, outcome, now);
  }
}
