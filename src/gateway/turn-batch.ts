// Items gathered during one turn of the event loop and handed over together after its poll phase
// (setImmediate): every request parsed in that turn joins one IPC message instead of sending its own.
export class TurnBatch<T> {
  readonly #flush: (items: T[]) => void;
  #items: T[] = [];
  #scheduled = false;

  constructor(flush: (items: T[]) => void) {
    this.#flush = flush;
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const items = this.#items;
      this.#items = [];
      this.#flush(items);
    });
  }
}
