// proxy-cache misses coalesced across the worker processes of one node: a worker about to fetch a
// key asks the supervisor, which names one leader per key; the others wait, and get the leader's
// stored response (its body base64 in the message) or, when it had nothing storable or died, the
// word to fetch themselves. Only misses pay the round trip: hits never ask.
import type { EntryMeta } from '../plugins/proxy-cache/entry.ts';
import type { JoinResult, NodeFlights, SharedEntry } from '../plugins/proxy-cache/node-flights.ts';

/** A stored response on the wire. */
export interface WireEntry {
  readonly key: string;
  readonly primary: string;
  readonly meta: EntryMeta;
  readonly body: string;
  readonly ttlMs: number;
  readonly varyValues?: string;
}

export type FlightRequest =
  | { readonly type: 'portcullis:flight-join'; readonly id: number; readonly flight: string }
  | { readonly type: 'portcullis:flight-done'; readonly flight: string; readonly entry?: WireEntry };

/**
 * `lead`; or `follow` (wait: another worker fetches), then the follower's outcome: the leader's
 * entry, or neither (fetch yourself).
 */
export interface FlightAnswer { readonly type: 'portcullis:flight-answer'; readonly id: number; readonly lead?: true; readonly follow?: true; readonly entry?: WireEntry }

/** How long a worker waits to hear whether it leads (then it fetches anyway). */
const JOIN_TIMEOUT_MS = 2000;
/** How long a follower waits for the leader's response (then it fetches itself). */
const FOLLOW_TIMEOUT_MS = 60_000;
/**
 * Bodies larger than this are not copied to followers over IPC (base64 in JSON, once per waiting
 * worker): they fetch for themselves instead, as if nothing had been storable.
 */
export const MAX_SHARED_BODY_BYTES = 4 * 1024 * 1024;

function toWire(e: SharedEntry): WireEntry {
  return { key: e.key, primary: e.primary, meta: e.meta, body: e.body.toString('base64'), ttlMs: e.ttlMs, ...(e.varyValues !== undefined ? { varyValues: e.varyValues } : {}) };
}

function fromWire(w: WireEntry): SharedEntry {
  return { key: w.key, primary: w.primary, meta: w.meta, body: Buffer.from(w.body, 'base64'), ttlMs: w.ttlMs, varyValues: w.varyValues };
}

/** The worker's side. */
export class SupervisorFlights implements NodeFlights {
  private readonly send: (m: FlightRequest) => boolean;
  private readonly pending = new Map<number, { resolve(r: JoinResult): void; timer: NodeJS.Timeout }>();
  private nextId = 0;

  constructor(send: (m: FlightRequest) => boolean) {
    this.send = send;
  }

  join(flight: string): Promise<JoinResult> {
    return new Promise((resolve) => {
      const id = ++this.nextId;
      // No word in time: lead (fetch); a late answer is dropped.
      const timer = setTimeout(() => this.settle(id, 'lead'), JOIN_TIMEOUT_MS).unref();
      this.pending.set(id, { resolve, timer });
      if (!this.send({ type: 'portcullis:flight-join', id, flight })) this.settle(id, 'lead');
    });
  }

  done(flight: string, entry: SharedEntry | undefined): void {
    const shared = entry !== undefined && entry.body.length <= MAX_SHARED_BODY_BYTES ? entry : undefined;
    this.send(shared === undefined ? { type: 'portcullis:flight-done', flight } : { type: 'portcullis:flight-done', flight, entry: toWire(shared) });
  }

  receive(m: FlightAnswer): void {
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    if (m.lead === true) return this.settle(m.id, 'lead');
    if (m.follow === true) return this.following(m.id);
    if (m.entry === undefined) return this.settle(m.id, undefined);
    this.settle(m.id, fromWire(m.entry));
  }

  /** A follower now waits for the leader: a longer deadline. */
  private following(id: number): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    clearTimeout(p.timer);
    p.timer = setTimeout(() => this.settle(id, undefined), FOLLOW_TIMEOUT_MS).unref();
  }

  private settle(id: number, r: JoinResult): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(r);
  }
}

interface Follower { readonly worker: number; readonly id: number; readonly reply: (m: FlightAnswer) => void }

/** The supervisor's side: one leader per flight among the node's workers. */
export class NodeFlightRegistry {
  private readonly flights = new Map<string, { leader: number; followers: Follower[] }>();

  /** Answers at once when the worker leads; a follower is answered when the leader is done. */
  handle(worker: number, m: FlightRequest, reply: (m: FlightAnswer) => void): void {
    if (m.type === 'portcullis:flight-join') {
      if (typeof m.id !== 'number' || typeof m.flight !== 'string') return;
      const current = this.flights.get(m.flight);
      if (current === undefined || current.leader === worker) {
        // A worker leads its own key once at a time (its later misses wait on its local flight).
        if (current === undefined) this.flights.set(m.flight, { leader: worker, followers: [] });
        return reply({ type: 'portcullis:flight-answer', id: m.id, lead: true });
      }
      current.followers.push({ worker, id: m.id, reply });
      return reply({ type: 'portcullis:flight-answer', id: m.id, follow: true });
    }
    if (typeof m.flight !== 'string') return;
    const current = this.flights.get(m.flight);
    if (current === undefined || current.leader !== worker) return;
    this.flights.delete(m.flight);
    for (const f of current.followers) f.reply(m.entry === undefined ? { type: 'portcullis:flight-answer', id: f.id } : { type: 'portcullis:flight-answer', id: f.id, entry: m.entry });
  }

  /** A worker exited: its flights end with nothing (followers fetch), and it follows nothing. */
  workerGone(worker: number): void {
    for (const [key, flight] of this.flights) {
      flight.followers = flight.followers.filter((f) => f.worker !== worker);
      if (flight.leader !== worker) continue;
      this.flights.delete(key);
      for (const f of flight.followers) f.reply({ type: 'portcullis:flight-answer', id: f.id });
    }
  }

  /** Flights in progress (tests). */
  get size(): number {
    return this.flights.size;
  }
}

export function isFlightRequest(m: unknown): m is FlightRequest {
  const t = (m as { type?: unknown } | null)?.type;
  return t === 'portcullis:flight-join' || t === 'portcullis:flight-done';
}
