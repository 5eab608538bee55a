import { askPrimary, type PrimaryHandler } from '../lib/cluster-ipc.js';
import { MemorySpendStore } from './memory-spend-store.js';
import type { CounterSnapshot, CounterState, LimitLine, ReserveResult, SpendStore } from './spend-store.js';

/** The IPC request type the workers' ledger calls go by. */
const SPEND_REQUEST = 'spend';

type Method = 'reserve' | 'settle' | 'peek' | 'addCredit' | 'resetScope' | 'sweep' | 'takeChanged' | 'restore';

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
  reserve(lines: readonly LimitLine[], now: number, ttlMs: number): Promise<ReserveResult> {
    return call('reserve', [lines, now, ttlMs]);
  }

  settle(id: string, actual: readonly number[]): Promise<void> {
    return call('settle', [id, actual]);
  }

  peek(counter: string): Promise<CounterState> {
    return call('peek', [counter]);
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
        case 'reserve':
          return store.reserve(args[0] as LimitLine[], args[1] as number, args[2] as number);
        case 'settle':
          return store.settle(args[0] as string, args[1] as number[]);
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
