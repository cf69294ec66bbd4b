// The stored API specs a config needs (request-validator instances without their own document):
// the latest one of each such service, as snapshots carry them.
import { servicesNeedingSpecs, type StoredSpecRecord } from '../core/snapshot/specs.ts';
import type { StoreSession } from '../store/ports.ts';

export async function specsFor(session: StoreSession, document: unknown): Promise<StoredSpecRecord[]> {
  const services = servicesNeedingSpecs(document !== null && typeof document === 'object' ? document : {});
  const out: StoredSpecRecord[] = [];
  for (const service of services) {
    const latest = (await session.listSpecs(service)).at(-1);
    const row = latest === undefined ? undefined : await session.getSpec(latest.id);
    if (row !== undefined) out.push({ service, id: row.id, format: row.format, content: row.content });
  }
  return out;
}
