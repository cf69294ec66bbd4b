// A compiled snapshot plus what the data plane needs to act on it (pools, balancers, health):
// built on every config change and swapped in one assignment.
import type { ServiceConfig } from '../core/config/schema.ts';
import { CidrSet, parseCidr, type CidrBlock } from '../core/net/cidr.ts';
import type { Snapshot } from '../core/snapshot/compile.ts';
import { createBalancer, type Balancer } from './balancer/index.ts';
import { targetKey, type HealthRegistry } from './health/registry.ts';
import { upstreamTimer } from '../telemetry/metrics.ts';
import type { PoolRegistry } from './upstream/pools.ts';
import { targetLabel, type UpstreamTarget } from './upstream/target.ts';

export interface ServiceRuntime {
  readonly config: ServiceConfig;
  readonly targets: readonly UpstreamTarget[];
  readonly balancer: Balancer;
  /** Service path without its trailing "/" ("" for "/"). */
  readonly pathPrefix: string;
  /** Lower-cased header name for consistent hashing on a header. */
  readonly hashHeader: string | undefined;
}

export interface GatewayRuntime {
  readonly snapshot: Snapshot;
  readonly services: ReadonlyMap<string, ServiceRuntime>;
  readonly trustedProxies: CidrSet;
  /** Every pool key and health key in use, so the registries can drop the rest. */
  readonly poolKeys: ReadonlySet<string>;
  readonly healthKeys: ReadonlySet<string>;
}

function hostHeaderOf(url: URL): string {
  return url.host; // includes the port only when it is not the scheme's default
}

export function buildRuntime(snapshot: Snapshot, pools: PoolRegistry, health: HealthRegistry): GatewayRuntime {
  const services = new Map<string, ServiceRuntime>();
  const poolKeys = new Set<string>();
  const healthKeys = new Set<string>();
  for (const service of snapshot.config.services) {
    const targets = service.targets.map((t): UpstreamTarget => {
      const url = new URL(t.url);
      const origin = url.origin;
      const { key, pool } = pools.acquire(origin, { connections: service.max_connections, connectTimeoutMs: service.connect_timeout_ms });
      poolKeys.add(key);
      const hk = targetKey(service.name, origin);
      healthKeys.add(hk);
      return { origin, hostHeader: hostHeaderOf(url), label: targetLabel(url), weight: t.weight, pool, poolKey: key, health: health.get(hk), inFlight: 0, latency: upstreamTimer(service.name, targetLabel(url)) };
    });
    const prefix = service.path.endsWith('/') ? service.path.slice(0, -1) : service.path;
    services.set(service.name, {
      config: service,
      targets,
      balancer: createBalancer(service, targets),
      pathPrefix: prefix,
      hashHeader: service.load_balancing.hash_on === 'header' ? service.load_balancing.hash_header?.toLowerCase() : undefined,
    });
  }
  const blocks = snapshot.settings.trusted_proxies.map((c) => parseCidr(c)).filter((b): b is CidrBlock => b !== undefined);
  return { snapshot, services, trustedProxies: new CidrSet(blocks), poolKeys, healthKeys };
}

/**
 * The path sent upstream: the request path without the part the route strips (`stripped`
 * characters; 0 when it strips nothing), behind the service's path prefix ("" for none).
 */
export function upstreamPathOf(path: string, stripped: number, prefix: string): string {
  let rest = path;
  if (stripped > 0) {
    rest = path.slice(stripped);
    if (rest === '' || rest.charCodeAt(0) !== 0x2f) rest = '/' + rest;
  }
  if (prefix === '') return rest;
  return rest === '/' ? prefix : prefix + rest;
}
