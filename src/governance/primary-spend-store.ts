import { askPrimary, type PrimaryHandler } from '../lib/cluster-ipc.js';
import { MemorySpendStore } from './memory-spend-store.js';
import type { CounterSnapshot, CounterState, LedgerCounter, LimitLine, ReserveResult, SpendStore } from './spend-store.js';

/** What budget counters' names hold (see counterName). */
const USD_COUNTER = '|usd|';

/** The IPC request type the workers' ledger calls go by. */
const SPEND_REQUEST = 'spend';

type Method = 'reserve' | 'settle' | 'peek' | 'addCredit' | 'resetScope' | 'sweep' | 'takeChanged' | 'restore' | 'list';

interface SpendCall {
  readonly method: Method;
  readonly args: unknown[];
}

/**
 * The memory ledger under `tollgate --workers N`: one MemorySpendStore in the primary process,
 * which every worker calls over IPC. Reservations stay atomic (the primary runs each call to the
 * end before the next) and a budget is one budget on the machine, not one per worker. A call is
 * one IPC round trip (tens of microseconds on the same machine).
 */
export class PrimarySpendStore implements SpendStore {
  /** Budget counters of each reservation in flight, so its settle can bring their new states back. */
  private readonly counters = new Map<string, readonly string[]>();
  /**
   * States the last settles brought back, read by the budget-alert check that follows each settle
   * instead of one more round trip per budget line. Kept for one turn of the event loop.
   */
  private settled: Map<string, CounterState> | undefined;

  async reserve(lines: readonly LimitLine[], now: number, ttlMs: number): Promise<ReserveResult> {
    // Flat arrays: a fraction of the structured-clone cost of one object per line.
    const flat: (string | number)[] = [];
    for (const line of lines) flat.push(line.counter, line.windowEnd, line.limit, line.amount, line.chargeOnExpiry);
    const result = await call<ReserveResult>('reserve', [flat, now, ttlMs]);
    if (result.ok) {
      // Only a leak guard: every reservation is settled or released.
      if (this.counters.size >= 100_000) this.counters.clear();
      // The budget counters: the states the alert check reads after the settle (the others' would
      // only make the answer longer to copy between the processes).
      const budgets: string[] = [];
      for (const line of lines) if (line.counter.includes(USD_COUNTER)) budgets.push(line.counter);
      this.counters.set(result.id, budgets);
    }
    return result;
  }

  async settle(id: string, actual: readonly number[]): Promise<void> {
    const counters = this.counters.get(id);
    this.counters.delete(id);
    const states = await call<CounterState[] | undefined>('settle', [id, actual, counters ?? []]);
    if (counters === undefined || states === undefined) return;
    if (this.settled === undefined) {
      this.settled = new Map();
      setImmediate(() => (this.settled = undefined));
    }
    for (let index = 0; index < counters.length; index++) this.settled.set(counters[index]!, states[index]!);
  }

  peek(counter: string): CounterState | Promise<CounterState> {
    return this.settled?.get(counter) ?? call('peek', [counter]);
  }

  addCredit(counter: string, windowEnd: number, usd: number, now: number): Promise<void> {
    return call('addCredit', [counter, windowEnd, usd, now]);
  }

  resetScope(scope: string): Promise<void> {
    return call('resetScope', [scope]);
  }

  sweep(now: number): Promise<void> {
    return call('sweep', [now]);
  }

  takeChanged(): Promise<CounterSnapshot[]> {
    return call('takeChanged', []);
  }

  restore(snapshots: readonly CounterSnapshot[]): Promise<void> {
    return call('restore', [snapshots]);
  }

  list(marker: string): Promise<LedgerCounter[]> {
    return call('list', [marker]);
  }
}

function call<T>(method: Method, args: unknown[]): Promise<T> {
  return askPrimary<T>(SPEND_REQUEST, { method, args } satisfies SpendCall);
}

/**
 * In the primary: the ledger the workers share. Only the first `restore` loads the stored counters
 * (workers start one after another and each restores at start-up; a later one, or a restarted one,
 * must not add them again); whichever worker flushes takes the changed counters and writes them.
 */
export function primarySpendHandlers(): Record<string, PrimaryHandler> {
  const store = new MemorySpendStore();
  let restored = false;
  return {
    [SPEND_REQUEST](payload) {
      const { method, args } = payload as SpendCall;
      switch (method) {
        case 'reserve': {
          const flat = args[0] as (string | number)[];
          const lines: LimitLine[] = [];
          for (let at = 0; at < flat.length; at += 5) lines.push({ counter: flat[at] as string, windowEnd: flat[at + 1] as number, limit: flat[at + 2] as number, amount: flat[at + 3] as number, chargeOnExpiry: flat[at + 4] as number });
          return store.reserve(lines, args[1] as number, args[2] as number);
        }
        case 'settle':
          // The settled counters' new states go back with the answer (see PrimarySpendStore.settled).
          store.settle(args[0] as string, args[1] as number[]);
          return (args[2] as string[] | undefined)?.map((counter) => store.peek(counter));
        case 'peek':
          return store.peek(args[0] as string);
        case 'addCredit':
          return store.addCredit(args[0] as string, args[1] as number, args[2] as number);
        case 'resetScope':
          return store.resetScope(args[0] as string);
        case 'sweep':
          return store.sweep(args[0] as number);
        case 'takeChanged':
          return store.takeChanged();
        case 'list':
          return store.list(args[0] as string);
        case 'restore':
          if (restored) return undefined;
          restored = true;
          return store.restore(args[0] as CounterSnapshot[]);
        default:
          throw new Error(`unknown ledger method ${String(method)}`);
      }
    },
  };
}
