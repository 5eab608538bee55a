import type { Logger } from '../../server/logger.js';
import type { LogStore } from './log-store.js';
import type { RequestRecord } from './request-record.js';

/** Characters of request and response bodies per batch at most (a single larger record still goes alone). */
export const MAX_BATCH_CONTENT = 4 * 1024 * 1024;

export interface LogWriterOptions {
  store: LogStore;
  logger: Logger;
  /** Records waiting at most; past half of it content is dropped, past all of it records are. */
  queueSize: number;
  batchSize: number;
  flushIntervalMs: number;
  /** Called for every drop, for the drop metric. */
  onDrop?: (what: 'content' | 'record', count: number) => void;
}

/**
 * Takes records on the request path (one array push) and writes them in batches off it: every
 * `flushIntervalMs`, or as soon as a batch is full. Never blocks and never throws at the caller:
 * under pressure it sheds content first, then whole records, and counts both.
 */
export class LogWriter {
  private queue: RequestRecord[] = [];
  private writing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private immediate = false;
  private closed = false;

  constructor(private readonly options: LogWriterOptions) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.timer.unref();
  }

  get pending(): number {
    return this.queue.length;
  }

  enqueue(records: readonly RequestRecord[]): void {
    if (this.closed) return;
    const { queueSize, onDrop } = this.options;
    for (const record of records) {
      if (this.queue.length >= queueSize) {
        onDrop?.('record', 1);
        continue;
      }
      if (this.queue.length >= queueSize / 2 && (record.request_content !== null || record.response_content !== null)) {
        record.request_content = null;
        record.response_content = null;
        onDrop?.('content', 1);
      }
      this.queue.push(record);
    }
    if (this.queue.length >= this.options.batchSize && !this.immediate) {
      this.immediate = true;
      setImmediate(() => {
        this.immediate = false;
        void this.flush();
      });
    }
  }

  /** Writes everything queued so far; resolves once it is stored (queries after it see it). */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
    if (this.queue.length === 0) return;
    this.writing = this.writeAll().finally(() => {
      this.writing = undefined;
    });
    await this.writing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    this.closed = true;
  }

  /**
   * Writes what is queued now, in batches of `batchSize`. Records that arrive meanwhile wait for
   * the next flush (the interval, a full batch, or a caller's flush): chasing them straight away
   * made the batch size follow the store's latency instead of the interval, and on SQLite each of
   * those small transactions rewrote every index's newest page (bench:log-writes).
   */
  private async writeAll(): Promise<void> {
    const queued = this.queue;
    this.queue = [];
    for (let start = 0; start < queued.length; ) {
      const end = this.batchEnd(queued, start);
      const batch = queued.slice(start, end);
      start = end;
      try {
        await this.options.store.insert(batch);
      } catch (error) {
        this.options.onDrop?.('record', batch.length);
        this.options.logger.error('request log write failed; records dropped', { records: batch.length, error });
      }
    }
  }

  /**
   * Where the batch starting at `start` ends: after `batchSize` records, or sooner once their
   * bodies add up to `MAX_BATCH_CONTENT` characters. With content logging on, a thousand requests
   * carrying long prompts would otherwise make one batch of tens of megabytes, more than the SQLite
   * writer thread's heap holds.
   */
  private batchEnd(queued: readonly RequestRecord[], start: number): number {
    const limit = Math.min(queued.length, start + this.options.batchSize);
    let content = 0;
    for (let index = start; index < limit; index++) {
      const record = queued[index]!;
      if (record.request_content !== null) content += record.request_content.length;
      if (record.response_content !== null) content += record.response_content.length;
      if (content > MAX_BATCH_CONTENT && index > start) return index;
    }
    return limit;
  }
}
