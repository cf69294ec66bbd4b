// Misses coalesced across the gateway workers of one node. Within a worker, concurrent misses for
// a key wait for one leader (plugin.ts, flights). Across workers, the leaders of each worker ask
// the node which of them fetches: by default (one process) the asker always leads; a gateway
// worker installs a source that asks its supervisor (gateway/flight-channel.ts). A follower gets
// the node leader's stored response, stores it in its own cache and answers from it.
import type { EntryMeta } from './entry.ts';

/** A response the node's leader stored, as its followers store and serve it. */
export interface SharedEntry {
  /** Where it is stored: the variant key, and the primary key (which holds the Vary marker). */
  readonly key: string;
  readonly primary: string;
  readonly meta: EntryMeta;
  readonly body: Buffer;
  readonly ttlMs: number;
  readonly varyValues: string | undefined;
}

/** 'lead': fetch and report with done(); an entry: the leader's; undefined: fetch, do not report. */
export type JoinResult = 'lead' | SharedEntry | undefined;

export interface NodeFlights {
  join(flight: string): JoinResult | Promise<JoinResult>;
  /** The leader's outcome: its stored response, or undefined (nothing storable: followers fetch themselves). */
  done(flight: string, entry: SharedEntry | undefined): void;
}

const ALONE: NodeFlights = { join: () => 'lead', done: () => undefined };
let source: NodeFlights = ALONE;

export function nodeFlights(): NodeFlights {
  return source;
}

export function installNodeFlights(s: NodeFlights): void {
  source = s;
}
