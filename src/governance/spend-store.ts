/**
 * The reservation ledger behind budgets, rate limits and concurrency caps. Every limit is a
 * counter (`used` settled, `reserved` in flight, `credit` from top-ups) in one window.
 *
 * The contract is what makes "no overspend" hold with many concurrent requests, and it is written
 * so that a Redis implementation can follow with one Lua script per method:
 * - `reserve` checks every line and, only if all pass, adds each line's amount to `reserved`, as
 *   one atomic step (a script over the counters' hashes; in memory, one synchronous call).
 * - `settle` moves a reservation's amounts out of `reserved` and adds the actual amounts to `used`.
 * - a reservation never settled (its request crashed) is settled with `chargeOnExpiry` after its TTL
 *   (in Redis: reservations kept in a hash per expiry bucket, swept by a script); the counter also adds
 *   that charge to `expired`, so reconciliation can tell it from spend the request log records.
 *
 * Every amount is an integer: requests, tokens, and USD as nano-USD (10⁻⁹ USD, see usd-units.ts).
 * Sums of integers are exact (up to 2^53, about $9 million per counter window), so the ledger of a
 * budget equals, to the nano-dollar, the sum of the charges its requests logged (`tollgate reconcile`).
 */
export interface LimitLine {
  /** Counter identity including its window, e.g. `key:k1|usd|1d|1767225600000`. */
  readonly counter: string;
  /** End of the counter's window (epoch ms); the counter may be forgotten after it. Infinity for lifetime counters. */
  readonly windowEnd: number;
  /** The most `used + reserved` may reach (before top-up credit). */
  readonly limit: number;
  /** Reserved now. */
  readonly amount: number;
  /** What an expired (never settled) reservation is charged. */
  readonly chargeOnExpiry: number;
  /**
   * The amount is what the line uses however the request ends (a request count: `amount`,
   * `chargeOnExpiry` and the settled amount are all 1). A store may add it to `used` when it
   * reserves, and then leaves it alone when settling or sweeping (the Redis ledger does: two
   * commands fewer per such line and request); others treat it as any line.
   */
  readonly final?: boolean;
}

export interface CounterState {
  used: number;
  reserved: number;
  /** Top-ups: added to the limit for this window. */
  credit: number;
}

/** A counter as reconciliation reads it: settled spend, and the part of it charged by expired reservations. */
export interface LedgerCounter {
  readonly counter: string;
  readonly used: number;
  readonly reserved: number;
  readonly credit: number;
  /** Charged by reservations that expired unsettled (their request never reported; see `sweep`). */
  readonly expired: number;
  /** How many expired reservations charged this counter. */
  readonly expiredCount: number;
  /** Settled by requests whose records the request log never stored (their replica died first; see SettlementNotes). */
  readonly unlogged?: number;
  /** How many such settlements charged this counter. */
  readonly unloggedCount?: number;
}

/**
 * A shared ledger settles at once (Redis), while the request log writes its records in batches: a
 * replica killed in between leaves spend that no record explains. Such a ledger notes every
 * settlement, with its request id, until the replica knows the record is stored; reconciliation
 * reads the notes older than `UNLOGGED_AFTER_MS` (a dead replica's, or not yet forgotten), and those
 * whose request has no record explain the difference as `unlogged`.
 */
export interface SettlementNotes {
  /** From now on, settlements are noted (called once the request log is known to be on). */
  noteSettlements(): void;
  /** Forgets the notes of these settlements (reservation ids). */
  forgetSettlements(ids: readonly string[]): Promise<void>;
  /** Notes older than `olderThan` (epoch ms). */
  notesBefore(olderThan: number): Promise<SettlementNote[]>;
}

/** A settlement noted until its request's record is stored. */
export interface SettlementNote {
  /** The reservation id. */
  readonly id: string;
  readonly requestId: string;
  /** Each budget (USD) counter settled and the amount added to its `used` (reconciliation reads no other counter). */
  readonly amounts: readonly { readonly counter: string; readonly amount: number }[];
}

/** A note older than this belongs to a record that was never stored (records are stored within a flush interval). */
export const UNLOGGED_AFTER_MS = 5_000;

export function hasSettlementNotes(store: SpendStore): store is SpendStore & SettlementNotes {
  return typeof (store as Partial<SettlementNotes>).noteSettlements === 'function';
}

export type ReserveResult =
  /** `remaining[i]`: room left on line i after this reservation (limit + credit − used − reserved). */
  | { readonly ok: true; readonly id: string; readonly remaining: readonly number[] }
  | { readonly ok: false; readonly index: number; readonly state: CounterState };

/** A counter as persisted: settled spend and credit per window. */
export interface CounterSnapshot {
  counter: string;
  windowEnd: number;
  used: number;
  credit: number;
  /** Part of `used` charged by expired reservations (absent: none). */
  expired?: number;
  expiredCount?: number;
}

export type Awaitable<T> = T | Promise<T>;

export interface SpendStore {
  /** Atomically: refuses with the first line that cannot take its amount, or reserves all of them. */
  reserve(lines: readonly LimitLine[], now: number, ttlMs: number): Awaitable<ReserveResult>;
  /**
   * Replaces the reservation with `actual[i]` used on each line. Unknown ids (already expired) are
   * ignored. `lines`, the reservation's own lines as reserved, spare a remote store reading them back.
   * `requestId`: the request whose usage it is (a ledger with SettlementNotes notes it until its record is stored).
   */
  settle(id: string, actual: readonly number[], lines?: readonly LimitLine[], requestId?: string): Awaitable<void>;
  /** The state of a counter (zeros when it was never touched). */
  peek(counter: string): Awaitable<CounterState>;
  /** Adds top-up credit to a counter's window (`now` for stores that expire counters after their window). */
  addCredit(counter: string, windowEnd: number, usd: number, now: number): Awaitable<void>;
  /** Zeroes `used` and `credit` of every counter of a scope (`key:k1`, `team:t1`, …) and its sub-scopes (`key:k1/provider:openai`). */
  resetScope(scope: string): Awaitable<void>;
  /** Settles expired reservations and forgets counters whose window ended. */
  sweep(now: number): Awaitable<void>;
  /** Counters changed since the last call (for flushing to storage). */
  takeChanged(): Awaitable<CounterSnapshot[]>;
  /** Loads persisted counters at start-up. */
  restore(snapshots: readonly CounterSnapshot[]): Awaitable<void>;
  /** Every counter whose name contains `marker` (e.g. `|usd|`), for reconciliation. Not on the request path. */
  list(marker: string): Awaitable<LedgerCounter[]>;
}

/** Tolerance for float sums of USD amounts. */
export const EPSILON = 1e-9;

/** A publish/subscribe channel between replicas (Redis pub/sub beside the shared ledger). */
export interface ChangeChannel {
  /** Tells the other replicas that entities changed, up to `revision` (best effort). */
  publish(revision: number): void;
  /** Calls `listener` on every notice until the returned stop is called. */
  subscribe(listener: () => void): Promise<() => Promise<void>>;
}
