// The in-process cache backend: a Map in LRU order (a hit moves its entry to the end, eviction
// takes from the front) under a byte budget. A hit on an entry that is already among the newest
// eighth of placements stays where it is: the order is LRU to within that eighth, and the hottest
// entries (most hits) skip a Map delete and insert, whose holes make V8 rebuild the table often. It lives in ONE gateway process: with --workers N
// every worker has its own copy (and its own budget); purges and invalidations are broadcast to
// all of them (relayMemoryInvalidations).
import { entrySize, isKeyOrVariant, PARTITION_SEPARATOR, VARIANT_SEPARATOR, type CacheEntry, type CacheStore, type PurgeRequest } from './ports.ts';

interface Slot<M> {
  readonly entry: CacheEntry<M>;
  readonly expiresAt: number;
  readonly size: number;
  readonly tags: readonly string[];
  /** The placement (insert or move to the end) that put it where it is. */
  placed: number;
}

export interface MemoryStoreEvents {
  /** Called with the number of entries evicted to stay within the budget. */
  onEvict?(count: number): void;
}

function familyOf(key: string): string {
  const p = key.indexOf(PARTITION_SEPARATOR);
  const v = key.indexOf(VARIANT_SEPARATOR);
  const end = p === -1 ? v : v === -1 ? p : Math.min(p, v);
  return end === -1 ? key : key.slice(0, end);
}

/** Every live memory store of this process (weakly held), so a purge reaches them all. */
let relay: ((key: string) => void) | undefined;

/**
 * A gateway worker passes on its invalidations to the node's other workers (through the
 * supervisor), which drop the key from every memory store of theirs (purgeMemoryStores with the key).
 */
export function relayMemoryInvalidations(send: ((key: string) => void) | undefined): void {
  relay = send;
}

const LIVE = new Set<WeakRef<MemoryCacheStore>>();
const forget = new FinalizationRegistry<WeakRef<MemoryCacheStore>>((ref) => LIVE.delete(ref));

export class MemoryCacheStore<M = unknown> implements CacheStore<M> {
  readonly kind = 'memory' as const;
  readonly maxBytes: number;
  private readonly slots = new Map<string, Slot<M>>();
  private readonly byTag = new Map<string, Set<string>>();
  /** Keys by family (the key up to its first partition/variant separator): purging a key is a lookup, not a scan. */
  private readonly families = new Map<string, Set<string>>();
  private used = 0;
  /** Placements so far: an entry placed within the last slots.size / 8 of them is recent enough. */
  private placements = 0;
  private readonly events: MemoryStoreEvents;
  /** Time source (tests). */
  private readonly now: () => number;

  constructor(maxBytes: number, events: MemoryStoreEvents = {}, now: () => number = Date.now) {
    this.maxBytes = maxBytes;
    this.events = events;
    this.now = now;
    const ref = new WeakRef(this as MemoryCacheStore);
    LIVE.add(ref);
    forget.register(this, ref);
  }

  /** Bytes accounted to stored entries. */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.slots.size;
  }

  get(key: string): CacheEntry<M> | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt <= this.now()) {
      this.remove(key, slot);
      return undefined;
    }
    // Most recently used goes to the end of the Map's order (unless it is near the end already).
    if (this.placements - slot.placed >= Math.max(1, this.slots.size >>> 3)) {
      this.slots.delete(key);
      this.slots.set(key, slot);
      slot.placed = ++this.placements;
    }
    return slot.entry;
  }

  set(key: string, entry: CacheEntry<M>, ttlMs: number, tags: readonly string[]): void {
    const size = entrySize(key, entry, JSON.stringify(entry.meta).length);
    const old = this.slots.get(key);
    if (old !== undefined) this.remove(key, old);
    if (ttlMs <= 0 || size > this.maxBytes) return;
    this.slots.set(key, { entry, expiresAt: this.now() + ttlMs, size, tags, placed: ++this.placements });
    this.used += size;
    const family = familyOf(key);
    let members = this.families.get(family);
    if (members === undefined) this.families.set(family, (members = new Set()));
    members.add(key);
    for (const tag of tags) {
      let keys = this.byTag.get(tag);
      if (keys === undefined) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
    if (this.used > this.maxBytes) this.evict();
  }

  delete(key: string): void {
    const slot = this.slots.get(key);
    if (slot !== undefined) this.remove(key, slot);
  }

  invalidate(key: string): Promise<number> {
    relay?.(key);
    return this.purge({ key });
  }

  purge(request: PurgeRequest): Promise<number> {
    let removed = 0;
    if ('tag' in request) {
      const keys = this.byTag.get(request.tag);
      if (keys !== undefined) {
        for (const key of keys) {
          const slot = this.slots.get(key);
          if (slot !== undefined) { this.remove(key, slot); removed++; }
        }
        this.byTag.delete(request.tag);
      }
      return Promise.resolve(removed);
    }
    if ('key' in request) {
      const members = this.families.get(familyOf(request.key));
      for (const key of members === undefined ? [] : [...members]) {
        if (!isKeyOrVariant(key, request.key)) continue;
        this.remove(key, this.slots.get(key)!);
        removed++;
      }
      return Promise.resolve(removed);
    }
    for (const [key, slot] of this.slots) {
      if (key.startsWith(request.prefix)) { this.remove(key, slot); removed++; }
    }
    return Promise.resolve(removed);
  }

  private remove(key: string, slot: Slot<M>): void {
    this.slots.delete(key);
    this.used -= slot.size;
    const family = familyOf(key);
    const members = this.families.get(family);
    if (members !== undefined) {
      members.delete(key);
      if (members.size === 0) this.families.delete(family);
    }
    for (const tag of slot.tags) {
      const keys = this.byTag.get(tag);
      if (keys === undefined) continue;
      keys.delete(key);
      if (keys.size === 0) this.byTag.delete(tag);
    }
  }

  private evict(): void {
    let evicted = 0;
    for (const [key, slot] of this.slots) {
      if (this.used <= this.maxBytes) break;
      this.remove(key, slot);
      evicted++;
    }
    if (evicted > 0) this.events.onEvict?.(evicted);
  }
}

/** Purges every live memory store of this process (the admin API's purge, per worker). */
export async function purgeMemoryStores(request: PurgeRequest): Promise<number> {
  let removed = 0;
  for (const ref of LIVE) {
    const store = ref.deref();
    if (store === undefined) LIVE.delete(ref);
    else removed += await store.purge(request);
  }
  return removed;
}
