// A bounded map that forgets the least recently used entries (Map keeps insertion order: a read
// moves the entry to the end, so the first key is always the stalest). Bounded twice: by entries,
// and by the summed weight of what it holds (the size of query texts), so that a client sending
// large distinct documents cannot make it hold more than `maxWeight`.
export class Lru<V> {
  private readonly map = new Map<string, { value: V; weight: number }>();
  private readonly max: number;
  private readonly maxWeight: number;
  private weight = 0;

  constructor(max: number, maxWeight = Infinity) {
    this.max = max;
    this.maxWeight = maxWeight;
  }

  get size(): number {
    return this.map.size;
  }

  /** The summed weight of the entries held. */
  get heldWeight(): number {
    return this.weight;
  }

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  /** Keeps the value unless it alone weighs more than a quarter of the budget (then it is not kept). */
  set(key: string, value: V, weight = 0): void {
    if (this.max <= 0 || weight > this.maxWeight / 4) return;
    const old = this.map.get(key);
    if (old !== undefined) {
      this.map.delete(key);
      this.weight -= old.weight;
    }
    while (this.map.size > 0 && (this.map.size >= this.max || this.weight + weight > this.maxWeight)) {
      const [k, e] = this.map.entries().next().value!;
      this.map.delete(k);
      this.weight -= e.weight;
    }
    this.map.set(key, { value, weight });
    this.weight += weight;
  }
}
