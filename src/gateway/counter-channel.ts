// Counting across the worker processes of one node: workers send each request's count to the
// supervisor, which holds the node's counters (memory) and answers. Requests that arrive in the
// same turn of a worker's event loop travel together in one IPC message each way, so under load
// the cost per request is a small share of one message rather than a round trip each.
import { localQuotaCounter, localRateCounter } from '../store/counters/local.ts';
import { TurnBatch } from './turn-batch.ts';
import type { QuotaAsk, QuotaCounter, QuotaDecision, RateCounter, RateDecision, RateWindow } from '../store/counters/ports.ts';

export type CountRequest =
  | { readonly id: number; readonly op: 'rate'; readonly key: string; readonly windows: readonly RateWindow[]; readonly weight?: number }
  | { readonly id: number; readonly op: 'quota'; readonly ask: QuotaAsk; readonly weight?: number };

export type CountResult =
  | { readonly id: number; readonly rate: RateDecision }
  | { readonly id: number; readonly quota: QuotaDecision }
  | { readonly id: number; readonly error: string };

export interface CountMessage { readonly type: 'portcullis:count'; readonly batch: readonly CountRequest[] }
export interface CountedMessage { readonly type: 'portcullis:counted'; readonly results: readonly CountResult[] }

/** How long a worker waits for the supervisor before the count fails (the plugin's policy applies). */
const ANSWER_TIMEOUT_MS = 2000;

interface Pending {
  resolve(r: CountResult): void;
}

/** The worker's side: node-wide counters that live in the supervisor. */
export class SupervisorCounters implements RateCounter, QuotaCounter {
  private readonly send: (m: CountMessage) => boolean;
  private readonly pending = new Map<number, Pending>();
  private readonly batch = new TurnBatch<CountRequest>((batch) => this.flush(batch));
  private nextId = 0;
  private readonly timeoutMs: number;

  constructor(send: (m: CountMessage) => boolean, opts: { timeoutMs?: number } = {}) {
    this.send = send;
    this.timeoutMs = opts.timeoutMs ?? ANSWER_TIMEOUT_MS;
  }

  hit(key: string, windows: readonly RateWindow[], _nowMs?: number, weight = 1): Promise<RateDecision> {
    // A weight of 1 is left out of the message (the common case: plain request counting).
    const req: CountRequest = weight === 1 ? { id: ++this.nextId, op: 'rate', key, windows } : { id: ++this.nextId, op: 'rate', key, windows, weight };
    return this.ask(req).then((r) => {
      if ('rate' in r) return r.rate;
      throw new Error('error' in r ? r.error : 'unexpected answer');
    });
  }

  consume(ask: QuotaAsk, _nowMs?: number, weight = 1): Promise<QuotaDecision> {
    const req: CountRequest = weight === 1 ? { id: ++this.nextId, op: 'quota', ask } : { id: ++this.nextId, op: 'quota', ask, weight };
    return this.ask(req).then((r) => {
      if ('quota' in r) return r.quota;
      throw new Error('error' in r ? r.error : 'unexpected answer');
    });
  }

  /** The supervisor's answers. */
  receive(m: CountedMessage): void {
    for (const r of m.results) {
      const p = this.pending.get(r.id);
      if (p === undefined) continue; // timed out already
      this.pending.delete(r.id);
      p.resolve(r);
    }
  }

  private ask(req: CountRequest): Promise<CountResult> {
    return new Promise((resolve) => {
      this.pending.set(req.id, { resolve });
      this.batch.push(req);
    });
  }

  private flush(batch: CountRequest[]): void {
    const sent = this.send({ type: 'portcullis:count', batch });
    const fail = (error: string) => {
      for (const req of batch) {
        const p = this.pending.get(req.id);
        if (p === undefined) continue;
        this.pending.delete(req.id);
        p.resolve({ id: req.id, error });
      }
    };
    if (!sent) return fail('the supervisor is not reachable');
    setTimeout(() => fail('the supervisor did not answer in time'), this.timeoutMs).unref();
  }
}

/** The supervisor's side: answers a worker's batch from this process's counters. */
export function answerCounts(m: CountMessage, nowMs: number): CountedMessage | Promise<CountedMessage> {
  const rate = localRateCounter();
  const quota = localQuotaCounter();
  let waiting = false;
  const results = m.batch.map((req): CountResult | Promise<CountResult> => {
    try {
      if (req.op === 'rate') {
        const r = rate.hit(req.key, req.windows, nowMs, weightOf(req.weight));
        if (r instanceof Promise) { waiting = true; return r.then((d) => ({ id: req.id, rate: d }), (err: Error) => ({ id: req.id, error: err.message })); }
        return { id: req.id, rate: r };
      }
      if (quota === undefined) return { id: req.id, error: 'quotas are not counted on this node' };
      const q = quota.consume(req.ask, nowMs, weightOf(req.weight));
      if (q instanceof Promise) { waiting = true; return q.then((d) => ({ id: req.id, quota: d }), (err: Error) => ({ id: req.id, error: err.message })); }
      return { id: req.id, quota: q };
    } catch (err) {
      return { id: req.id, error: (err as Error).message };
    }
  });
  if (!waiting) return { type: 'portcullis:counted', results: results as CountResult[] };
  return Promise.all(results).then((all) => ({ type: 'portcullis:counted', results: all }));
}

/** A weight from a worker's message: a positive integer, else 1. */
function weightOf(w: unknown): number {
  return typeof w === 'number' && Number.isSafeInteger(w) && w > 0 ? w : 1;
}

export function isCountMessage(m: unknown): m is CountMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'portcullis:count' && Array.isArray((m as { batch?: unknown }).batch);
}

export function isCountedMessage(m: unknown): m is CountedMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'portcullis:counted' && Array.isArray((m as { results?: unknown }).results);
}
