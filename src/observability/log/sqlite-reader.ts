import { Worker } from 'node:worker_threads';
import type { Logger } from '../../lib/logger.js';
import type { SqlDatabase, SqlValue } from '../../storage/sql-database.js';
import type { ReadDone, ReaderWorkerData, ReadRequest } from './sqlite-reader-worker.js';

interface Pending {
  done: Promise<unknown>;
  resolve(rows: unknown[]): void;
  reject(error: Error): void;
  /** Runs the read on the gateway's connection instead, should the thread fail first. */
  fallback(): Promise<unknown[]>;
}

/** A reader thread with nothing to do for this long is stopped (a thread holds about 9 MB); the next read starts one again. */
const IDLE_MS = 30_000;

/**
 * The reads of an SQLite file, answered by a reader thread (sqlite-reader-worker.ts) so that a slow
 * query never stalls the event loop. Reads only: `execute` and `transaction` belong to the
 * gateway's own connection. The thread starts with the first read and stops after `IDLE_MS`
 * without one, so a gateway nobody queries pays nothing for it. Should it fail, reads go back to
 * the gateway's connection.
 */
export class SqliteReader implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private worker: Worker | undefined;
  private failed = false;
  private closed = false;
  private idle: NodeJS.Timeout | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(
    private readonly path: string,
    private readonly connection: SqlDatabase,
    private readonly logger: Logger,
    private readonly idleMs = IDLE_MS,
  ) {}

  /** Whether a reader thread is running now. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  query<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    if (this.failed || this.closed) return this.connection.query<Row>(sql, params);
    const worker = this.worker ?? this.start();
    clearTimeout(this.idle);
    const request: ReadRequest = { id: this.nextId++, sql, params: [...params] };
    let settle: Pick<Pending, 'resolve' | 'reject'> | undefined;
    const done = new Promise<Row[]>((resolve, reject) => (settle = { resolve: resolve as (rows: unknown[]) => void, reject }));
    this.pending.set(request.id, { done, ...settle!, fallback: () => this.connection.query(sql, params) });
    worker.postMessage(request);
    return done;
  }

  execute(): Promise<number> {
    return Promise.reject(new Error('the request log reader only reads'));
  }

  write<Row>(): Promise<Row[]> {
    return Promise.reject(new Error('the request log reader only reads'));
  }

  transaction<T>(): Promise<T> {
    return Promise.reject(new Error('the request log reader only reads'));
  }

  /** Stops the thread once the reads sent to it are answered. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idle);
    await Promise.allSettled([...this.pending.values()].map((waiting) => waiting.done));
    await this.stop();
  }

  private start(): Worker {
    const data: ReaderWorkerData = { path: this.path };
    const worker = new Worker(new URL('./sqlite-reader-worker.js', import.meta.url), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: 256 } });
    worker.unref();
    worker.on('message', (done: ReadDone) => {
      const waiting = this.pending.get(done.id);
      if (waiting === undefined) return;
      this.pending.delete(done.id);
      if (done.error === undefined) waiting.resolve(done.rows ?? []);
      else waiting.reject(new Error(done.error));
      if (this.pending.size === 0 && !this.closed) {
        this.idle = setTimeout(() => void this.stop(), this.idleMs);
        this.idle.unref();
      }
    });
    worker.on('error', (error) => this.abandon(worker, error));
    worker.on('exit', (code) => this.abandon(worker, new Error(`the request log reader thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined || this.pending.size > 0) return;
    this.worker = undefined;
    await worker.terminate();
  }

  private abandon(worker: Worker, error: Error): void {
    // A thread stopped for idleness or at close is no longer this.worker.
    if (worker !== this.worker) return;
    this.worker = undefined;
    this.failed = true;
    this.logger.error('request log reader thread failed; reading on the main thread from now on', { error });
    for (const waiting of this.pending.values()) waiting.fallback().then(waiting.resolve, waiting.reject);
    this.pending.clear();
  }
}
