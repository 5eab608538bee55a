import type { ResponseStore, StoredRow } from './response-store.js';

/** Stored responses in memory (storage `type: memory`): lost on restart, at most `limit` kept (oldest dropped first). */
export class MemoryResponseStore implements ResponseStore {
  private readonly rows = new Map<string, StoredRow>();

  constructor(private readonly limit = 10_000) {}

  async insert(row: StoredRow): Promise<void> {
    this.rows.delete(row.id);
    this.rows.set(row.id, { ...row });
    if (this.rows.size > this.limit) this.rows.delete(this.rows.keys().next().value!);
  }

  async get(id: string, now: number): Promise<StoredRow | undefined> {
    const row = this.rows.get(id);
    return row === undefined || row.expiresAt <= now ? undefined : { ...row };
  }

  async finish(id: string, from: readonly string[], status: string, response: string): Promise<boolean> {
    const row = this.rows.get(id);
    if (row === undefined || !from.includes(row.status)) return false;
    row.status = status;
    row.response = response;
    return true;
  }

  async delete(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }

  async purge(now: number): Promise<number> {
    let count = 0;
    for (const [id, row] of this.rows) {
      if (row.expiresAt <= now) {
        this.rows.delete(id);
        count++;
      }
    }
    return count;
  }
}
