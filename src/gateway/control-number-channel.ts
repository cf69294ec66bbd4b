// EDI control number blocks across the worker processes of one node: a worker asks the supervisor
// for a block, the supervisor reserves it from its source (the store's sequence in store mode, its
// memory in DB-less mode) and answers. One message each way per block of numbers, not per number:
// no batching as in the counter channel, and a channel of its own so that a slow store write never
// holds back the rate limit answers travelling on that one.
import { checkReservation, localControlNumbers, type ControlNumberBlock, type ControlNumberSource } from '../store/counters/control-numbers.ts';

export interface ReserveMessage { readonly type: 'portcullis:edi-reserve'; readonly id: number; readonly scope: string; readonly count: number }
export type ReservedMessage =
  | { readonly type: 'portcullis:edi-reserved'; readonly id: number; readonly block: ControlNumberBlock }
  | { readonly type: 'portcullis:edi-reserved'; readonly id: number; readonly error: string };

/**
 * How long a worker waits for the supervisor's answer. Longer than a request waits for a block
 * (the plugin's own bound): a late block still serves the requests after it.
 */
const ANSWER_TIMEOUT_MS = 10_000;

interface Pending {
  resolve(block: ControlNumberBlock): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** The worker's side: blocks reserved by the supervisor. */
export class SupervisorControlNumbers implements ControlNumberSource {
  readonly #send: (m: ReserveMessage) => boolean;
  readonly #pending = new Map<number, Pending>();
  readonly #timeoutMs: number;
  #nextId = 0;

  constructor(send: (m: ReserveMessage) => boolean, opts: { timeoutMs?: number } = {}) {
    this.#send = send;
    this.#timeoutMs = opts.timeoutMs ?? ANSWER_TIMEOUT_MS;
  }

  reserve(scope: string, count: number): Promise<ControlNumberBlock> {
    return new Promise((resolve, reject) => {
      const id = ++this.#nextId;
      // A block answered after this gives up is lost (a gap in the sequence, never a repeat).
      const timer = setTimeout(() => this.#settle(id, new Error('the supervisor did not answer in time')), this.#timeoutMs);
      timer.unref();
      this.#pending.set(id, { resolve, reject, timer });
      if (!this.#send({ type: 'portcullis:edi-reserve', id, scope, count })) this.#settle(id, new Error('the supervisor is not reachable'));
    });
  }

  /** The supervisor's answer. */
  receive(m: ReservedMessage): void {
    this.#settle(m.id, 'block' in m ? m.block : new Error(m.error));
  }

  #settle(id: number, outcome: ControlNumberBlock | Error): void {
    const p = this.#pending.get(id);
    if (p === undefined) return; // answered or timed out already
    this.#pending.delete(id);
    clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }
}

/** The supervisor's side: reserves a worker's block from this process's source. */
export async function answerReservation(m: ReserveMessage, source: ControlNumberSource = localControlNumbers()): Promise<ReservedMessage> {
  try {
    checkReservation(m.scope, m.count);
    const b = await source.reserve(m.scope, m.count);
    return { type: 'portcullis:edi-reserved', id: m.id, block: { first: b.first, last: b.last } };
  } catch (err) {
    return { type: 'portcullis:edi-reserved', id: m.id, error: (err as Error).message };
  }
}

export function isReserveMessage(m: unknown): m is ReserveMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'portcullis:edi-reserve' && typeof (m as { id?: unknown }).id === 'number';
}

export function isReservedMessage(m: unknown): m is ReservedMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'portcullis:edi-reserved' && typeof (m as { id?: unknown }).id === 'number';
}
