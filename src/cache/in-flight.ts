/** A miss on its way to the provider, and the requests waiting for its answer (made when the first one comes). */
export interface Leader {
  waiters: (() => void)[] | undefined;
}

/**
 * Request coalescing: the misses of this process on their way to the provider, by exact key. An
 * identical request that comes meanwhile waits for the first one to end and then looks the entry
 * up again, so a burst of the same question pays the provider once. A miss costs one Map entry
 * and one small object; the waiting list is made only when a request waits.
 */
export class InFlight {
  private readonly leaders = new Map<string, Leader>();

  /** Registers a miss as the one going to the provider for `id`; undefined when another already is. */
  lead(id: string): Leader | undefined {
    if (this.leaders.has(id)) return undefined;
    const leader: Leader = { waiters: undefined };
    this.leaders.set(id, leader);
    return leader;
  }

  /** The miss going to the provider for `id`, if any. */
  leaderOf(id: string): Leader | undefined {
    return this.leaders.get(id);
  }

  /** The leader's request is over (its answer stored, or not): everyone waiting for it goes on. */
  end(id: string, leader: Leader): void {
    // Only `lead` adds an id, and only when it is absent, so the id's entry is this leader's.
    this.leaders.delete(id);
    const waiters = leader.waiters;
    leader.waiters = undefined;
    if (waiters !== undefined) for (const wake of waiters) wake();
  }

  /** Resolves when the leader's request is over, or sooner when `signal` aborts (the waiting caller left or timed out). */
  wait(leader: Leader, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const stop = (): void => resolve();
      signal.addEventListener('abort', stop, { once: true });
      (leader.waiters ??= []).push(() => {
        signal.removeEventListener('abort', stop);
        resolve();
      });
    });
  }
}
