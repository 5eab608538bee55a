import { Worker } from 'node:worker_threads';
import type { Logger } from '../../server/logger.js';
import type { SqlValue } from '../storage/sql-database.js';
import { appendRecordValues } from './record-values.js';
import type { AggregateQuery, AggregateRow, LogQuery } from './log-filter.js';
import type { LogPage, LogStore } from './log-store.js';
import type { RequestRecord } from './request-record.js';
import type { InsertBatch, InsertDone, InsertWorkerData } from './sqlite-insert-worker.js';
import type { SqlLogStore } from './sql-log-store.js';

interface Pending {
  records: readonly RequestRecord[];
  done: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * The SQLite request log with its writes on a worker thread (sqlite-insert-worker.ts) and its
 * reads, migrations and retention on the gateway's own connection. Should the worker fail, writes
 * go back to the gateway's connection: records are never lost to a dead thread.
 */
export class WorkerLogStore implements LogStore {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(
    private readonly store: SqlLogStore,
    path: string,
    private readonly logger: Logger,
  ) {
    const data: InsertWorkerData = { path, statements: store.sqliteBatch };
    // The thread holds one batch at a time; a small heap keeps its memory flat under load.
    const worker = new Worker(new URL('./sqlite-insert-worker.js', import.meta.url), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 } });
    worker.unref();
    worker.on('message', (done: InsertDone) => {
      const waiting = this.pending.get(done.id);
      if (waiting === undefined) return;
      this.pending.delete(done.id);
      if (done.error === undefined) waiting.resolve();
      else waiting.reject(new Error(done.error));
    });
    worker.on('error', (error) => this.abandon(error));
    worker.on('exit', (code) => this.abandon(new Error(`the request log writer thread exited (code ${code})`)));
    this.worker = worker;
  }

  migrate(): Promise<void> {
    return this.store.migrate();
  }

  insert(records: readonly RequestRecord[]): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return this.store.insert(records);
    if (records.length === 0) return Promise.resolve();
    const values: SqlValue[] = [];
    for (const record of records) appendRecordValues(record, values);
    const batch: InsertBatch = { id: this.nextId++, values };
    let settle: Pick<Pending, 'resolve' | 'reject'> | undefined;
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    this.pending.set(batch.id, { records, done, ...settle! });
    worker.postMessage(batch);
    return done;
  }

  query(query: LogQuery): Promise<LogPage> {
    return this.store.query(query);
  }

  aggregate(query: AggregateQuery): Promise<AggregateRow[]> {
    return this.store.aggregate(query);
  }

  deleteBefore(epochMs: number): Promise<number> {
    return this.store.deleteBefore(epochMs);
  }

  /** Stops the thread once the batches sent to it are stored. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return;
    await Promise.allSettled([...this.pending.values()].map((waiting) => waiting.done));
    this.worker = undefined;
    await worker.terminate();
  }

  private abandon(error: Error): void {
    if (this.worker === undefined) return;
    this.worker = undefined;
    this.logger.error('request log writer thread failed; writing on the main thread from now on', { error });
    // Batches the thread did not confirm are written here (one it stored just before failing would be written twice).
    for (const waiting of this.pending.values()) this.store.insert(waiting.records).then(waiting.resolve, waiting.reject);
    this.pending.clear();
  }
}
