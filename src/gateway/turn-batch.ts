// Items gathered during one turn of the event loop and handed over together after its poll phase
// (setImmediate): every request parsed in that turn joins one IPC message instead of sending its own.
// Items nobody waits for may be gathered for longer (`delayMs`), so that those of many turns share
// one message.
export class TurnBatch<T> {
  readonly #flush: (items: T[]) => void;
  readonly #delayMs: number;
  #items: T[] = [];
  #scheduled = false;

  constructor(flush: (items: T[]) => void, delayMs = 0) {
    this.#flush = flush;
    this.#delayMs = delayMs;
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.#scheduled) return;
    this.#scheduled = true;
    const hand = () => {
      this.#scheduled = false;
      const items = this.#items;
      this.#items = [];
      this.#flush(items);
    };
    if (this.#delayMs > 0) setTimeout(hand, this.#delayMs).unref();
    else setImmediate(hand);
  }
}
