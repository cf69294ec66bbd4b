// Consistent hashing on a ring of virtual nodes (weight-proportional): a key keeps its target
// while the target set changes, and only ~1/n of keys move when a target is added or removed.
// An unhealthy target's keys go to the next healthy point on the ring.
import type { UpstreamTarget } from '../upstream/target.ts';
import type { Balancer } from './balancer.ts';

/** FNV-1a, 32 bits, then a murmur3 finalizer for avalanche. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const POINTS_PER_WEIGHT_UNIT = 1.6; // weight 100 → 160 points

export class ConsistentHashBalancer implements Balancer {
  private readonly points: Uint32Array;
  private readonly owners: UpstreamTarget[];

  constructor(targets: readonly UpstreamTarget[]) {
    const ring: [number, UpstreamTarget][] = [];
    for (const t of targets) {
      const n = Math.max(1, Math.round(t.weight * POINTS_PER_WEIGHT_UNIT));
      if (t.weight === 0) continue;
      for (let i = 0; i < n; i++) ring.push([hash32(`${t.origin}#${i}`), t]);
    }
    ring.sort((a, b) => a[0] - b[0]);
    this.points = Uint32Array.from(ring.map((r) => r[0]));
    this.owners = ring.map((r) => r[1]);
  }

  pick(isHealthy: (t: UpstreamTarget) => boolean, hashKey: string, exclude: readonly UpstreamTarget[] | undefined): UpstreamTarget | undefined {
    const n = this.points.length;
    if (n === 0) return undefined;
    const h = hash32(hashKey);
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]! < h) lo = mid + 1; else hi = mid;
    }
    let fallback: UpstreamTarget | undefined;
    for (let k = 0; k < n; k++) {
      const t = this.owners[(lo + k) % n]!;
      if (!isHealthy(t)) continue;
      if (!exclude?.includes(t)) return t;
      fallback ??= t;
    }
    return fallback;
  }
}
