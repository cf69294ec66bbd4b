import type { UpstreamTarget } from '../upstream/target.ts';

export interface Balancer {
  /**
   * Picks a healthy target, avoiding those in `exclude` (targets that already failed this
   * request) while another healthy one exists. `hashKey` feeds consistent hashing.
   */
  pick(isHealthy: (t: UpstreamTarget) => boolean, hashKey: string, exclude: readonly UpstreamTarget[] | undefined): UpstreamTarget | undefined;
}
