// Active health checks: each target with a probe configured is requested every interval; after
// `unhealthy_threshold` consecutive failures it is taken out, after `healthy_threshold`
// consecutive successes it is put back. Runs once per node (in the supervisor), not per worker.
import { Agent, request } from 'undici';
import type { ActiveHealthCheck, ServiceConfig } from '../../core/config/schema.ts';
import type { Logger } from '../../telemetry/logger.ts';
import { targetKey, type HealthRegistry } from './registry.ts';

interface ProbeLoop {
  readonly signature: string;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
  successes: number;
  failures: number;
}

export class ActiveHealthChecker {
  private readonly registry: HealthRegistry;
  private readonly logger: Logger;
  private readonly loops = new Map<string, ProbeLoop>();
  private readonly agent = new Agent({ keepAliveTimeout: 1000, connections: 4 });

  constructor(registry: HealthRegistry, logger: Logger) {
    this.registry = registry;
    this.logger = logger;
  }

  /** Starts, keeps or stops probe loops to match the services of a new config. */
  configure(services: readonly ServiceConfig[]): void {
    const wanted = new Map<string, { signature: string; origin: string; check: ActiveHealthCheck; service: string }>();
    for (const s of services) {
      const check = s.health_checks.active;
      if (!check) continue;
      for (const t of s.targets) {
        const origin = new URL(t.url).origin;
        const key = targetKey(s.name, origin);
        wanted.set(key, { signature: JSON.stringify(check), origin, check, service: s.name });
      }
    }
    for (const [key, loop] of this.loops) {
      const w = wanted.get(key);
      if (w && w.signature === loop.signature) continue;
      this.stopLoop(key, loop);
      // A target no longer actively checked must not stay marked down by an old verdict.
      if (!w) this.registry.setActive(key, true);
    }
    for (const [key, w] of wanted) {
      if (this.loops.has(key)) continue;
      const loop: ProbeLoop = { signature: w.signature, timer: undefined, stopped: false, successes: 0, failures: 0 };
      this.loops.set(key, loop);
      this.schedule(key, loop, w.origin, w.check, 0);
    }
  }

  private schedule(key: string, loop: ProbeLoop, origin: string, check: ActiveHealthCheck, delay: number): void {
    loop.timer = setTimeout(async () => {
      const ok = await this.probe(origin, check);
      if (loop.stopped) return;
      if (ok) { loop.successes++; loop.failures = 0; } else { loop.failures++; loop.successes = 0; }
      const wasHealthy = this.registry.get(key).activeHealthy;
      if (!wasHealthy && loop.successes >= check.healthy_threshold) {
        this.registry.setActive(key, true);
        this.logger.info({ target: key }, 'health check: target is healthy again');
      } else if (wasHealthy && loop.failures >= check.unhealthy_threshold) {
        this.registry.setActive(key, false);
        this.logger.warn({ target: key }, 'health check: target is unhealthy');
      }
      this.schedule(key, loop, origin, check, check.interval_ms);
    }, delay);
    loop.timer.unref();
  }

  private async probe(origin: string, check: ActiveHealthCheck): Promise<boolean> {
    try {
      const res = await request(origin + check.path, {
        method: 'GET',
        dispatcher: this.agent,
        headersTimeout: check.timeout_ms,
        bodyTimeout: check.timeout_ms,
        headers: { 'user-agent': 'portcullis-health-check' },
        signal: AbortSignal.timeout(check.timeout_ms),
      });
      await res.body.dump({ limit: 64 * 1024 });
      return check.healthy_statuses.includes(res.statusCode);
    } catch {
      return false;
    }
  }

  private stopLoop(key: string, loop: ProbeLoop): void {
    loop.stopped = true;
    if (loop.timer) clearTimeout(loop.timer);
    this.loops.delete(key);
  }

  async stop(): Promise<void> {
    for (const [key, loop] of this.loops) this.stopLoop(key, loop);
    await this.agent.close();
  }
}
