import type { ServiceConfig } from '../../core/config/schema.ts';
import type { UpstreamTarget } from '../upstream/target.ts';
import type { Balancer } from './balancer.ts';
import { ConsistentHashBalancer } from './consistent-hash.ts';
import { LeastConnectionsBalancer } from './least-connections.ts';
import { RoundRobinBalancer } from './round-robin.ts';

export type { Balancer } from './balancer.ts';

export function createBalancer(service: ServiceConfig, targets: readonly UpstreamTarget[]): Balancer {
  switch (service.load_balancing.algorithm) {
    case 'least-connections': return new LeastConnectionsBalancer(targets);
    case 'consistent-hash': return new ConsistentHashBalancer(targets);
    default: return new RoundRobinBalancer(targets);
  }
}
