// Smooth weighted round robin (the nginx algorithm): over any window of sum(weights) picks,
// each target is chosen weight times, interleaved rather than in bursts.
import type { UpstreamTarget } from '../upstream/target.ts';
import type { Balancer } from './balancer.ts';

export class RoundRobinBalancer implements Balancer {
  private readonly targets: readonly UpstreamTarget[];
  private readonly current: number[];

  constructor(targets: readonly UpstreamTarget[]) {
    this.targets = targets.filter((t) => t.weight > 0);
    this.current = this.targets.map(() => 0);
  }

  pick(isHealthy: (t: UpstreamTarget) => boolean, _hashKey: string, exclude: readonly UpstreamTarget[] | undefined): UpstreamTarget | undefined {
    const chosen = this.choose(isHealthy, exclude);
    return chosen ?? (exclude ? this.choose(isHealthy, undefined) : undefined);
  }

  private choose(isHealthy: (t: UpstreamTarget) => boolean, exclude: readonly UpstreamTarget[] | undefined): UpstreamTarget | undefined {
    const targets = this.targets;
    if (targets.length === 1) {
      const only = targets[0]!;
      return isHealthy(only) && !exclude?.includes(only) ? only : undefined;
    }
    let total = 0;
    let best = -1;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      if (!isHealthy(t) || exclude?.includes(t)) continue;
      this.current[i]! += t.weight;
      total += t.weight;
      if (best === -1 || this.current[i]! > this.current[best]!) best = i;
    }
    if (best === -1) return undefined;
    this.current[best]! -= total;
    return targets[best];
  }
}
