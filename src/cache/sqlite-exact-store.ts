import type Database from 'better-sqlite3';
import { writeWhenFree } from '../storage/write-when-free.js';
import { inNamespace, type CacheEntry, type ExactStore } from './cache-entry.js';
import { Lru } from './lru.js';

/** Bytes of answers kept parsed in memory in front of the file. */
const HOT_BYTES = 64 * 1024 * 1024;

interface EntryMeta {
  readonly namespace: string;
  readonly expiresAt: number;
  readonly bytes: number;
}

/**
 * The exact layer in the gateway's SQLite file. Every entry's id, namespace and expiry are held in
 * memory (loaded at start-up, in use order), so a miss never reads the file and eviction knows the
 * least recently used entry; recent answers are kept in memory too (up to 64 MB), and an older one
 * is one prepared primary-key read. Writes queue and go to the file in one transaction per turn
 * of the event loop, off the request's path; `close` writes whatever is still queued.
 */
export class SqliteExactStore implements ExactStore {
  readonly kind = 'sqlite';
  private readonly index: Lru<string, EntryMeta>;
  private readonly hot: Map<string, CacheEntry> = new Map();
  private hotBytes = 0;
  private readonly pendingPuts = new Map<string, CacheEntry>();
  private readonly pendingDeletes = new Set<string>();
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private readonly selectBody: Database.Statement<[string], { body: string; saved_usd: number; created_at: number; operation: string }>;
  private readonly insert: Database.Statement<[string, string, string, string, number, number, number]>;
  private readonly remove: Database.Statement<[string]>;

  private constructor(private readonly db: Database.Database, maxEntries: number, private readonly onError: (error: unknown) => void) {
    this.index = new Lru(maxEntries, (id) => {
      this.dropHot(id);
      this.pendingPuts.delete(id);
      this.pendingDeletes.add(id);
      this.schedule();
    });
    this.selectBody = db.prepare('select body, saved_usd, created_at, operation from cache_entries where id = ?');
    this.insert = db.prepare('insert or replace into cache_entries (id, namespace, operation, body, saved_usd, created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?)');
    this.remove = db.prepare('delete from cache_entries where id = ?');
  }

  /** Creates the table when missing and loads the index of live entries (the oldest used first). */
  static open(db: Database.Database, maxEntries: number, now: number, onError: (error: unknown) => void): SqliteExactStore {
    db.exec(`create table if not exists cache_entries (
      id text primary key,
      namespace text not null,
      operation text not null,
      body text not null,
      saved_usd real not null,
      created_at integer not null,
      expires_at integer not null,
      used_at integer not null default 0
    )`);
    db.exec('create index if not exists cache_entries_namespace on cache_entries (namespace)');
    db.prepare('delete from cache_entries where expires_at <= ?').run(now);
    const store = new SqliteExactStore(db, maxEntries, onError);
    const rows = db.prepare('select id, namespace, expires_at, length(body) as bytes from cache_entries order by used_at, created_at').all() as { id: string; namespace: string; expires_at: number; bytes: number }[];
    for (const row of rows) store.index.set(row.id, { namespace: row.namespace, expiresAt: row.expires_at, bytes: row.bytes });
    return store;
  }

  get(id: string, now: number): CacheEntry | undefined {
    const meta = this.index.get(id);
    if (meta === undefined) return undefined;
    if (meta.expiresAt <= now) {
      this.forget(id);
      return undefined;
    }
    const hot = this.hot.get(id);
    if (hot !== undefined) return hot;
    const row = this.selectBody.get(id);
    if (row === undefined) {
      this.index.delete(id);
      return undefined;
    }
    const entry: CacheEntry = { id, namespace: meta.namespace, operation: row.operation, body: row.body, savedUsd: row.saved_usd, createdAt: row.created_at, expiresAt: meta.expiresAt };
    this.keepHot(entry);
    return entry;
  }

  put(entry: CacheEntry): void {
    if (this.closed) return;
    this.pendingDeletes.delete(entry.id);
    this.pendingPuts.set(entry.id, entry);
    this.index.set(entry.id, { namespace: entry.namespace, expiresAt: entry.expiresAt, bytes: entry.body.length });
    this.keepHot(entry);
    this.schedule();
  }

  async deleteEntry(id: string): Promise<boolean> {
    const known = this.index.peek(id) !== undefined;
    this.forget(id);
    await this.flush();
    return known;
  }

  async deleteNamespace(namespace: string): Promise<number> {
    let removed = 0;
    for (const [id, meta] of [...this.index.entries()]) {
      if (!inNamespace(meta.namespace, namespace)) continue;
      this.forget(id);
      removed++;
    }
    await this.flush();
    return removed;
  }

  async clear(): Promise<number> {
    const removed = this.index.size;
    this.index.clear();
    this.hot.clear();
    this.hotBytes = 0;
    this.pendingPuts.clear();
    this.pendingDeletes.clear();
    await this.flush();
    await writeWhenFree(this.db, () => this.db.prepare('delete from cache_entries').run());
    return removed;
  }

  async size(): Promise<number> {
    return this.index.size;
  }

  async ping(): Promise<void> {
    this.db.prepare('select 1').get();
  }

  /** Writes what is queued, synchronously: nothing stored is lost at shutdown. */
  async close(): Promise<void> {
    await this.flushing?.catch(() => undefined);
    this.closed = true;
    // The use order goes with the entries, so eviction after a restart still drops the least recently used.
    const touch = this.db.prepare('update cache_entries set used_at = ? where id = ?');
    this.db.transaction(() => {
      this.writePending();
      let order = 0;
      for (const [id] of this.index.entries()) touch.run(++order, id);
    })();
  }

  /** Resolves once everything queued so far is in the file. */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing.catch(() => undefined);
    if (this.pendingPuts.size === 0 && this.pendingDeletes.size === 0) return;
    this.flushing = writeWhenFree(this.db, () => this.db.transaction(() => this.writePending())())
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private writePending(): void {
    for (const id of this.pendingDeletes) this.remove.run(id);
    this.pendingDeletes.clear();
    for (const entry of this.pendingPuts.values()) this.insert.run(entry.id, entry.namespace, entry.operation, entry.body, entry.savedUsd, entry.createdAt, entry.expiresAt);
    this.pendingPuts.clear();
  }

  private forget(id: string): void {
    this.index.delete(id);
    this.dropHot(id);
    this.pendingPuts.delete(id);
    this.pendingDeletes.add(id);
    this.schedule();
  }

  private keepHot(entry: CacheEntry): void {
    this.dropHot(entry.id);
    this.hot.set(entry.id, entry);
    this.hotBytes += entry.body.length;
    while (this.hotBytes > HOT_BYTES && this.hot.size > 1) {
      const oldest = this.hot.keys().next().value as string;
      this.dropHot(oldest);
    }
  }

  private dropHot(id: string): void {
    const entry = this.hot.get(id);
    if (entry === undefined) return;
    this.hot.delete(id);
    this.hotBytes -= entry.body.length;
  }
}
