import { inNamespace, type CacheEntry, type ExactStore } from './cache-entry.js';
import { Lru } from './lru.js';

/** Bodies the memory store holds at most (besides `max_entries`): 10,000 answers of a megabyte would not fit a gateway's memory. */
export const MEMORY_STORE_BYTES = 256 * 1024 * 1024;

/** Entries in this process's memory only (storage `memory`, tests): up to `maxEntries` and `maxBytes` of bodies, least recently used first out. */
export class MemoryExactStore implements ExactStore {
  readonly kind = 'memory';
  private readonly entries: Lru<string, CacheEntry>;

  constructor(maxEntries: number, maxBytes = MEMORY_STORE_BYTES) {
    this.entries = new Lru(maxEntries, undefined, { max: maxBytes, weigh: (entry) => entry.body.length });
  }

  get(id: string, now: number): CacheEntry | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  put(entry: CacheEntry): void {
    this.entries.set(entry.id, entry);
  }

  async deleteEntry(id: string): Promise<boolean> {
    return this.entries.delete(id);
  }

  async deleteNamespace(namespace: string): Promise<number> {
    let removed = 0;
    for (const [id, entry] of [...this.entries.entries()]) if (inNamespace(entry.namespace, namespace) && this.entries.delete(id)) removed++;
    return removed;
  }

  async clear(): Promise<number> {
    const removed = this.entries.size;
    this.entries.clear();
    return removed;
  }

  async size(): Promise<number> {
    return this.entries.size;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
