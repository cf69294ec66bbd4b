// undici connection pools, one per upstream origin and pool settings. Pools outlive snapshots:
// a reload reuses the pools of unchanged targets (warm keep-alive connections) and closes the
// others gracefully once their in-flight requests are done.
import { Pool } from 'undici';

export interface PoolSettings {
  readonly connections: number;
  readonly connectTimeoutMs: number;
}

export class PoolRegistry {
  private readonly pools = new Map<string, Pool>();

  private static key(origin: string, s: PoolSettings): string {
    return `${origin}|${s.connections}|${s.connectTimeoutMs}`;
  }

  acquire(origin: string, settings: PoolSettings): { key: string; pool: Pool } {
    const key = PoolRegistry.key(origin, settings);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(origin, {
        connections: settings.connections,
        pipelining: 1,
        connect: { timeout: settings.connectTimeoutMs },
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 300_000,
        strictContentLength: true,
      });
      this.pools.set(key, pool);
    }
    return { key, pool };
  }

  /** Closes (gracefully) every pool whose key is not in `keep`. */
  retainOnly(keep: ReadonlySet<string>): void {
    for (const [key, pool] of this.pools) {
      if (keep.has(key)) continue;
      this.pools.delete(key);
      pool.close().catch(() => undefined);
    }
  }

  async closeAll(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((p) => p.close()));
  }

  async destroyAll(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((p) => p.destroy()));
  }
}
