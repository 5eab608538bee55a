import type { Redis } from 'ioredis';
import type { CacheEntry, ExactStore } from './cache-entry.js';

/**
 * The exact layer in Redis, shared by every replica. An entry is one string key
 * (`<prefix>e:<id>`, JSON) that Redis expires itself; each namespace is a set of its entries' ids
 * (`<prefix>ns:<namespace>`) so it can be cleared. A Redis that is down makes lookups misses and
 * stores no-ops (the cache never fails a request); `ping` reports it.
 */
export class RedisExactStore implements ExactStore {
  readonly kind = 'redis';

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    private readonly now: () => number,
    private readonly onError: (error: unknown) => void,
  ) {}

  async get(id: string, now: number): Promise<CacheEntry | undefined> {
    let text: string | null;
    try {
      text = await this.client.get(this.entryKey(id));
    } catch (error) {
      this.onError(error);
      return undefined;
    }
    if (text === null) return undefined;
    const entry = parseEntry(text);
    if (entry === undefined || entry.id !== id || entry.expiresAt <= now) return undefined;
    return entry;
  }

  put(entry: CacheEntry): void {
    const ttlMs = Math.max(1, entry.expiresAt - this.now());
    const namespaceKey = this.namespaceKey(entry.namespace);
    this.client
      .multi()
      .set(this.entryKey(entry.id), JSON.stringify(entry), 'PX', ttlMs)
      .sadd(namespaceKey, entry.id)
      .pexpire(namespaceKey, ttlMs, 'GT')
      .pexpire(namespaceKey, ttlMs, 'NX')
      .exec()
      .catch((error: unknown) => this.onError(error));
  }

  async deleteEntry(id: string): Promise<boolean> {
    const text = await this.client.get(this.entryKey(id));
    const entry = text === null ? undefined : parseEntry(text);
    const removed = await this.client.del(this.entryKey(id));
    if (entry !== undefined) await this.client.srem(this.namespaceKey(entry.namespace), id);
    return removed > 0;
  }

  async deleteNamespace(namespace: string): Promise<number> {
    const sets = [this.namespaceKey(namespace), ...(await this.scan(`${this.namespaceKey(escapeGlob(namespace))}/*`))];
    let removed = 0;
    for (const set of sets) {
      const ids = await this.client.smembers(set);
      for (let start = 0; start < ids.length; start += 500) {
        const batch = ids.slice(start, start + 500);
        removed += await this.client.del(...batch.map((id) => this.entryKey(id)));
      }
      await this.client.del(set);
    }
    return removed;
  }

  async clear(): Promise<number> {
    const entries = await this.scan(`${escapeGlob(this.prefix)}e:*`);
    const sets = await this.scan(`${escapeGlob(this.prefix)}ns:*`);
    for (let start = 0; start < sets.length; start += 500) await this.client.del(...sets.slice(start, start + 500));
    let removed = 0;
    for (let start = 0; start < entries.length; start += 500) removed += await this.client.del(...entries.slice(start, start + 500));
    return removed;
  }

  async size(): Promise<number> {
    return (await this.scan(`${escapeGlob(this.prefix)}e:*`)).length;
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    // Stores already sent are in Redis once their replies arrive: quit waits for them.
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private entryKey(id: string): string {
    return `${this.prefix}e:${id}`;
  }

  private namespaceKey(namespace: string): string {
    return `${this.prefix}ns:${namespace}`;
  }

  private async scan(pattern: string): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found;
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function parseEntry(text: string): CacheEntry | undefined {
  try {
    const value = JSON.parse(text) as CacheEntry;
    if (typeof value.id !== 'string' || typeof value.body !== 'string' || typeof value.expiresAt !== 'number') return undefined;
    return value;
  } catch {
    return undefined;
  }
}
