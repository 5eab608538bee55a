import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { writeWhenFree } from '../storage/write-when-free.js';
import { inNamespace, type CacheEntry, type ExactStore } from './cache-entry.js';
import { Lru } from './lru.js';
import { WRITE_COLUMNS, type CacheWriteBatch, type CacheWriteDone, type CacheWriterData } from './sqlite-cache-writer.js';

/** Bytes of answers kept parsed in memory in front of the file. */
const HOT_BYTES = 64 * 1024 * 1024;
/** How long stored answers queue before they go to the writer thread in one batch (a crash loses at most this much). */
const BATCH_MS = 50;

interface EntryMeta {
  readonly namespace: string;
  readonly expiresAt: number;
  readonly bytes: number;
}

/** A batch sent to the writer thread and not yet confirmed. */
interface Unconfirmed {
  readonly writes: Map<string, CacheEntry | null>;
  readonly done: Promise<void>;
}

/**
 * The exact layer in the gateway's SQLite file. Every entry's id, namespace and expiry are held in
 * memory (loaded at start-up, in use order), so a miss never reads the file and eviction knows the
 * least recently used entry; answers hit recently are kept in memory too (up to 64 MB), and another
 * one is one prepared primary-key read. Writes queue for 50 ms and go to the file in one transaction on
 * a writer thread (sqlite-cache-writer.ts), off the event loop; until the thread confirms them
 * they answer from memory. `close` waits for the thread and writes what is still queued. A file
 * in memory (`:memory:`), or a writer thread that failed, is written on the gateway's connection.
 */
export class SqliteExactStore implements ExactStore {
  readonly kind = 'sqlite';
  private readonly index: Lru<string, EntryMeta>;
  private readonly hot: Map<string, CacheEntry> = new Map();
  private hotBytes = 0;
  /** Writes not yet sent: an entry to store, or null to delete the id (the last word per id wins). */
  private pending = new Map<string, CacheEntry | null>();
  private readonly unconfirmed = new Map<number, Unconfirmed>();
  private worker: Worker | undefined;
  /** The file the writer thread opens; undefined once it failed (or for a database in memory). */
  private writerPath: string | undefined;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextBatch = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly selectBody: Database.Statement<[string], { body: string; saved_usd: number; created_at: number; operation: string }>;
  private readonly insert: Database.Statement<[string, string, string, string, number, number, number]>;
  private readonly remove: Database.Statement<[string]>;

  private constructor(private readonly db: Database.Database, maxEntries: number, private readonly onError: (error: unknown) => void) {
    this.index = new Lru(maxEntries, (id) => {
      this.dropHot(id);
      this.queue(id, null);
    });
    this.selectBody = db.prepare('select body, saved_usd, created_at, operation from cache_entries where id = ?');
    this.insert = db.prepare('insert or replace into cache_entries (id, namespace, operation, body, saved_usd, created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?)');
    this.remove = db.prepare('delete from cache_entries where id = ?');
    // The thread starts with the first write: a gateway whose keys never cache runs none.
    this.writerPath = db.memory ? undefined : db.name;
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
    // Namespaces are cleared through the in-memory index (by id): an index on the column only cost every write a second B-tree.
    db.exec('drop index if exists cache_entries_namespace');
    db.prepare('delete from cache_entries where expires_at <= ?').run(now);
    const store = new SqliteExactStore(db, maxEntries, onError);
    const rows = db.prepare('select id, namespace, expires_at, length(body) as bytes from cache_entries order by used_at, created_at').all() as { id: string; namespace: string; expires_at: number; bytes: number }[];
    for (const row of rows) store.index.set(row.id, { namespace: row.namespace, expiresAt: row.expires_at, bytes: row.bytes });
    return store;
  }

  /** Whether writes go to the writer thread (false: on the gateway's connection). */
  get writesOffThread(): boolean {
    return this.writerPath !== undefined;
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
    const queued = this.pending.has(id) ? this.pending.get(id) : this.sent(id);
    if (queued !== undefined && queued !== null) {
      this.keepHot(queued);
      return queued;
    }
    const row = this.selectBody.get(id);
    if (row === undefined) {
      this.index.delete(id);
      return undefined;
    }
    const entry: CacheEntry = { id, namespace: meta.namespace, operation: row.operation, body: row.body, savedUsd: row.saved_usd, createdAt: row.created_at, expiresAt: meta.expiresAt };
    this.keepHot(entry);
    return entry;
  }

  /** A new answer is held by the write queue until the file has it, then read from the file when first hit (most are never asked again). */
  put(entry: CacheEntry): void {
    if (this.closed) return;
    this.index.set(entry.id, { namespace: entry.namespace, expiresAt: entry.expiresAt, bytes: entry.body.length });
    this.dropHot(entry.id);
    this.queue(entry.id, entry);
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
    this.pending.clear();
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

  /** Waits for the writer thread, then writes what is still queued and the use order: nothing stored is lost at shutdown. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch((error: unknown) => this.onError(error));
    this.closed = true;
    clearTimeout(this.timer);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
    // The use order goes with the entries, so eviction after a restart still drops the least recently used.
    const touch = this.db.prepare('update cache_entries set used_at = ? where id = ?');
    this.db.transaction(() => {
      for (const unconfirmed of this.unconfirmed.values()) this.writeHere(unconfirmed.writes);
      this.writeHere(this.pending);
      let order = 0;
      for (const [id] of this.index.entries()) touch.run(++order, id);
    })();
    this.unconfirmed.clear();
    this.pending.clear();
  }

  /** Resolves once everything queued so far is in the file. */
  async flush(): Promise<void> {
    this.send();
    await Promise.all([...this.unconfirmed.values()].map((unconfirmed) => unconfirmed.done));
  }

  private queue(id: string, entry: CacheEntry | null): void {
    if (this.closed) return;
    this.pending.delete(id);
    this.pending.set(id, entry);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.send(), BATCH_MS);
      this.timer.unref();
    }
  }

  /** The entry (or deletion) of `id` in a batch the thread has not confirmed, the latest batch first. */
  private sent(id: string): CacheEntry | null | undefined {
    let found: CacheEntry | null | undefined;
    for (const unconfirmed of this.unconfirmed.values()) {
      const write = unconfirmed.writes.get(id);
      if (write !== undefined) found = write;
    }
    return found;
  }

  /** Sends what is queued as one batch: to the writer thread, or written here. */
  private send(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const writes = this.pending;
    this.pending = new Map();
    const batch = this.nextBatch++;
    if (this.worker === undefined && this.writerPath !== undefined && !this.closed) this.startWriter(this.writerPath);
    const worker = this.worker;
    let done: Promise<void>;
    if (worker !== undefined) {
      const values: (string | number | null)[] = [];
      for (const [id, entry] of writes) {
        if (entry === null) values.push(id, null, null, null, null, null, null);
        else values.push(id, entry.namespace, entry.operation, entry.body, entry.savedUsd, entry.createdAt, entry.expiresAt);
      }
      done = new Promise<void>((resolve, reject) => this.waiting.set(batch, { resolve, reject }));
      worker.postMessage({ id: batch, values } satisfies CacheWriteBatch);
    } else {
      done = writeWhenFree(this.db, () => this.db.transaction(() => this.writeHere(writes))());
    }
    const settled = done.catch((error: unknown) => this.onError(error)).finally(() => this.unconfirmed.delete(batch));
    this.unconfirmed.set(batch, { writes, done: settled });
  }

  private writeHere(writes: ReadonlyMap<string, CacheEntry | null>): void {
    for (const [id, entry] of writes) {
      if (entry === null) this.remove.run(id);
      else this.insert.run(entry.id, entry.namespace, entry.operation, entry.body, entry.savedUsd, entry.createdAt, entry.expiresAt);
    }
  }

  private startWriter(path: string): void {
    const worker = new Worker(new URL('./sqlite-cache-writer.js', import.meta.url), { workerData: { path } satisfies CacheWriterData, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 } });
    worker.unref();
    worker.on('message', (done: CacheWriteDone) => {
      const waiting = this.waiting.get(done.id);
      if (waiting === undefined) return;
      this.waiting.delete(done.id);
      if (done.error === undefined) waiting.resolve();
      else waiting.reject(new Error(done.error));
    });
    worker.on('error', (error) => this.abandon(error));
    worker.on('exit', (code) => this.abandon(new Error(`the cache writer thread exited (code ${code})`)));
    this.worker = worker;
  }

  /** The writer thread failed: what it did not confirm, and every write from now on, is written on the gateway's connection. */
  private abandon(error: Error): void {
    if (this.worker === undefined) return;
    this.worker = undefined;
    this.writerPath = undefined;
    this.onError(error);
    for (const [batch, waiting] of this.waiting) {
      const writes = this.unconfirmed.get(batch)?.writes;
      if (writes === undefined) waiting.resolve();
      else writeWhenFree(this.db, () => this.db.transaction(() => this.writeHere(writes))()).then(waiting.resolve, waiting.reject);
    }
    this.waiting.clear();
  }

  private forget(id: string): void {
    this.index.delete(id);
    this.dropHot(id);
    this.queue(id, null);
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
