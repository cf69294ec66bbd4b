// concurrency-limit across the worker processes of one node: the limiters live in the supervisor
// (LIMITERS there), and workers claim and release slots over IPC. A cap of N then admits N requests
// on the node, not N per worker. Claims and releases of one turn of a worker's event loop travel
// together in one message; the supervisor answers what it can at once (a slot, or queue-full) and
// the rest when a queued claim gets its slot or times out.
import { noRejections, type LimiterSettings, type Rejection, type WaitResult } from '../plugins/concurrency-limit/limiter.ts';
import { LIMITERS, type LimiterRegistry } from '../plugins/concurrency-limit/registry.ts';
import type { Claim, SlotCounts, SlotSource } from '../plugins/concurrency-limit/slots.ts';
import { TurnBatch } from './turn-batch.ts';

export type SlotOp =
  | { readonly id: number; readonly op: 'claim'; readonly key: string; readonly fingerprint: string; readonly settings: LimiterSettings }
  | { readonly id: number; readonly op: 'release' };

/** `queued`: not final (the claim waits in the node's queue); the others end the wait. */
export type SlotAnswer = 'granted' | 'queued' | 'queue-full' | 'queue-timeout';

export interface SlotMessage { readonly type: 'portcullis:slots'; readonly ops: readonly SlotOp[] }
export interface SlottedMessage { readonly type: 'portcullis:slotted'; readonly answers: readonly { readonly id: number; readonly answer: SlotAnswer }[] }

/** How long a claim waits for the supervisor's first answer before it is refused ('unanswered'). */
const ANSWER_TIMEOUT_MS = 2000;

const ASKING = 0, QUEUED = 1, HOLDING = 2, DONE = 3;

/** Counts of one scope key in this worker (the supervisor's metrics are not scraped: workers' are summed). */
interface KeyCounts { inFlight: number; queued: number }

class RemoteClaim implements Claim {
  readonly id: number;
  readonly counts: KeyCounts;
  readonly rejected: Record<Rejection, number>;
  readonly queueTimeoutMs: number;
  state: typeof ASKING | typeof QUEUED | typeof HOLDING | typeof DONE = ASKING;
  /** The wait's outcome when it arrived before wait() was called. */
  early: WaitResult | null = null;
  settle: ((r: WaitResult) => void) | undefined;
  /** Backstop for a queued claim, in case the supervisor's own queue timeout never answers. */
  timer: NodeJS.Timeout | undefined;
  private readonly owner: SupervisorSlots;

  constructor(owner: SupervisorSlots, id: number, counts: KeyCounts, rejected: Record<Rejection, number>, queueTimeoutMs: number) {
    this.owner = owner;
    this.id = id;
    this.counts = counts;
    this.rejected = rejected;
    this.queueTimeoutMs = queueTimeoutMs;
  }

  get holding(): boolean {
    return this.state === HOLDING;
  }

  wait(): Promise<WaitResult> {
    if (this.early !== null) return Promise.resolve(this.early);
    return new Promise((resolve) => { this.settle = resolve; });
  }

  release(): void {
    this.owner.release(this);
  }

  /** Ends the wait (a slot: undefined). */
  finish(r: WaitResult): void {
    if (this.timer !== undefined) { clearTimeout(this.timer); this.timer = undefined; }
    if (this.settle !== undefined) this.settle(r);
    else this.early = r;
  }
}

/** The worker's side: slots of the node's limiters, which live in the supervisor. */
export class SupervisorSlots implements SlotSource {
  private readonly send: (m: SlotMessage) => boolean;
  private readonly claims = new Map<number, RemoteClaim>();
  private readonly counts = new Map<string, KeyCounts>();
  private readonly rejections = new Map<string, Record<Rejection, number>>();
  private readonly ops = new TurnBatch<SlotOp>((ops) => this.flush(ops));
  private nextId = 0;
  private readonly answerTimeoutMs: number;

  constructor(send: (m: SlotMessage) => boolean, opts: { answerTimeoutMs?: number } = {}) {
    this.send = send;
    this.answerTimeoutMs = opts.answerTimeoutMs ?? ANSWER_TIMEOUT_MS;
  }

  claim(key: string, fingerprint: string, settings: LimiterSettings): Claim {
    let counts = this.counts.get(key);
    if (counts === undefined) this.counts.set(key, (counts = { inFlight: 0, queued: 0 }));
    let rejected = this.rejections.get(key);
    if (rejected === undefined) this.rejections.set(key, (rejected = noRejections()));
    const claim = new RemoteClaim(this, ++this.nextId, counts, rejected, settings.queueTimeoutMs);
    this.claims.set(claim.id, claim);
    this.ops.push({ id: claim.id, op: 'claim', key, fingerprint, settings });
    return claim;
  }

  release(claim: RemoteClaim): void {
    const state = claim.state;
    if (state === DONE) return;
    this.end(claim);
    if (state === HOLDING) claim.counts.inFlight--;
    // Asking or queued: the client left before its slot came. The supervisor frees whatever it
    // holds for this claim (a queue place, or a slot granted in the meantime).
    this.ops.push({ id: claim.id, op: 'release' });
    if (state !== HOLDING) claim.finish('cancelled');
  }

  /** The supervisor's answers. */
  receive(m: SlottedMessage): void {
    for (const { id, answer } of m.answers) {
      const claim = this.claims.get(id);
      if (claim === undefined) continue; // released or timed out already
      if (answer === 'queued') {
        if (claim.state !== ASKING) continue;
        claim.state = QUEUED;
        claim.counts.queued++;
        claim.timer = setTimeout(() => this.unanswered(claim), claim.queueTimeoutMs + this.answerTimeoutMs).unref();
        continue;
      }
      if (answer === 'granted') {
        if (claim.state === QUEUED) claim.counts.queued--;
        claim.state = HOLDING;
        claim.counts.inFlight++;
        claim.finish(undefined);
        continue;
      }
      this.end(claim);
      claim.rejected[answer]++;
      claim.finish(answer);
    }
  }

  /** No answer in time: refused here; the supervisor is told to free whatever it holds for it. */
  private unanswered(claim: RemoteClaim): void {
    if (claim.state !== ASKING && claim.state !== QUEUED) return;
    this.end(claim);
    claim.rejected.unanswered++;
    this.ops.push({ id: claim.id, op: 'release' });
    claim.finish('unanswered');
  }

  /** The claim is done here: off the map, out of the queued count. */
  private end(claim: RemoteClaim): void {
    if (claim.state === QUEUED) claim.counts.queued--;
    claim.state = DONE;
    this.claims.delete(claim.id);
  }

  private flush(ops: SlotOp[]): void {
    const claimed = ops.filter((op) => op.op === 'claim').map((op) => op.id);
    if (!this.send({ type: 'portcullis:slots', ops })) {
      for (const id of claimed) { const c = this.claims.get(id); if (c !== undefined) this.unanswered(c); }
      return;
    }
    if (claimed.length === 0) return;
    setTimeout(() => {
      for (const id of claimed) {
        const c = this.claims.get(id);
        if (c !== undefined && c.state === ASKING) this.unanswered(c);
      }
    }, this.answerTimeoutMs).unref();
  }

  entries(): [string, SlotCounts][] {
    return [...this.counts];
  }

  rejectionTotals(): [string, Readonly<Record<Rejection, number>>][] {
    return [...this.rejections];
  }

  dropIdle(): void {
    // A claim still waiting for its first answer counts nothing yet but will: its key stays.
    const inUse = new Set<KeyCounts>();
    for (const claim of this.claims.values()) inUse.add(claim.counts);
    for (const [key, c] of this.counts) if (!inUse.has(c)) this.counts.delete(key);
  }
}

/**
 * The supervisor's side: the node's limiters, claimed by every worker. A worker that dies gives
 * back everything it held (workerGone), so its slots are not lost to the node.
 */
export class NodeSlots {
  private readonly registry: LimiterRegistry;
  /** Claims by worker, then by the worker's claim id. */
  private readonly byWorker = new Map<number, Map<number, Claim>>();
  /** Answers that came later (a queued claim's slot or timeout), by worker, sent once per turn. */
  private readonly later = new Map<number, TurnBatch<{ id: number; answer: SlotAnswer }>>();

  constructor(registry: LimiterRegistry = LIMITERS) {
    this.registry = registry;
  }

  handle(worker: number, m: SlotMessage, reply: (m: SlottedMessage) => void): void {
    let claims = this.byWorker.get(worker);
    if (claims === undefined) this.byWorker.set(worker, (claims = new Map()));
    const answers: { id: number; answer: SlotAnswer }[] = [];
    for (const op of m.ops) {
      if (op.op === 'release') {
        const claim = claims.get(op.id);
        claims.delete(op.id);
        claim?.release();
        continue;
      }
      if (!validClaim(op)) continue;
      const claim = this.registry.claim(op.key, op.fingerprint, op.settings);
      if (claim === 'queue-full') { answers.push({ id: op.id, answer: 'queue-full' }); continue; }
      claims.set(op.id, claim);
      if (claim.holding) { answers.push({ id: op.id, answer: 'granted' }); continue; }
      answers.push({ id: op.id, answer: 'queued' });
      const mine = claims;
      void claim.wait().then((r) => {
        if (r === 'cancelled') return; // released by the worker (or the worker is gone)
        if (r !== undefined) mine.delete(op.id);
        this.answerLater(worker, reply, op.id, r === undefined ? 'granted' : r === 'unanswered' ? 'queue-timeout' : r);
      });
    }
    if (answers.length > 0) reply({ type: 'portcullis:slotted', answers });
  }

  /** A worker exited: its slots go back to the node, its queued claims leave the queues. */
  workerGone(worker: number): void {
    const claims = this.byWorker.get(worker);
    this.byWorker.delete(worker);
    this.later.delete(worker);
    if (claims !== undefined) for (const claim of claims.values()) claim.release();
  }

  /** After a reload: limiters that hold nothing are forgotten. */
  dropIdle(): void {
    this.registry.dropIdle();
  }

  /** Slots held for a worker (tests, diagnostics). */
  heldBy(worker: number): number {
    let n = 0;
    for (const c of this.byWorker.get(worker)?.values() ?? []) if (c.holding) n++;
    return n;
  }

  private answerLater(worker: number, reply: (m: SlottedMessage) => void, id: number, answer: SlotAnswer): void {
    if (!this.byWorker.has(worker)) return;
    let out = this.later.get(worker);
    if (out === undefined) this.later.set(worker, (out = new TurnBatch((answers) => { if (this.byWorker.has(worker)) reply({ type: 'portcullis:slotted', answers }); })));
    out.push({ id, answer });
  }
}

function validClaim(op: SlotOp & { op: 'claim' }): boolean {
  const s = op.settings;
  return typeof op.key === 'string' && typeof op.fingerprint === 'string' && typeof s === 'object' && s !== null
    && Number.isSafeInteger(s.limit) && s.limit >= 1 && Number.isSafeInteger(s.queue) && s.queue >= 0 && Number.isSafeInteger(s.queueTimeoutMs) && s.queueTimeoutMs >= 1;
}

export function isSlotMessage(m: unknown): m is SlotMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'portcullis:slots' && Array.isArray((m as { ops?: unknown }).ops);
}
