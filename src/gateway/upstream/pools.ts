// undici connection pools, one per upstream origin and pool settings. Pools outlive snapshots:
// a reload reuses the pools of unchanged targets (warm keep-alive connections) and closes the
// others gracefully once their in-flight requests are done.
import { Pool } from 'undici';

export interface PoolSettings {
  readonly connections: number;
  readonly connectTimeoutMs: number;
}

/** How long a pool dropped by a reload stays usable for retries of requests from the old config. */
const RETIRE_GRACE_MS = 60_000;

export class PoolRegistry {
  private readonly pools = new Map<string, Pool>();
  private readonly retiring = new Set<Pool>();

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

  /**
   * Retires every pool whose key is not in `keep`: requests of the old config still in flight
   * (and their retries) may use it for a grace period, then it closes gracefully.
   */
  retainOnly(keep: ReadonlySet<string>): void {
    for (const [key, pool] of this.pools) {
      if (keep.has(key)) continue;
      this.pools.delete(key);
      this.retiring.add(pool);
      setTimeout(() => {
        this.retiring.delete(pool);
        pool.close().catch(() => undefined);
      }, RETIRE_GRACE_MS).unref();
    }
  }

  private takeAll(): Pool[] {
    const pools = [...this.pools.values(), ...this.retiring];
    this.pools.clear();
    this.retiring.clear();
    return pools;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.takeAll().map((p) => p.close()));
  }

  async destroyAll(): Promise<void> {
    await Promise.allSettled(this.takeAll().map((p) => p.destroy()));
  }
}
