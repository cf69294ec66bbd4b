// The gateway's side of the circuit-breaker and concurrency-limit plugins, whose state lives in
// each process: drop what a new config no longer has, turn breaker transitions into metrics and
// log lines, share breaker verdicts with the node's other workers, and report breakers to the
// supervisor (admin API).
import { BREAKERS, BreakerRegistry, type BreakerReport, type BreakerVerdict } from '../plugins/circuit-breaker/registry.ts';
import { STATE_NAMES } from '../plugins/circuit-breaker/breaker.ts';
import { slotSource } from '../plugins/concurrency-limit/slots.ts';
import type { Logger } from '../telemetry/logger.ts';
import { breakerTransitions, setBreakerSource, setLimiterSource } from '../telemetry/metrics.ts';
import type { GatewayRuntime } from './runtime.ts';
import { targetLabel } from './upstream/target.ts';

const BREAKER_PLUGIN = 'circuit-breaker';
const labelCache = new Map<string, string>();

/** host:port of an origin, as metrics and the admin API name targets. */
function labelOf(origin: string): string {
  let l = labelCache.get(origin);
  if (l === undefined) {
    l = targetLabel(new URL(origin));
    labelCache.set(origin, l);
  }
  return l;
}

let watching = false;

/** Once per process: breaker transitions become a counter and a log line; gauges read the registries. */
export function watchResilience(logger: Logger): void {
  if (watching) return;
  watching = true;
  BREAKERS.onTransition((entry, from, to, now, adopted) => {
    const target = entry.target === undefined ? '' : labelOf(entry.target);
    const fields = { service: entry.service, target: target || undefined, from: STATE_NAMES[from], to: STATE_NAMES[to], ...(to === 2 ? { retry_in_ms: entry.breaker.retryInMs(now) } : {}) };
    // Another worker's verdict: that worker counted and logged the change already.
    if (adopted) return logger.debug(fields, `circuit breaker ${STATE_NAMES[to]} (another worker's verdict)`);
    breakerTransitions.labels(entry.service, target, STATE_NAMES[to]).inc();
    if (to === 2) logger.warn(fields, 'circuit breaker opened');
    else logger.info(fields, `circuit breaker ${STATE_NAMES[to]}`);
  });
  setBreakerSource(() => {
    const now = Date.now();
    return BREAKERS.entries().map((e) => ({ service: e.service, target: e.target === undefined ? '' : labelOf(e.target), state: e.breaker.state(now) }));
  });
  setLimiterSource(() => {
    // One series per scope key: limiters of the same key under different configs add up.
    const byKey = new Map<string, { scope: string; name: string; inFlight: number; queued: number; rejected: Readonly<Record<string, number>> }>();
    const entry = (key: string) => {
      let s = byKey.get(key);
      if (s === undefined) {
        const bar = key.indexOf('|');
        s = { scope: key.slice(0, bar), name: key.slice(bar + 1), inFlight: 0, queued: 0, rejected: {} };
        byKey.set(key, s);
      }
      return s;
    };
    const slots = slotSource();
    for (const [key, rejected] of slots.rejectionTotals()) entry(key).rejected = rejected;
    for (const [key, l] of slots.entries()) {
      const s = entry(key);
      s.inFlight += l.inFlight;
      s.queued += l.queued;
    }
    return [...byKey.values()];
  });
}

/**
 * After a swap: breakers of services that no longer use the plugin, and of targets no longer in
 * their service, are dropped (kept otherwise: a reload with the same config keeps what was
 * learnt); idle limiters are dropped (they hold nothing).
 */
export function retainResilience(runtime: GatewayRuntime): void {
  const services = new Set<string>();
  for (const route of runtime.snapshot.routes) if (route.chains.plugins.includes(BREAKER_PLUGIN)) services.add(route.service.name);
  BREAKERS.retainOnly(services, runtime.healthKeys);
  slotSource().dropIdle();
}

/** A gateway worker announces its breakers' own openings and closings to the node's other workers. */
export function shareBreakerVerdicts(send: (verdict: BreakerVerdict) => void): void {
  BREAKERS.onTransition((entry, _from, to, _now, adopted) => {
    const verdict = BreakerRegistry.verdictOf(entry, to, adopted);
    if (verdict !== undefined) send(verdict);
  });
}

/** Another worker's verdict, as the supervisor relays it. */
export function adoptBreakerVerdict(verdict: BreakerVerdict): void {
  BREAKERS.adopt(verdict, Date.now());
}

/** Every breaker of this process, for the admin API. */
export function breakerReport(): BreakerReport[] {
  return BREAKERS.report(Date.now(), labelOf);
}
