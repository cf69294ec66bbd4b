// The supervisor's control number source in store mode: every block is one atomic reservation in
// the store's sequence of its scope, so blocks are disjoint across workers, restarts and nodes.
import { checkReservation, clockFloor, type ControlNumberBlock, type ControlNumberSource } from '../counters/control-numbers.ts';
import type { Store } from '../ports.ts';

export class StoreControlNumbers implements ControlNumberSource {
  readonly #store: Store;
  readonly #now: () => number;
  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  async reserve(scope: string, count: number): Promise<ControlNumberBlock> {
    checkReservation(scope, count);
    // The clock as a floor: a sequence first used in store mode continues above the numbers the
    // node issued before (DB-less mode and earlier versions start from the clock too).
    return this.#store.write((tx) => tx.ediControlNumbers.reserve(scope, count, clockFloor(this.#now())));
  }
}
