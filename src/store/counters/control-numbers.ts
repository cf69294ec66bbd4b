// EDI control numbers (ISA13/GS06, UNB05) as the data plane sees them: blocks of a sequence per
// scope, reserved from whatever this process has installed. The supervisor installs its node's
// source (the store's sequence in store mode, memory in DB-less mode); a gateway worker installs
// one that asks the supervisor; a process that installs nothing (tests, tools) counts in memory.
// The request path takes numbers from a reserved block (src/plugins/edi/control-numbers.ts).

export interface ControlNumberBlock {
  /** First number of the block. */
  readonly first: number;
  /** Last number of the block (first + count - 1). */
  readonly last: number;
}

export interface ControlNumberSource {
  /** `count` numbers of `scope`'s sequence that nobody else is given. */
  reserve(scope: string, count: number): Promise<ControlNumberBlock>;
}

/** The largest block one reservation may ask for, and the longest scope name taken. */
export const MAX_BLOCK = 10_000;
export const MAX_SCOPE_LENGTH = 200;

const EPOCH_2024 = Date.UTC(2024, 0, 1);

/**
 * Seconds since 2024 (9 digits until 2055): no sequence is behind the clock, so numbers keep
 * increasing across a restart of a memory-only sequence (and continue those of earlier versions,
 * which were seeded the same way) unless it handed out more than one per second on average.
 */
export function clockFloor(nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - EPOCH_2024) / 1000));
}

/** A reservation a source takes: a scope name and a count within bounds (anything else throws). */
export function checkReservation(scope: unknown, count: unknown): asserts scope is string {
  if (typeof scope !== 'string' || scope.length === 0 || scope.length > MAX_SCOPE_LENGTH) throw new RangeError('the scope must be a string of 1 to 200 characters');
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > MAX_BLOCK) throw new RangeError(`count must be an integer from 1 to ${MAX_BLOCK}`);
}

/**
 * The node's sequences in memory (DB-less mode, and processes that install nothing): exact across
 * everyone who reserves from this object, never behind the clock, forgotten at exit.
 */
export class MemoryControlNumbers implements ControlNumberSource {
  readonly #last = new Map<string, number>();
  readonly #now: () => number;
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  // async: a bad request is a rejected promise, as from any other source.
  async reserve(scope: string, count: number): Promise<ControlNumberBlock> {
    checkReservation(scope, count);
    const last = Math.max(this.#last.get(scope) ?? 0, clockFloor(this.#now())) + count;
    this.#last.set(scope, last);
    return { first: last - count + 1, last };
  }
}

let installed: ControlNumberSource = new MemoryControlNumbers();

/** Where this process reserves control number blocks. */
export function localControlNumbers(): ControlNumberSource {
  return installed;
}

export function installControlNumbers(source: ControlNumberSource): void {
  installed = source;
}
