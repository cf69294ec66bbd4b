// GET /admin/circuit-breakers: every circuit breaker of every gateway process on this node. Each
// worker process keeps its own breakers (they learn from the traffic that worker carries), so the
// list has one entry per (worker, breaker).
import Type from 'typebox';
import type { BreakerReport } from '../../plugins/circuit-breaker/registry.ts';
import { Timestamp, type Operation } from './types.ts';

export interface WorkerBreakerReport {
  readonly worker: number;
  readonly breakers: readonly BreakerReport[];
}

/** Where the breakers come from: the gateway role (asks its workers over IPC). */
export type BreakerSource = () => Promise<readonly WorkerBreakerReport[]>;

const BreakerSchema = Type.Object({
  worker: Type.Integer({ description: 'Gateway worker process (0 when the gateway runs in the supervisor).' }),
  service: Type.String(),
  target: Type.Optional(Type.String({ description: 'host:port of the upstream target; absent for the service breaker.' })),
  state: Type.Union([Type.Literal('closed'), Type.Literal('half-open'), Type.Literal('open')]),
  requests: Type.Integer({ description: 'Requests counted in the rolling window (while closed).' }),
  failures: Type.Integer({ description: 'Failures counted in the rolling window (while closed).' }),
  opened_at: Type.Optional(Timestamp),
  next_retry_at: Type.Optional({ ...Timestamp, description: 'When an open breaker lets probe requests through.' }),
  cooldown_ms: Type.Integer({ description: 'The current cool-down (it grows after failed probes when configured).' }),
  probes_in_flight: Type.Integer(),
  probe_successes: Type.Integer(),
}, { title: 'CircuitBreaker' });

export function circuitBreakerOperations(source: BreakerSource): Operation[] {
  return [{
    id: 'list-circuit-breakers', method: 'GET', path: '/admin/circuit-breakers', tag: 'Resilience', role: 'viewer',
    summary: 'List the circuit breakers of every gateway process',
    description: 'One entry per breaker and gateway worker process: breakers are kept per process, like passive health checks. Breakers appear once traffic has used them.',
    responses: { 200: { description: 'Every breaker, by worker.', schema: Type.Object({ data: Type.Array(BreakerSchema) }) } },
    async handler() {
      const workers = await source();
      return { body: { data: workers.flatMap((w) => w.breakers.map((b) => ({ worker: w.worker, ...b }))) } };
    },
  }];
}
