interface Waiter {
  readonly mark: number;
  resolve(watermark: number): void;
}

/**
 * Which store ids the records a LogWriter enqueued got, so that a number handed out by `mark`
 * becomes a watermark in the store (RequestJournal.durable). Records are numbered 1, 2, … as the
 * writer accepts them; batches are stored (or dropped for good) in that order, and a
 * NumberedLogStore gives a batch consecutive ids ending with the one its insert returns.
 */
export class JournalPositions {
  /** The number of the last record accepted. */
  accepted = 0;
  /** Every record up to this number is stored or dropped. */
  private settled = 0;
  /** The store id of the last stored record numbered up to `settled` (the store's highest id at start-up before any). */
  private watermark: number;
  /** The last batch settled: its first number, its size and the id of its last record (undefined: dropped). */
  private lastBatch: { first: number; count: number; lastId: number | undefined } | undefined;
  private waiters: Waiter[] = [];

  constructor(baseline: number) {
    this.watermark = baseline;
  }

  /**
   * Resolves once every record up to `mark` is settled, with the id of the last of them the store
   * holds. `mark` must be the latest `accepted` read (or a later one), as RequestJournal says.
   */
  durable(mark: number): Promise<number> {
    if (mark === this.settled) return Promise.resolve(this.watermark);
    if (mark < this.settled) {
      const found = this.watermarkIn(mark);
      return found === undefined ? Promise.reject(new Error(`request journal: mark ${mark} is older than the last batch stored`)) : Promise.resolve(found);
    }
    return new Promise((resolve) => this.waiters.push({ mark, resolve }));
  }

  /**
   * Resolves once every record up to `mark` is settled, without the watermark: for a caller that
   * only waits for its records and may ask long after it took `mark` (when batches written since have
   * moved the watermark past where `durable` can tell it).
   */
  settledThrough(mark: number): Promise<void> {
    if (mark <= this.settled) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ mark, resolve: () => resolve() }));
  }

  /** Whether records up to `mark` are still to be stored. */
  awaits(mark: number): boolean {
    return mark > this.settled;
  }

  /** Records `first` to `first + count - 1` were stored, the last with id `lastId`; undefined: dropped for good. */
  settle(first: number, count: number, lastId: number | undefined): void {
    if (count === 0) return;
    this.lastBatch = { first, count, lastId };
    this.settled = first + count - 1;
    if (lastId !== undefined) this.watermark = lastId;
    if (this.waiters.length === 0) return;
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      if (waiter.mark > this.settled) this.waiters.push(waiter);
      else waiter.resolve(this.watermarkIn(waiter.mark) ?? this.watermark);
    }
  }

  /** At close, once nothing more will be written: everything accepted is settled. */
  settleAll(): void {
    if (this.accepted > this.settled) this.settle(this.settled + 1, this.accepted - this.settled, undefined);
  }

  /** The watermark of `mark` when it falls in the last batch (records after it in the batch stay above). */
  private watermarkIn(mark: number): number | undefined {
    if (mark === this.settled) return this.watermark;
    const batch = this.lastBatch;
    if (batch === undefined || mark < batch.first - 1) return undefined;
    // A dropped batch left the watermark where the records before it put it.
    if (batch.lastId === undefined) return this.watermark;
    return batch.lastId - (batch.first + batch.count - 1 - mark);
  }
}
