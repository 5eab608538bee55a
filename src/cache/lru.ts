interface Node<K, V> {
  key: K;
  value: V;
  /** Toward the least recently used end. */
  older: Node<K, V> | undefined;
  /** Toward the most recently used end. */
  newer: Node<K, V> | undefined;
}

/** A limit on the values' total size besides their count (bytes of answers, say). */
export interface LruBudget<V> {
  readonly max: number;
  readonly weigh: (value: V) => number;
}

/**
 * A map that remembers use order: `get` makes an entry the most recent, and `set` beyond `capacity`
 * (or beyond the budget's total, keeping at least the entry just set) drops the least recently used. The order is a doubly linked list beside the Map, so a use moves
 * two pointers. (Moving a Map entry to the end by `delete` and `set` looked cheaper, but V8 leaves a
 * deleted entry in its bucket's chain until the table is rebuilt: a key used again and again made
 * its own lookups walk thousands of dead entries, about 100 µs per hit in a map of 10,000.)
 */
export class Lru<K, V> {
  private readonly map = new Map<K, Node<K, V>>();
  private oldest: Node<K, V> | undefined;
  private newest: Node<K, V> | undefined;

  /** The values' total per the budget's `weigh` (0 without a budget). */
  private weight = 0;

  constructor(
    private readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
    private readonly budget?: LruBudget<V>,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const node = this.map.get(key);
    if (node === undefined) return undefined;
    if (node !== this.newest) {
      this.unlink(node);
      this.append(node);
    }
    return node.value;
  }

  /** Reads without making the entry recent. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  /** Sets `key` (now the most recent) and returns the value it replaced, if any. */
  set(key: K, value: V): V | undefined {
    const existing = this.map.get(key);
    let replaced: V | undefined;
    if (existing !== undefined) {
      replaced = existing.value;
      existing.value = value;
      if (existing !== this.newest) {
        this.unlink(existing);
        this.append(existing);
      }
    } else {
      const node: Node<K, V> = { key, value, older: undefined, newer: undefined };
      this.map.set(key, node);
      this.append(node);
    }
    const budget = this.budget;
    if (budget !== undefined) this.weight += budget.weigh(value) - (replaced === undefined ? 0 : budget.weigh(replaced));
    while (this.map.size > this.capacity || (budget !== undefined && this.weight > budget.max && this.map.size > 1)) {
      const evicted = this.oldest!;
      this.unlink(evicted);
      this.map.delete(evicted.key);
      if (budget !== undefined) this.weight -= budget.weigh(evicted.value);
      this.onEvict?.(evicted.key, evicted.value);
    }
    return replaced;
  }

  delete(key: K): boolean {
    const node = this.map.get(key);
    if (node === undefined) return false;
    this.unlink(node);
    if (this.budget !== undefined) this.weight -= this.budget.weigh(node.value);
    return this.map.delete(key);
  }

  clear(): void {
    this.weight = 0;
    this.map.clear();
    this.oldest = undefined;
    this.newest = undefined;
  }

  /** The least recently used entry (undefined when empty), left in place. */
  leastRecent(): [K, V] | undefined {
    const node = this.oldest;
    return node === undefined ? undefined : [node.key, node.value];
  }

  /** Every entry, the least recently used first. */
  *entries(): IterableIterator<[K, V]> {
    for (let node = this.oldest; node !== undefined; node = node.newer) yield [node.key, node.value];
  }

  private unlink(node: Node<K, V>): void {
    if (node.older === undefined) this.oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.newest = node.older;
    else node.newer.older = node.older;
    node.older = undefined;
    node.newer = undefined;
  }

  private append(node: Node<K, V>): void {
    node.older = this.newest;
    if (this.newest === undefined) this.oldest = node;
    else this.newest.newer = node;
    this.newest = node;
  }
}
