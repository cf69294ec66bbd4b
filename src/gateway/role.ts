import type { Config } from '../core/config/schema.ts';
import type { BreakerReport } from '../plugins/circuit-breaker/registry.ts';

/** The circuit breakers of one gateway process. */
export interface WorkerBreakers {
  readonly worker: number;
  readonly breakers: readonly BreakerReport[];
}
import type { PurgeRequest } from '../store/cache/ports.ts';

/** The gateway role as the supervisor drives it: in this process, or in cluster workers. */
export interface GatewayRole {
  /** Starts listening with `config`; rejects (e.g. port in use) with a clear message. */
  start(config: Config): Promise<void>;
  /** Swaps in a new config everywhere; rejects, changing nothing, if it does not compile. */
  apply(config: Config): Promise<string>;
  /** Config version each gateway process serves. */
  versions(): string[];
  /** Data-plane metrics of all processes, in Prometheus text format. */
  metrics(): Promise<string>;
  /** Health verdicts from the active checker. */
  setTargetHealth(key: string, healthy: boolean): void;
  /** Circuit breakers of every gateway process (each keeps its own). */
  breakers(): Promise<WorkerBreakers[]>;
  /** Purges proxy-cache memory stores in every gateway process; resolves with the entries removed. */
  purgeCache(request: PurgeRequest): Promise<number>;
  /** Graceful shutdown. */
  drain(timeoutMs: number): Promise<void>;
  readonly port: number;
}
