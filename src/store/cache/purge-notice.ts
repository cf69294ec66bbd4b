// Purges that reach the memory caches of other nodes: nodes that share a Postgres store tell each
// other through NOTIFY on one channel. A notice names the node it came from (which has purged its
// own caches already) and the purges. Postgres caps a payload at 8,000 bytes: notices are split to
// fit, and a key or prefix too long for any notice is sent as a shorter prefix of itself, which
// purges a superset (a cache may always drop more than it was asked to).
import type { PurgeRequest } from './ports.ts';

export const CACHE_PURGE_CHANNEL = 'portcullis_cache_purge';

export interface CachePurgeNotice {
  /** The node that purged (and announced); it ignores its own notices. */
  readonly origin: string;
  readonly purges: readonly PurgeRequest[];
}

/** Bytes of one NOTIFY payload at most (Postgres refuses 8,000 and more). */
const MAX_PAYLOAD = 7900;
/** The longest key or prefix sent as it is (a notice of one purge always fits). */
const MAX_TEXT = 3000;

/** The payloads announcing these purges, each under Postgres's limit. */
export function encodeCachePurgeNotice(notice: CachePurgeNotice): string[] {
  const payloads: string[] = [];
  let batch: PurgeRequest[] = [];
  let bytes = 0;
  const overhead = Buffer.byteLength(JSON.stringify({ origin: notice.origin, purges: [] }));
  for (const purge of notice.purges.map(fitting)) {
    const size = Buffer.byteLength(JSON.stringify(purge)) + 1;
    if (batch.length > 0 && overhead + bytes + size > MAX_PAYLOAD) {
      payloads.push(JSON.stringify({ origin: notice.origin, purges: batch }));
      batch = [];
      bytes = 0;
    }
    batch.push(purge);
    bytes += size;
  }
  if (batch.length > 0) payloads.push(JSON.stringify({ origin: notice.origin, purges: batch }));
  return payloads;
}

function fitting(purge: PurgeRequest): PurgeRequest {
  const text = 'key' in purge ? purge.key : 'prefix' in purge ? purge.prefix : undefined;
  if (text === undefined || Buffer.byteLength(text) <= MAX_TEXT) return purge;
  // Cut on a character, not inside a UTF-8 sequence: a prefix of the key purges the key too.
  let cut = text.slice(0, MAX_TEXT);
  while (Buffer.byteLength(cut) > MAX_TEXT) cut = cut.slice(0, -1);
  return { prefix: cut };
}

/** A notice from the channel, or undefined when the payload is not one. */
export function decodeCachePurgeNotice(payload: string | undefined): CachePurgeNotice | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload ?? '');
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { origin, purges } = value as { origin?: unknown; purges?: unknown };
  if (typeof origin !== 'string' || !Array.isArray(purges)) return undefined;
  const valid = purges.filter(isPurgeRequest);
  return valid.length === purges.length ? { origin, purges: valid } : undefined;
}

function isPurgeRequest(p: unknown): p is PurgeRequest {
  if (typeof p !== 'object' || p === null) return false;
  const keys = Object.keys(p);
  if (keys.length !== 1) return false;
  const k = keys[0]!;
  const v = (p as Record<string, unknown>)[k];
  return (k === 'key' || k === 'prefix' || k === 'tag') && typeof v === 'string' && v.length > 0;
}
