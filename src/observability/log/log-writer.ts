import type { Logger } from '../../lib/logger.js';
import { JournalPositions } from './journal-positions.js';
import type { LogStore } from './log-store.js';
import type { RequestRecord } from './request-record.js';

/** Characters of request and response bodies per batch at most (a single larger record still goes alone). */
export const MAX_BATCH_CONTENT = 4 * 1024 * 1024;

/** Tries per batch: a store that fails (PostgreSQL restarting, a locked SQLite file) gets two more flushes. */
export const MAX_WRITE_ATTEMPTS = 3;

/** Pause between the last tries at close, when no flush interval follows. */
const CLOSE_RETRY_PAUSE_MS = 100;

export interface LogWriterOptions {
  store: LogStore;
  logger: Logger;
  /** Records waiting at most; past half of it content is dropped, past all of it records are. */
  queueSize: number;
  batchSize: number;
  flushIntervalMs: number;
  /** Called for every drop, for the drop metric. */
  onDrop?: (what: 'content' | 'record', count: number) => void;
  /** The store's highest record id before this writer's first batch (a NumberedLogStore's `lastId`), for `positions`. */
  journalBaseline?: number;
}

/**
 * Takes records on the request path (one array push) and writes them in batches off it: every
 * `flushIntervalMs`, or as soon as a batch is full. Never blocks and never throws at the caller:
 * under pressure it sheds content first, then whole records, and counts both. A batch the store
 * fails to take is kept and written again with the next flush, up to MAX_WRITE_ATTEMPTS times.
 */
export class LogWriter {
  private queue: RequestRecord[] = [];
  /** Records taken from the queue by the write under way. */
  private inFlight = 0;
  /** The batch the store failed to take (`first`: its first record's number), tried first at the next flush. */
  private retry: { records: RequestRecord[]; attempts: number; first: number } | undefined;
  /**
   * Which store ids the accepted records got (for the request journal). The queue always holds the
   * last records accepted, so its first one is numbered `accepted - queue.length + 1`.
   */
  readonly positions: JournalPositions;
  private writing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private immediate = false;
  private closed = false;
  private closing = false;
  /** Why the last write failed, while the store keeps failing (cleared by a write that lands). */
  private lastFailure: string | undefined;

  constructor(private readonly options: LogWriterOptions) {
    this.positions = new JournalPositions(options.journalBaseline ?? 0);
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.timer.unref();
  }

  /** Records accepted and not stored yet: queued, being written, or kept after a failed write. */
  get pending(): number {
    return this.queue.length + this.inFlight + (this.retry?.records.length ?? 0);
  }

  /** Throws while the store fails to take batches (readiness): records wait in the queue meanwhile. */
  check(): void {
    if (this.retry !== undefined && this.lastFailure !== undefined) throw new Error(`request log: the store is failing (${this.lastFailure}); ${this.pending} records are kept and written again with each flush`);
  }

  enqueue(records: readonly RequestRecord[]): void {
    if (this.closed) return;
    const { queueSize, onDrop } = this.options;
    let dropped = 0;
    for (const record of records) {
      const pending = this.pending;
      if (pending >= queueSize) {
        onDrop?.('record', 1);
        dropped++;
        continue;
      }
      if (pending >= queueSize / 2 && (record.request_content !== null || record.response_content !== null)) {
        record.request_content = null;
        record.response_content = null;
        onDrop?.('content', 1);
      }
      this.queue.push(record);
    }
    this.positions.accepted += records.length - dropped;
    // After a failed write the next try waits for the interval: a full batch does not hurry it.
    if (this.queue.length >= this.options.batchSize && !this.immediate && this.retry === undefined) {
      this.immediate = true;
      setImmediate(() => {
        this.immediate = false;
        void this.flush();
      });
    }
  }

  /**
   * Resolves once every record up to `mark` (a `positions.accepted` read) is stored or dropped,
   * with its watermark (see JournalPositions). Writes what is queued now rather than wait for the
   * interval (the spend flush waiting on it also holds up admin changes of spend), unless a failed
   * batch waits for its next try: that keeps the interval.
   */
  durable(mark: number): Promise<number> {
    const done = this.positions.durable(mark);
    if (!this.closed && this.retry === undefined && this.positions.awaits(mark)) void this.flush();
    return done;
  }

  /** Writes everything queued so far; resolves once it is stored (queries after it see it). */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
    if (this.queue.length === 0 && this.retry === undefined) return;
    this.writing = this.writeAll().finally(() => {
      this.writing = undefined;
    });
    await this.writing;
  }

  /**
   * Writes what is pending. A batch the store fails to take gets its remaining tries now, a moment
   * apart; what is still unwritten after them is dropped, counted and logged.
   */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.closing = true;
    await this.flush();
    for (let tries = 1; this.retry !== undefined && tries < MAX_WRITE_ATTEMPTS; tries++) {
      await new Promise((resolve) => setTimeout(resolve, CLOSE_RETRY_PAUSE_MS));
      await this.flush();
    }
    this.closed = true;
    const unwritten = this.pending;
    if (unwritten > 0) {
      this.queue = [];
      this.retry = undefined;
      this.options.onDrop?.('record', unwritten);
      this.options.logger.error('request log: records still unwritten at shutdown were dropped', { records: unwritten });
    }
    this.positions.settleAll();
  }

  /**
   * Writes what is queued now, in batches of `batchSize`. Records that arrive meanwhile wait for
   * the next flush (the interval, a full batch, or a caller's flush): chasing them straight away
   * made the batch size follow the store's latency instead of the interval, and on SQLite each of
   * those small transactions rewrote every index's newest page (bench:log-writes).
   */
  private async writeAll(): Promise<void> {
    const queued = this.queue;
    const first = this.positions.accepted - queued.length + 1;
    this.queue = [];
    this.inFlight = queued.length;
    try {
      const retry = this.retry;
      if (retry !== undefined) {
        this.retry = undefined;
        this.inFlight = queued.length + retry.records.length;
        // Still failing: the store is down, the rest waits with it.
        if (!(await this.write(retry.records, retry.attempts + 1, retry.first))) return this.keep(queued, 0);
      }
      for (let start = 0; start < queued.length; ) {
        const end = this.batchEnd(queued, start);
        const batch = queued.slice(start, end);
        this.inFlight = queued.length - start;
        const batchFirst = first + start;
        start = end;
        if (!(await this.write(batch, 1, batchFirst))) return this.keep(queued, start);
      }
    } finally {
      this.inFlight = 0;
    }
  }

  /** Puts `queued` from `start` back in front of the records that arrived meanwhile. */
  private keep(queued: RequestRecord[], start: number): void {
    this.queue = start === queued.length ? this.queue : queued.slice(start).concat(this.queue);
  }

  /**
   * One try at storing `batch`. False: it failed and is kept (as `retry`) for the next flush.
   * After its last try it is dropped, counted and logged, and the writer goes on.
   */
  private async write(batch: RequestRecord[], attempt: number, first: number): Promise<boolean> {
    try {
      const lastId = await this.options.store.insert(batch);
      this.positions.settle(first, batch.length, typeof lastId === 'number' ? lastId : undefined);
      this.lastFailure = undefined;
      return true;
    } catch (error) {
      // A store that cannot be reached (PostgreSQL restarting, the SQLite file locked) is waited
      // out: the batch is tried again with every flush for as long as it takes, bounded by
      // queue_size. Only a batch the store refuses while up (bad data) runs out of tries.
      const unreachable = storeUnreachable(error);
      this.lastFailure = (error as Error)?.message ?? String(error);
      if (attempt < MAX_WRITE_ATTEMPTS || (unreachable && !this.closing)) {
        this.retry = { records: batch, attempts: unreachable ? Math.min(attempt, MAX_WRITE_ATTEMPTS - 1) : attempt, first };
        this.options.logger.warn('request log write failed; the batch is kept and written again with the next flush', { records: batch.length, attempt, error });
        return false;
      }
      this.options.onDrop?.('record', batch.length);
      this.options.logger.error('request log write failed; records dropped', { records: batch.length, attempts: attempt, error });
      this.positions.settle(first, batch.length, undefined);
      return true;
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

/** Connection-level failures: the store is down or unreachable, not refusing the data. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_LOCKED']);

function storeUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string') {
    if (UNREACHABLE_CODES.has(code) || code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_IOERR')) return true;
    // PostgreSQL: connection exceptions (08…), operator intervention such as a restart (57P…), insufficient resources (53…).
    if (/^(08|57P|53)/.test(code)) return true;
  }
  const message = (error as Error)?.message ?? '';
  return /Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|connect ECONNREFUSED|the database system is (starting up|shutting down)/i.test(message);
}
