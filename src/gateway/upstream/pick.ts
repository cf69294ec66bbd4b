// Which target the next attempt goes to: healthy, admitted by the route's guard (circuit
// breakers, concurrency caps), not tried yet by this request, chosen by the service's balancer.
import type { IncomingMessage } from 'node:http';
import type { UpstreamGuard } from '../../core/pipeline/upstream-guard.ts';
import type { HealthRegistry } from '../health/registry.ts';
import type { ServiceRuntime } from '../runtime.ts';
import type { UpstreamTarget } from './target.ts';

export function pickTarget(service: ServiceRuntime, health: HealthRegistry, guard: UpstreamGuard | undefined, req: IncomingMessage, clientIp: string, tried: readonly UpstreamTarget[] | undefined, now: number): UpstreamTarget | undefined {
  const key = hashKey(service, req, clientIp);
  return guard === undefined
    ? service.balancer.pick((t) => health.isHealthy(t.health, now), key, tried)
    : service.balancer.pick((t) => health.isHealthy(t.health, now) && guard.admits(t.origin, now), key, tried);
}

/** What consistent hashing hashes: the configured header, or the client address ('' otherwise). */
function hashKey(service: ServiceRuntime, req: IncomingMessage, clientIp: string): string {
  if (service.config.load_balancing.algorithm !== 'consistent-hash') return '';
  if (service.hashHeader) {
    const v = req.headers[service.hashHeader];
    return Array.isArray(v) ? v.join(',') : (v ?? '');
  }
  return clientIp;
}
