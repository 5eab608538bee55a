import type { AttemptOutcome, Router, RoutingSession } from '../pipeline/hooks.js';
import type { RequestContext } from '../pipeline/context.js';
import type { RoutePlan, Target } from '../pipeline/target.js';
import { weightedOrder } from './weighted-order.js';

const MAX_BACKOFF_MS = 2_000;

/**
 * Walks a plan group by group: within a group, targets in strategy order; each target is retried
 * up to its provider's `max_retries` on retryable failures (with exponential backoff, honouring
 * `Retry-After` up to a cap); a non-retryable caller error (4xx that is the caller's fault) stops the walk.
 */
export class PlanRouter implements Router {
  start(context: RequestContext, plan: RoutePlan): RoutingSession {
    return new PlanSession(context, plan);
  }
}

class PlanSession implements RoutingSession {
  private groupIndex = 0;
  private queue: Target[] = [];
  private current: Target | undefined;
  private retriesLeft = 0;
  private retryCount = 0;

  constructor(
    private readonly context: RequestContext,
    private readonly plan: RoutePlan,
  ) {
    this.loadGroup();
  }

  async next(previous: AttemptOutcome | undefined): Promise<Target | undefined> {
    if (previous !== undefined && this.current !== undefined) {
      const error = previous.error;
      if (error !== undefined && isCallerFault(error.status, error.code)) return undefined;
      if (error?.retryable && this.retriesLeft > 0 && !this.context.signal.aborted) {
        this.retriesLeft--;
        this.retryCount++;
        await delay(backoffMs(this.retryCount, error.retryAfterMs), this.context.signal);
        return this.current;
      }
    }
    while (this.queue.length === 0) {
      this.groupIndex++;
      if (this.groupIndex >= this.plan.groups.length) return (this.current = undefined);
      this.loadGroup();
    }
    this.current = this.queue.shift()!;
    this.retriesLeft = this.current.provider.maxRetries;
    this.retryCount = 0;
    return this.current;
  }

  private loadGroup(): void {
    const group = this.plan.groups[this.groupIndex];
    this.queue = group === undefined ? [] : weightedOrder(group.targets);
  }
}

/** Errors another provider would answer the same way: do not fall back on them. */
function isCallerFault(status: number, code: string): boolean {
  if (code !== 'upstream_error' && code !== 'invalid_request' && code !== 'unsupported_parameter') return false;
  return status === 400 || status === 404 || status === 413 || status === 422;
}

function backoffMs(retry: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, MAX_BACKOFF_MS);
  const base = Math.min(100 * 2 ** (retry - 1), MAX_BACKOFF_MS);
  return base / 2 + Math.random() * (base / 2);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
