// Test fixtures for billing (not imported by production code): usage minute rows and a priced
// plan, written through the real store.
import { emptyHistogram, type UsageRow } from '../../store/usage/types.ts';
import type { Store } from '../../store/ports.ts';
import { rollUpUsage } from '../../telemetry/usage/rollup.ts';
import { DEFAULT_RETENTION } from '../../store/usage/store.ts';

/** `calls` calls at `atMs` answered `status`, each taking `latencyMs` (bucket 25 ms by default). */
export function usageRow(r: { atMs: number; consumer: string; product?: string; plan?: string; service?: string; status?: number; calls: number; latencyMs?: number }): UsageRow {
  const status = r.status ?? 200;
  const latency = emptyHistogram();
  latency[4] = r.calls; // ≤ 25 ms
  return {
    minute: r.atMs - (r.atMs % 60_000), consumer: r.consumer, credential: '', product: r.product ?? '', plan: r.plan ?? '',
    service: r.service ?? 'svc', route: '', status, calls: r.calls,
    errors_4xx: status >= 400 && status < 500 ? r.calls : 0, errors_5xx: status >= 500 ? r.calls : 0,
    bytes_in: 0, bytes_out: r.calls * 100, latency_ms_sum: r.calls * (r.latencyMs ?? 20), latency,
  };
}

/** Adds usage rows and runs the worker's roll-ups, as a gateway and a worker would. */
export async function addUsage(store: Store, rows: readonly UsageRow[], nowMs = Date.now()): Promise<void> {
  await store.write((tx) => tx.usage.addMinutes([...rows].sort((a, b) => a.minute - b.minute || a.status - b.status)));
  await rollUpUsage(store, DEFAULT_RETENTION, nowMs);
}
