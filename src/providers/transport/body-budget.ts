import { GatewayError } from '../../spec/index.js';

/**
 * The most bytes of upstream bodies the whole process holds in buffers at once, by default:
 * non-streamed answers being read whole, error bodies, and the unfinished event of every stream.
 * Each of those has its own cap (MAX_RESPONSE_BYTES, MAX_EVENT_BYTES), but caps alone multiply
 * with concurrency: 50 upstreams each sending a 60 MiB answer at once would take 3 GiB. Past the
 * budget the attempt fails with `upstream_invalid_response` (retryable: another target, or the
 * same one later, may answer within it). Everyday traffic (kilobytes per answer, events of a few
 * hundred bytes) uses a tiny fraction of it.
 */
export const DEFAULT_UPSTREAM_BUFFER_BUDGET_BYTES = 256 * 1024 * 1024;

/** A count of bytes held against a limit, shared by every reader of upstream bodies in the process. */
export class BufferBudget {
  private used = 0;

  constructor(public limitBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** Takes `bytes` from the budget; false, taking nothing, when they do not fit. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.limitBytes) return false;
    this.used += bytes;
    return true;
  }

  /** Gives back bytes taken earlier. */
  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

/** The process-wide budget of buffered upstream body bytes. */
export const upstreamBufferBudget = new BufferBudget(DEFAULT_UPSTREAM_BUFFER_BUDGET_BYTES);

interface Account {
  budget: BufferBudget;
  held: number;
}

/** Gives back what a hold still had when its reader was dropped without finishing (see BudgetHold). */
const abandoned = new FinalizationRegistry<Account>((account) => {
  account.budget.give(account.held);
  account.held = 0;
});

/**
 * The bytes one stream reader holds against a budget, as they grow and shrink. A stream parser is a
 * generator whose `finally` gives its bytes back; one dropped without being finished or returned
 * never runs it, so the hold also gives them back when it is garbage-collected: an abandoned
 * stream must not shrink the budget for good.
 */
export class BudgetHold {
  private readonly account: Account;

  constructor(budget: BufferBudget = upstreamBufferBudget) {
    this.account = { budget, held: 0 };
    abandoned.register(this, this.account, this);
  }

  get bytes(): number {
    return this.account.held;
  }

  /** Holds `bytes` from now on, taking or giving back the difference; false, changing nothing, when more do not fit. */
  hold(bytes: number): boolean {
    const account = this.account;
    if (bytes > account.held) {
      if (!account.budget.take(bytes - account.held)) return false;
    } else if (bytes < account.held) {
      account.budget.give(account.held - bytes);
    }
    account.held = bytes;
    return true;
  }

  /** Gives everything back. */
  release(): void {
    this.hold(0);
    abandoned.unregister(this);
  }
}

const MIB = 1024 * 1024;

export function formatBytes(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`;
}

/** The error of an attempt whose body did not fit in the process-wide budget. */
export function budgetExhausted(where: string, budget: BufferBudget = upstreamBufferBudget): GatewayError {
  return new GatewayError(
    'upstream_invalid_response',
    `The answer from ${where} cannot be buffered now: Tollgate holds at most ${formatBytes(budget.limitBytes)} of upstream bodies at once across all requests (the upstream buffer budget), and other answers in flight are using it.`,
    { retryable: true },
  );
}
