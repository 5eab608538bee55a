import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { writeWhenFree } from '../storage/write-when-free.js';
import { inNamespace, type CacheEntry, type ExactStore } from './cache-entry.js';
import { Lru } from './lru.js';
import { ANSWERS_TABLE, CREATE_ANSWERS, DELETE_ANSWER, INSERT_ANSWER, writeAnswers, type AnswerWrites } from './sqlite-answers-table.js';
import type { CacheWriteBatch, CacheWriteDone, CacheWriterData } from './sqlite-cache-writer.js';

/** Bytes of answers kept parsed in memory in front of the file. */
const HOT_BYTES = 64 * 1024 * 1024;
/** How long stored answers queue before they go to the writer thread in one batch (a crash loses at most this much). */
const BATCH_MS = 50;

interface EntryMeta {
  readonly namespace: string;
  readonly expiresAt: number;
  /** The answer's row in the file; 0 until the batch that writes it is confirmed. */
  row: number;
}

/** Answers written, end to end: id, namespace, expires, row (4 values each). */
export type StoredNews = (string | number)[];

/** What one process on the file tells the others (SqliteExactStore.share / hear). */
export interface StoreNews {
  readonly stored?: StoredNews;
  /** Entry ids an admin deleted. */
  readonly forgotten?: readonly string[];
  /** A namespace an admin cleared (with its sub-namespaces). */
  readonly namespace?: string;
  /** Every entry was cleared. */
  readonly cleared?: boolean;
}

/** An answer on its way to the file, with the index entry it was stored under (a later one under the same id replaces it). */
interface Write {
  readonly entry: CacheEntry;
  readonly meta: EntryMeta;
}

/** A batch sent to the writer thread and not yet confirmed. */
interface Unconfirmed extends AnswerWrites {
  readonly writes: Map<string, Write>;
  readonly done: Promise<void>;
}

/**
 * The exact layer in the gateway's SQLite file. Every entry's id, namespace, expiry and row are held
 * in memory (loaded at start-up, in use order), so a miss never reads the file and eviction knows the
 * least recently used entry; answers hit recently are kept in memory too (up to 64 MB), and another
 * one is one read by row number (sqlite-answers-table.ts). Writes queue for 50 ms and go to the file
 * in one transaction on a writer thread (sqlite-cache-writer.ts), off the event loop; until the
 * thread confirms them (with the rows they got) they answer from memory. `close` waits for the thread
 * and writes what is still queued. A file in memory (`:memory:`), or a writer thread that failed, is
 * written on the gateway's connection.
 */
export class SqliteExactStore implements ExactStore {
  readonly kind = 'sqlite';
  private readonly index: Lru<string, EntryMeta>;
  private readonly hot: Map<string, CacheEntry> = new Map();
  private hotBytes = 0;
  /** Answers not yet sent, by id (the last per id wins). */
  private pending = new Map<string, Write>();
  /** Rows of answers replaced, evicted, expired or deleted, not yet sent. */
  private deletes: (number | string)[] = [];
  /** Where this store's news goes for the other processes sharing the file (`tollgate --workers`; see cluster-cache.ts). */
  private announce: ((news: StoreNews) => void) | undefined;
  private readonly unconfirmed = new Map<number, Unconfirmed>();
  private worker: Worker | undefined;
  /** The file the writer thread opens; undefined once it failed (or for a database in memory). */
  private writerPath: string | undefined;
  private readonly waiting = new Map<number, { resolve: (rows: number[]) => void; reject: (error: Error) => void }>();
  private nextBatch = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly selectRow: Database.Statement<[number], { id: string; body: string; saved_usd: number; created_at: number; operation: string }>;
  private readonly insert: Database.Statement;
  private readonly remove: Database.Statement;

  private constructor(private readonly db: Database.Database, maxEntries: number, private readonly onError: (error: unknown) => void) {
    this.index = new Lru(maxEntries, (id, meta) => {
      this.dropHot(id);
      this.release(id, meta);
    });
    this.selectRow = db.prepare(`select id, body, saved_usd, created_at, operation from ${ANSWERS_TABLE} where rowid = ?`);
    this.insert = db.prepare(INSERT_ANSWER);
    this.remove = db.prepare(DELETE_ANSWER);
    // The thread starts with the first write: a gateway whose keys never cache runs none.
    this.writerPath = db.memory ? undefined : db.name;
  }

  /** Creates the table when missing (moving a `cache_entries` table's live answers into it) and loads the index of live entries (the oldest used first). */
  static open(db: Database.Database, maxEntries: number, now: number, onError: (error: unknown) => void): SqliteExactStore {
    db.transaction(() => {
      db.exec(CREATE_ANSWERS);
      if (db.prepare("select 1 from sqlite_master where type = 'table' and name = 'cache_entries'").get() !== undefined) {
        db.prepare(`insert into ${ANSWERS_TABLE} (id, namespace, operation, body, saved_usd, created_at, expires_at, used_at) select id, namespace, operation, body, saved_usd, created_at, expires_at, used_at from cache_entries where expires_at > ? order by used_at, created_at`).run(now);
        db.exec('drop table cache_entries');
      }
    }).immediate();
    db.prepare(`delete from ${ANSWERS_TABLE} where expires_at <= ?`).run(now);
    const store = new SqliteExactStore(db, maxEntries, onError);
    const rows = db.prepare(`select rowid as row, id, namespace, expires_at from ${ANSWERS_TABLE} order by used_at, created_at, rowid`).all() as { row: number; id: string; namespace: string; expires_at: number }[];
    for (const row of rows) {
      // The same id twice (a batch written again after its thread failed, say): the one used last stays.
      const earlier = store.index.set(row.id, { namespace: row.namespace, expiresAt: row.expires_at, row: row.row });
      if (earlier !== undefined) store.release(row.id, earlier);
    }
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
    const queued = this.pending.get(id) ?? this.sent(id);
    if (queued !== undefined && queued.meta === meta) {
      this.keepHot(queued.entry);
      return queued.entry;
    }
    const row = meta.row === 0 ? undefined : this.selectRow.get(meta.row);
    if (row === undefined || row.id !== id) {
      // Not written (its batch failed), or the row is gone (cleared by another process).
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
    const id = entry.id;
    const meta: EntryMeta = { namespace: entry.namespace, expiresAt: entry.expiresAt, row: 0 };
    const earlier = this.index.set(id, meta);
    // Only an id in the index can be hot or queued (one Map operation less per new answer, the common case).
    if (earlier !== undefined) {
      this.release(id, earlier);
      this.dropHot(id);
    }
    this.pending.set(id, { entry, meta });
    this.arm();
  }

  async deleteEntry(id: string): Promise<boolean> {
    const known = this.index.peek(id) !== undefined;
    this.forget(id);
    this.announce?.({ forgotten: [id] });
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
    this.announce?.({ namespace });
    await this.flush();
    return removed;
  }

  async clear(): Promise<number> {
    const removed = this.index.size;
    this.forgetAll();
    await this.flush();
    await writeWhenFree(this.db, () => this.db.prepare(`delete from ${ANSWERS_TABLE}`).run());
    this.announce?.({ cleared: true });
    return removed;
  }

  /**
   * Shares this store's news with the other processes on the file (`tollgate --workers`): `send`
   * gets each answer once it is written (with its row) and each admin deletion; what they send
   * comes back through `hear`.
   */
  share(send: (news: StoreNews) => void): void {
    this.announce = send;
  }

  /**
   * News of another process on the file: answers it wrote are indexed here too (their rows are read
   * when first hit), unless this store has one of its own on the way for the id; entries an admin
   * deleted there are forgotten here, with this store's own rows of them.
   */
  hear(news: StoreNews): void {
    if (this.closed) return;
    if (news.cleared === true) this.forgetAll();
    if (news.namespace !== undefined) {
      for (const [id, meta] of [...this.index.entries()]) if (inNamespace(meta.namespace, news.namespace)) this.forget(id);
    }
    for (const id of news.forgotten ?? []) this.forget(id);
    const stored = news.stored ?? [];
    for (let at = 0; at + 3 < stored.length; at += 4) {
      const id = stored[at] as string;
      const row = stored[at + 3] as number;
      const mine = this.index.peek(id);
      // Its own answer on the way (row 0), or a row as new or newer: two processes that stored the id at
      // once both keep the later row (the higher number), and the earlier one is deleted.
      if (mine !== undefined && (mine.row === 0 || mine.row >= row)) continue;
      this.index.set(id, { namespace: stored[at + 1] as string, expiresAt: stored[at + 2] as number, row });
      this.dropHot(id);
      if (mine !== undefined) this.release(id, mine);
    }
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
    const touch = this.db.prepare(`update ${ANSWERS_TABLE} set used_at = ? where rowid = ?`);
    this.db.transaction(() => {
      for (const unconfirmed of this.unconfirmed.values()) this.confirm(unconfirmed.writes, writeAnswers(this.insert, this.remove, unconfirmed));
      this.confirm(this.pending, writeAnswers(this.insert, this.remove, { deletes: [], values: valuesOf(this.pending) }));
      writeAnswers(this.insert, this.remove, { deletes: this.deletes, values: [] });
      let order = 0;
      for (const [, meta] of this.index.entries()) if (meta.row !== 0) touch.run(++order, meta.row);
    })();
    this.unconfirmed.clear();
    this.pending.clear();
    this.deletes = [];
  }

  /** Resolves once everything queued so far is in the file. */
  async flush(): Promise<void> {
    this.send();
    await Promise.all([...this.unconfirmed.values()].map((unconfirmed) => unconfirmed.done));
  }

  /** An entry's answer leaves the index: its row is deleted, or its queued write dropped (one in flight is deleted when confirmed). */
  private release(id: string, meta: EntryMeta): void {
    if (meta.row !== 0) {
      this.deletes.push(meta.row, id);
      this.arm();
    } else if (this.pending.get(id)?.meta === meta) {
      this.pending.delete(id);
    }
  }

  /** A batch's answers are in rows `rows`: each is the entry's row, or deleted when the entry left the index meanwhile. */
  private confirm(writes: ReadonlyMap<string, Write>, rows: readonly number[]): void {
    let at = 0;
    const stored: StoredNews = [];
    for (const [id, write] of writes) {
      const row = rows[at++]!;
      const meta = write.meta;
      if (this.index.peek(id) !== meta) {
        this.deletes.push(row, id);
        continue;
      }
      meta.row = row;
      if (this.announce !== undefined) stored.push(id, meta.namespace, meta.expiresAt, row);
    }
    if (this.deletes.length > 0) this.arm();
    if (stored.length > 0) this.announce?.({ stored });
  }

  private arm(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => this.send(), BATCH_MS);
    this.timer.unref();
  }

  /** The answer under `id` in a batch the thread has not confirmed, the latest batch first. */
  private sent(id: string): Write | undefined {
    let found: Write | undefined;
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
    if (this.pending.size === 0 && this.deletes.length === 0) return;
    const writes = this.pending;
    const deletes = this.deletes;
    this.pending = new Map();
    this.deletes = [];
    const values = valuesOf(writes);
    const batch = this.nextBatch++;
    if (this.worker === undefined && this.writerPath !== undefined && !this.closed) this.startWriter(this.writerPath);
    const worker = this.worker;
    let done: Promise<number[]>;
    if (worker !== undefined) {
      done = new Promise<number[]>((resolve, reject) => this.waiting.set(batch, { resolve, reject }));
      worker.postMessage({ id: batch, deletes, values } satisfies CacheWriteBatch);
    } else {
      done = writeWhenFree(this.db, () => this.writeHere({ deletes, values }));
    }
    const settled = done.then(
      (rows) => this.confirm(writes, rows),
      (error: unknown) => this.onError(error),
    ).finally(() => this.unconfirmed.delete(batch));
    this.unconfirmed.set(batch, { writes, deletes, values, done: settled });
  }

  private writeHere(writes: AnswerWrites): number[] {
    return this.db.transaction(() => writeAnswers(this.insert, this.remove, writes))();
  }

  private startWriter(path: string): void {
    const worker = new Worker(new URL('./sqlite-cache-writer.js', import.meta.url), { workerData: { path } satisfies CacheWriterData, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 } });
    worker.unref();
    worker.on('message', (done: CacheWriteDone) => {
      const waiting = this.waiting.get(done.id);
      if (waiting === undefined) return;
      this.waiting.delete(done.id);
      if (done.error === undefined) waiting.resolve(done.rows ?? []);
      else waiting.reject(new Error(done.error));
    });
    worker.on('error', (error) => this.abandon(error));
    worker.on('exit', (code) => this.abandon(new Error(`the cache writer thread exited (code ${code})`)));
    this.worker = worker;
  }

  /**
   * The writer thread failed: what it did not confirm, and every write from now on, is written on the
   * gateway's connection. (A batch the thread wrote without confirming it is then in the file twice:
   * the next start-up keeps one.)
   */
  private abandon(error: Error): void {
    if (this.worker === undefined) return;
    this.worker = undefined;
    this.writerPath = undefined;
    this.onError(error);
    for (const [batch, waiting] of this.waiting) {
      const unconfirmed = this.unconfirmed.get(batch);
      if (unconfirmed === undefined) waiting.resolve([]);
      else writeWhenFree(this.db, () => this.writeHere(unconfirmed)).then(waiting.resolve, waiting.reject);
    }
    this.waiting.clear();
  }

  /** Everything this store holds or has queued is forgotten (rows in flight are deleted when confirmed). */
  private forgetAll(): void {
    this.index.clear();
    this.hot.clear();
    this.hotBytes = 0;
    this.pending.clear();
    this.deletes = [];
  }

  private forget(id: string): void {
    const meta = this.index.peek(id);
    if (meta === undefined) return;
    this.index.delete(id);
    this.dropHot(id);
    this.release(id, meta);
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

/** The batch's answers as the table's columns, end to end (WRITE_COLUMNS each). */
function valuesOf(writes: ReadonlyMap<string, Write>): (string | number)[] {
  const values: (string | number)[] = [];
  for (const { entry } of writes.values()) values.push(entry.id, entry.namespace, entry.operation, entry.body, entry.savedUsd, entry.createdAt, entry.expiresAt);
  return values;
}
