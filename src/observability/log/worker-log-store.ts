import type { ChargeScope, ChargeSum } from '../../pipeline/capabilities.js';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../lib/logger.js';
import type { SqlValue } from '../../storage/sql-database.js';
import { elideRepeats, writeRecordValues } from './record-values.js';
import type { AggregateQuery, AggregateRow, LogFilter, LogQuery } from './log-filter.js';
import type { JournaledSpend } from '../../pipeline/capabilities.js';
import type { LogCursor, LogPage, LogScanPage, NumberedLogStore } from './log-store.js';
import type { RequestRecord } from './request-record.js';
import type { BackfillFailed, DeleteRequest, InsertBatch, InsertDone, InsertWorkerData } from './sqlite-insert-worker.js';
import type { SqliteLogStore } from './sqlite-log-store.js';

interface Pending {
  /** What the gateway's own connection does instead, should the thread fail first. */
  fallback(): Promise<number | void>;
  done: Promise<number | void>;
  resolve(result: number | void): void;
  reject(error: Error): void;
}

/**
 * The SQLite request log with its writes (inserts, retention sweeps, the content index's catch-up)
 * on a writer thread (sqlite-insert-worker.ts), its reads wherever the SqliteLogStore reads (the
 * reader thread, see SqliteReader) and its migrations on the gateway's own connection. Should the
 * writer thread fail, writes go back to the gateway's connection: records are never lost to a dead
 * thread.
 */
export class WorkerLogStore implements NumberedLogStore {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private readonly columns: number;
  /** Every batch's parameters, overwritten batch after batch (see writeRecordValues). */
  private readonly values: (SqlValue | undefined)[] = [];

  constructor(
    private readonly store: SqliteLogStore,
    path: string,
    private readonly logger: Logger,
  ) {
    const data: InsertWorkerData = { path, statements: store.batchStatements, retention: store.retentionStatements, textBackfill: store.textBackfillStatements, rollupBackfill: store.rollupBackfillStatements };
    this.columns = data.statements.columns;
    // The thread holds one batch at a time (at most `batch_size` records and MAX_BATCH_CONTENT
    // characters of bodies, see LogWriter): a small young generation keeps its memory flat under
    // load; the old generation's limit leaves room for a batch of long bodies.
    const worker = new Worker(new URL('./sqlite-insert-worker.js', import.meta.url), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 128 } });
    worker.unref();
    worker.on('message', (done: InsertDone | BackfillFailed) => {
      if ('backfillFailed' in done) {
        this.logger.error('request log: catching up with earlier records failed; content search (content index) or aggregates (rollups) read the rows until a restart retries', { error: done.backfillFailed });
        return;
      }
      const waiting = this.pending.get(done.id);
      if (waiting === undefined) return;
      this.pending.delete(done.id);
      if (done.error === undefined) waiting.resolve(done.lastId ?? done.deleted);
      else waiting.reject(new Error(done.error));
    });
    worker.on('error', (error) => this.abandon(error));
    worker.on('exit', (code) => this.abandon(new Error(`the request log writer thread exited (code ${code})`)));
    this.worker = worker;
  }

  migrate(): Promise<void> {
    return this.store.migrate();
  }

  insert(records: readonly RequestRecord[]): Promise<number> {
    const worker = this.worker;
    if (worker === undefined || records.length === 0) return this.store.insert(records);
    // postMessage copies the batch at once: the same array serves the next one.
    const values = this.values;
    let length = 0;
    for (const record of records) length = writeRecordValues(record, values, length);
    values.length = length;
    elideRepeats(values, this.columns);
    const batch: InsertBatch = { id: this.nextId++, values };
    const done = this.send(worker, batch, () => this.store.insert(records));
    // Copied: the array lets go of this batch's texts (with content logging, megabytes of bodies).
    values.fill(null);
    return done as Promise<number>;
  }

  /** Records as their parameters, repeats elided (see SqliteLogStore.insertValues): posted to the thread as they are. */
  insertValues(values: (SqlValue | undefined)[]): Promise<number> {
    const worker = this.worker;
    if (worker === undefined || values.length === 0) return this.store.insertValues(values);
    return this.send(worker, { id: this.nextId++, values }, () => this.store.insertValues(values)) as Promise<number>;
  }

  lastId(): Promise<number> {
    return this.store.lastId();
  }

  spendBetween(after: number, through: number): Promise<JournaledSpend[]> {
    return this.store.spendBetween(after, through);
  }

  query(query: LogQuery): Promise<LogPage> {
    return this.store.query(query);
  }

  scan(filter: LogFilter, order: 'asc' | 'desc', limit: number, after: LogCursor | undefined): Promise<LogScanPage> {
    return this.store.scan(filter, order, limit, after);
  }

  chargeSum(scope: ChargeScope, fromMs: number, toMs: number, throughId?: number): Promise<ChargeSum> {
    return this.store.chargeSum(scope, fromMs, toMs, throughId);
  }

  loggedRequestIds(ids: readonly string[]): Promise<Set<string>> {
    return this.store.loggedRequestIds(ids);
  }

  aggregate(query: AggregateQuery): Promise<AggregateRow[]> {
    return this.store.aggregate(query);
  }

  /** Retention runs on the writer thread too: a sweep is writes, and long ones. */
  async deleteBefore(epochMs: number): Promise<number> {
    const worker = this.worker;
    if (worker === undefined) return this.store.deleteBefore(epochMs);
    const request: DeleteRequest = { id: this.nextId++, deleteBefore: epochMs };
    return (await this.send(worker, request, () => this.store.deleteBefore(epochMs))) ?? 0;
  }

  private send(worker: Worker, message: InsertBatch | DeleteRequest, fallback: Pending['fallback']): Promise<number | void> {
    let settle: Pick<Pending, 'resolve' | 'reject'> | undefined;
    const done = new Promise<number | void>((resolve, reject) => (settle = { resolve, reject }));
    this.pending.set(message.id, { fallback, done, ...settle! });
    worker.postMessage(message);
    return done;
  }

  /** Stops the thread once the batches sent to it are stored. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return this.store.close();
    await Promise.allSettled([...this.pending.values()].map((waiting) => waiting.done));
    this.worker = undefined;
    await worker.terminate();
    await this.store.close();
  }

  private abandon(error: Error): void {
    if (this.worker === undefined) return;
    this.worker = undefined;
    this.logger.error('request log writer thread failed; writing on the main thread from now on', { error });
    // Batches the thread did not confirm are written here (one it stored just before failing would be written twice).
    for (const waiting of this.pending.values()) waiting.fallback().then(waiting.resolve, waiting.reject);
    this.pending.clear();
  }
}
