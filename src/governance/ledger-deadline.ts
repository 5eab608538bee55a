/**
 * How long a request waits for the spend ledger to answer its reservation. A Redis that keeps its
 * connection open without answering (paused, swapping, a link that went silent) otherwise holds
 * every governed request for as long as it hangs: minutes, until TCP gives up on a dead link.
 */
export const LEDGER_ANSWER_TIMEOUT_MS = 2_000;

interface Waiting {
  readonly since: number;
  readonly reject: (error: Error) => void;
  expired: boolean;
}

/**
 * Bounds the ledger's answers with one coarse timer for all of them (a timer per request would be
 * set and cleared on the hot path of every governed request): a wait ends between the bound and a
 * quarter more. An answer that arrives after its wait ended goes to `late`, so the caller can undo
 * what the ledger did for a request that was already refused.
 */
export class LedgerDeadline {
  /** In the order they started, so the oldest come first. */
  private readonly waiting = new Set<Waiting>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limitMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  bound<T>(answer: Promise<T>, late: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiting: Waiting = { since: this.now(), reject, expired: false };
      this.waiting.add(waiting);
      this.timer ??= setInterval(() => this.expire(), this.limitMs / 4).unref();
      answer.then(
        (value) => {
          if (waiting.expired) return late(value);
          this.waiting.delete(waiting);
          resolve(value);
        },
        (error: unknown) => {
          if (waiting.expired) return;
          this.waiting.delete(waiting);
          reject(error);
        },
      );
    });
  }

  private expire(): void {
    const cutoff = this.now() - this.limitMs;
    for (const waiting of this.waiting) {
      if (waiting.since > cutoff) break;
      waiting.expired = true;
      this.waiting.delete(waiting);
      waiting.reject(new Error(`the spend ledger did not answer within ${this.limitMs} ms`));
    }
    if (this.waiting.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
