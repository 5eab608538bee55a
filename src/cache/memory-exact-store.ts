import { inNamespace, type CacheEntry, type ExactStore } from './cache-entry.js';
import { Lru } from './lru.js';

/** Bodies the memory store holds at most (besides `max_entries`): 10,000 answers of a megabyte would not fit a gateway's memory. */
export const MEMORY_STORE_BYTES = 256 * 1024 * 1024;

/** Entries in this process's memory only (storage `memory`, tests): up to `maxEntries` and `maxBytes` of bodies, least recently used first out. */
export class MemoryExactStore implements ExactStore {
  readonly kind = 'memory';
  private readonly entries: Lru<string, CacheEntry>;
  private bytes = 0;

  constructor(maxEntries: number, private readonly maxBytes = MEMORY_STORE_BYTES) {
    this.entries = new Lru(maxEntries, (_id, evicted) => (this.bytes -= evicted.body.length));
  }

  get(id: string, now: number): CacheEntry | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.remove(id);
      return undefined;
    }
    return entry;
  }

  put(entry: CacheEntry): void {
    const replaced = this.entries.set(entry.id, entry);
    this.bytes += entry.body.length - (replaced?.body.length ?? 0);
    while (this.bytes > this.maxBytes && this.entries.size > 1) this.remove(this.entries.leastRecent()![0]);
  }

  async deleteEntry(id: string): Promise<boolean> {
    return this.remove(id);
  }

  async deleteNamespace(namespace: string): Promise<number> {
    let removed = 0;
    for (const [id, entry] of [...this.entries.entries()]) if (inNamespace(entry.namespace, namespace) && this.remove(id)) removed++;
    return removed;
  }

  async clear(): Promise<number> {
    const removed = this.entries.size;
    this.entries.clear();
    this.bytes = 0;
    return removed;
  }

  private remove(id: string): boolean {
    const entry = this.entries.peek(id);
    if (entry === undefined) return false;
    this.entries.delete(id);
    this.bytes -= entry.body.length;
    return true;
  }

  async size(): Promise<number> {
    return this.entries.size;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
