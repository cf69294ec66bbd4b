// Control numbers of the interchanges the gateway writes (acknowledgements, outbound envelopes).
// They must increase and not repeat after a restart. Without a round trip to the store per request,
// this process seeds its sequence from the clock (seconds since 2024, which fit the 9 digits of
// ISA13 for 31 years) and never goes backwards: a restart starts above anything issued before it
// unless the previous run issued more than one number per second on average.
const EPOCH_2024 = Date.UTC(2024, 0, 1);

export class ControlNumbers {
  #last = 0;
  readonly #clock: () => number;
  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  /** The next number, strictly above the last one issued by this process. */
  next(): number {
    const floor = Math.floor((this.#clock() - EPOCH_2024) / 1000);
    this.#last = Math.max(this.#last + 1, floor);
    return this.#last % 1_000_000_000 || 1; // 0 is not a valid control number
  }
}

/** One sequence for the process: numbers are unique per sender identity, and ours is one per route at most. */
export const CONTROL_NUMBERS = new ControlNumbers();
