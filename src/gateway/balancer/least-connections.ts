// Least connections, weighted: the healthy target with the fewest requests in flight per unit of
// weight; ties rotate so equal targets share the load.
import type { UpstreamTarget } from '../upstream/target.ts';
import type { Balancer } from './balancer.ts';

export class LeastConnectionsBalancer implements Balancer {
  private readonly targets: readonly UpstreamTarget[];
  private rotation = 0;

  constructor(targets: readonly UpstreamTarget[]) {
    this.targets = targets.filter((t) => t.weight > 0);
  }

  pick(isHealthy: (t: UpstreamTarget) => boolean, _hashKey: string, exclude: readonly UpstreamTarget[] | undefined): UpstreamTarget | undefined {
    return this.choose(isHealthy, exclude) ?? (exclude ? this.choose(isHealthy, undefined) : undefined);
  }

  private choose(isHealthy: (t: UpstreamTarget) => boolean, exclude: readonly UpstreamTarget[] | undefined): UpstreamTarget | undefined {
    const n = this.targets.length;
    const start = this.rotation++ % n;
    let best: UpstreamTarget | undefined;
    let bestLoad = Infinity;
    for (let k = 0; k < n; k++) {
      const t = this.targets[(start + k) % n]!;
      if (!isHealthy(t) || exclude?.includes(t)) continue;
      const load = (t.inFlight + 1) / t.weight;
      if (load < bestLoad) { best = t; bestLoad = load; }
    }
    return best;
  }
}
