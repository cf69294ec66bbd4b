// Control numbers of the interchanges the gateway writes (acknowledgements, outbound envelopes).
// Trading partners reject an interchange control number they have seen before from the same
// sender, so each number comes from one sequence per syntax and sender identity (the scope),
// shared by every worker and node: this process takes numbers from a block it reserved (the
// installed source: the supervisor, which reserves in the store), and asks for the next block when
// half of the one in hand is used, so a request waits only when a burst empties both.
import type { PartyId } from '../../core/edi/mapping.ts';
import type { PluginResponse } from '../../core/pipeline/context.ts';
import { localControlNumbers, type ControlNumberBlock, type ControlNumberSource } from '../../store/counters/control-numbers.ts';

export type Syntax = 'x12' | 'edifact';

/** Numbers per reservation: a restart leaves at most this many unused per scope and process. */
const BLOCK_SIZE = 100;
/** How long a request waits for a block when the one in hand is used up. */
const WAIT_MS = 5000;
/** Scopes held at once (one per sender identity in use; the oldest is forgotten beyond this). */
const MAX_SCOPES = 1000;

/** Largest number of each syntax; past it the sequence wraps to 1 (0 is not a control number). */
const LIMIT: Record<Syntax, number> = {
  x12: 999_999_999, // ISA13 and GS06: 9 digits
  edifact: 99_999_999_999_999, // UNB05: up to 14 characters
};

/** The sequence number as a control number of the syntax: 1..limit, wrapping to 1. */
export function wrapped(syntax: Syntax, n: number): number {
  return ((n - 1) % LIMIT[syntax]) + 1;
}

/** The scope of a sender's sequence; ':' and '%' in the parts are escaped, so no two senders share one. */
export function scopeOf(syntax: Syntax, sender: PartyId): string {
  const esc = (s: string) => s.trim().replaceAll('%', '%25').replaceAll(':', '%3A');
  return `${syntax}:interchange:${esc(sender.qualifier)}:${esc(sender.id)}`;
}

export class ControlNumbersUnavailable extends Error {}

interface ScopeState {
  /** The block in hand: next..last (used up when next > last). */
  next: number;
  last: number;
  /** A block reserved ahead, taken when the one in hand is used up. */
  spare: ControlNumberBlock | undefined;
  /** The reservation under way: resolves with its failure, or undefined once its block is stored. */
  inFlight: Promise<Error | undefined> | undefined;
}

export interface ControlNumberBlocksOptions {
  readonly blockSize?: number;
  readonly waitMs?: number;
  readonly maxScopes?: number;
}

export class ControlNumberBlocks {
  readonly #source: () => ControlNumberSource;
  readonly #scopes = new Map<string, ScopeState>();
  readonly #blockSize: number;
  readonly #waitMs: number;
  readonly #maxScopes: number;

  /** `source` is looked up on each reservation: the process installs its own after start-up. */
  constructor(source: () => ControlNumberSource = localControlNumbers, opts: ControlNumberBlocksOptions = {}) {
    this.#source = source;
    this.#blockSize = opts.blockSize ?? BLOCK_SIZE;
    this.#waitMs = opts.waitMs ?? WAIT_MS;
    this.#maxScopes = opts.maxScopes ?? MAX_SCOPES;
  }

  /**
   * The next number of `scope`'s sequence: at once from the block in hand, else (the first use of
   * the scope, or a burst that used up both blocks) once the reservation under way delivers.
   * Rejects with ControlNumbersUnavailable when none arrives within the wait.
   */
  take(scope: string): number | Promise<number> {
    const s = this.#state(scope);
    const n = this.#fromBlock(scope, s);
    return n !== undefined ? n : this.#wait(scope, s);
  }

  #state(scope: string): ScopeState {
    let s = this.#scopes.get(scope);
    if (s === undefined) {
      if (this.#scopes.size >= this.#maxScopes) this.#scopes.delete(this.#scopes.keys().next().value!);
      s = { next: 1, last: 0, spare: undefined, inFlight: undefined };
      this.#scopes.set(scope, s);
    }
    return s;
  }

  #fromBlock(scope: string, s: ScopeState): number | undefined {
    if (s.next > s.last && s.spare !== undefined) {
      s.next = s.spare.first;
      s.last = s.spare.last;
      s.spare = undefined;
    }
    if (s.next > s.last) return undefined;
    const n = s.next++;
    // Prefetch at half: the next block is on its way long before this one runs out.
    if (s.spare === undefined && s.inFlight === undefined && s.last - s.next + 1 <= this.#blockSize / 2) this.#reserve(scope, s);
    return n;
  }

  #reserve(scope: string, s: ScopeState): Promise<Error | undefined> {
    let reserving: Promise<ControlNumberBlock>;
    try {
      reserving = this.#source().reserve(scope, this.#blockSize);
    } catch (err) {
      reserving = Promise.reject(err as Error);
    }
    const flight = reserving.then((b): Error | undefined => {
      if (!Number.isSafeInteger(b.first) || !Number.isSafeInteger(b.last) || b.first < 1 || b.last < b.first) return new Error('the control number source answered an invalid block');
      if (s.next > s.last) {
        s.next = b.first;
        s.last = b.last;
      } else {
        s.spare = b;
      }
      return undefined;
    }, (err: unknown) => err instanceof Error ? err : new Error(String(err))).then((outcome) => {
      s.inFlight = undefined;
      return outcome;
    });
    s.inFlight = flight;
    return flight;
  }

  async #wait(scope: string, s: ScopeState): Promise<number> {
    const deadline = Date.now() + this.#waitMs;
    for (;;) {
      const flight = s.inFlight ?? this.#reserve(scope, s);
      const left = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), Math.max(0, left)); });
      const outcome = await Promise.race([flight, timedOut]);
      clearTimeout(timer);
      // Another waiter may have been served first: only a block with numbers left ends the wait.
      const n = this.#fromBlock(scope, s);
      if (n !== undefined) return n;
      if (outcome === 'timeout') throw new ControlNumbersUnavailable(`no block of control numbers for ${scope} within ${this.#waitMs} ms`);
      if (outcome !== undefined) throw new ControlNumbersUnavailable(`no block of control numbers for ${scope}: ${outcome.message}`);
    }
  }
}

/** The process's blocks: one per scope, from the source the process installed. */
export const CONTROL_NUMBERS = new ControlNumberBlocks();

const UNAVAILABLE: PluginResponse = { problem: 'edi-control-numbers-unavailable', headers: { 'retry-after': '1' } };

type Answer = PluginResponse | undefined;

/**
 * Runs `use` with the next control number of `sender`'s sequence in `syntax`: synchronously while
 * the block in hand lasts, else once a block arrives (503 when none does in time).
 */
export function withControlNumber(syntax: Syntax, sender: PartyId, use: (n: number) => Answer, numbers: ControlNumberBlocks = CONTROL_NUMBERS): Answer | Promise<Answer> {
  return withControlNumbers(syntax, sender, 1, (ns) => use(ns[0]!), numbers);
}

/** As withControlNumber, with `count` numbers of the sequence (in order; not necessarily adjacent). */
export function withControlNumbers(syntax: Syntax, sender: PartyId, count: number, use: (ns: number[]) => Answer, numbers: ControlNumberBlocks = CONTROL_NUMBERS): Answer | Promise<Answer> {
  const scope = scopeOf(syntax, sender);
  const taken: number[] = [];
  while (taken.length < count) {
    const n = numbers.take(scope);
    if (typeof n !== 'number') return rest(n);
    taken.push(wrapped(syntax, n));
  }
  return use(taken);

  async function rest(waiting: Promise<number>): Promise<Answer> {
    try {
      taken.push(wrapped(syntax, await waiting));
      while (taken.length < count) taken.push(wrapped(syntax, await numbers.take(scope)));
    } catch (err) {
      if (err instanceof ControlNumbersUnavailable) return UNAVAILABLE;
      throw err;
    }
    return use(taken);
  }
}
