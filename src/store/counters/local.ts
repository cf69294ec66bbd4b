// The node-local counters of this process. By default they are in-memory (one process: the
// supervisor, or a gateway running with --workers 1). A gateway worker process installs counters
// that ask its supervisor instead, so that every worker of a node shares one count.
import type { QuotaCounter, RateCounter } from './ports.ts';
import { MemoryRateCounter } from './memory.ts';

interface LocalCounters {
  rate: RateCounter;
  quota: QuotaCounter | undefined;
}

const memory = new MemoryRateCounter();
const local: LocalCounters = { rate: memory, quota: undefined };

/** This process's in-memory rate counts: the node's own in the supervisor, which lends leases on them. */
export function nodeMemoryRateCounter(): MemoryRateCounter {
  return memory;
}

/** The node-wide rate counter, as seen from this process. */
export function localRateCounter(): RateCounter {
  return local.rate;
}

/** The node's quota counter (absent until the platform installs one). */
export function localQuotaCounter(): QuotaCounter | undefined {
  return local.quota;
}

export function installLocalCounters(counters: Partial<LocalCounters>): void {
  if (counters.rate) local.rate = counters.rate;
  if ('quota' in counters) local.quota = counters.quota;
}
