import { Worker } from 'node:worker_threads';
import type { Logger } from '../../server/logger.js';
import type { SqlDatabase, SqlValue } from '../storage/sql-database.js';
import type { ReadDone, ReaderWorkerData, ReadRequest } from './sqlite-reader-worker.js';

interface Pending {
  done: Promise<unknown>;
  resolve(rows: unknown[]): void;
  reject(error: Error): void;
  /** Runs the read on the gateway's connection instead, should the thread fail first. */
  fallback(): Promise<unknown[]>;
}

/**
 * The reads of an SQLite file, answered by a reader thread (sqlite-reader-worker.ts) so that a slow
 * query never stalls the event loop. Reads only: `execute` and `transaction` belong to the
 * gateway's own connection. Should the thread fail, reads go back to that connection.
 */
export class SqliteReader implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(
    path: string,
    private readonly connection: SqlDatabase,
    private readonly logger: Logger,
  ) {
    const data: ReaderWorkerData = { path };
    const worker = new Worker(new URL('./sqlite-reader-worker.js', import.meta.url), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: 256 } });
    worker.unref();
    worker.on('message', (done: ReadDone) => {
      const waiting = this.pending.get(done.id);
      if (waiting === undefined) return;
      this.pending.delete(done.id);
      if (done.error === undefined) waiting.resolve(done.rows ?? []);
      else waiting.reject(new Error(done.error));
    });
    worker.on('error', (error) => this.abandon(error));
    worker.on('exit', (code) => this.abandon(new Error(`the request log reader thread exited (code ${code})`)));
    this.worker = worker;
  }

  query<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    const worker = this.worker;
    if (worker === undefined) return this.connection.query<Row>(sql, params);
    const request: ReadRequest = { id: this.nextId++, sql, params: params.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value)) };
    let settle: Pick<Pending, 'resolve' | 'reject'> | undefined;
    const done = new Promise<Row[]>((resolve, reject) => (settle = { resolve: resolve as (rows: unknown[]) => void, reject }));
    this.pending.set(request.id, { done, ...settle!, fallback: () => this.connection.query(sql, params) });
    worker.postMessage(request);
    return done;
  }

  execute(): Promise<number> {
    return Promise.reject(new Error('the request log reader only reads'));
  }

  transaction<T>(): Promise<T> {
    return Promise.reject(new Error('the request log reader only reads'));
  }

  /** Stops the thread once the reads sent to it are answered. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return;
    this.worker = undefined;
    await Promise.allSettled([...this.pending.values()].map((waiting) => waiting.done));
    await worker.terminate();
  }

  private abandon(error: Error): void {
    if (this.worker === undefined) return;
    this.worker = undefined;
    this.logger.error('request log reader thread failed; reading on the main thread from now on', { error });
    for (const waiting of this.pending.values()) waiting.fallback().then(waiting.resolve, waiting.reject);
    this.pending.clear();
  }
}
