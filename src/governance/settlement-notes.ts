import type { RequestCharges } from '../pipeline/capabilities.js';
import { hasSettlementNotes, UNLOGGED_AFTER_MS, type LedgerCounter, type SettlementNotes, type SpendStore } from './spend-store.js';

/** How often the settlements whose records are stored are forgotten, in one call for all of them. */
const FORGET_INTERVAL_MS = 500;

/**
 * Keeps a shared ledger's settlement notes (SettlementNotes) as short-lived as the request log
 * allows: each settled reservation id is collected, and once the log has stored every record it
 * had accepted by then (the request's own among them: it is accepted in the turn the request
 * settles), the ids are forgotten in one batch. What a killed replica never forgot stays noted, and
 * reconciliation explains it. A failed forget is retried with the next batch.
 */
export class SettlementNoteKeeper {
  private pending: string[] = [];
  private readonly timer: NodeJS.Timeout;
  private round: Promise<void> = Promise.resolve();

  constructor(
    private readonly notes: SettlementNotes,
    private readonly charges: RequestCharges,
  ) {
    notes.noteSettlements();
    this.timer = setInterval(() => void this.forget(), FORGET_INTERVAL_MS);
    this.timer.unref();
  }

  /** A reservation settled (its note is in the ledger). */
  settled(id: string): void {
    this.pending.push(id);
  }

  /** Forgets every note collected so far once the log has stored what it accepted by now. */
  forget(): Promise<void> {
    if (this.pending.length === 0) return this.round;
    const ids = this.pending;
    this.pending = [];
    const mark = this.charges.accepted();
    // A round never fails: the interval that starts it has nobody to hand a failure to (an
    // unhandled rejection ends the process). Ids whose round failed wait for the next one.
    this.round = this.round.then(async () => {
      try {
        await this.charges.stored(mark);
        await this.notes.forgetSettlements(ids);
      } catch {
        this.pending.push(...ids);
      }
    });
    return this.round;
  }

  /** At shutdown, after the request log has flushed: forgets what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.charges.flush().catch(() => {});
    await this.forget().catch(() => {});
  }
}

/**
 * Adds to each counter what the ledger's settlements of requests without a stored record charged it
 * (`unlogged`: a replica died between settling and logging), from the notes older than
 * UNLOGGED_AFTER_MS. Notes whose record is stored were merely not forgotten yet: they are dropped.
 */
export async function withUnloggedSettlements(spend: SpendStore, counters: LedgerCounter[], logged: (requestIds: readonly string[]) => Promise<Set<string>>, now = Date.now()): Promise<LedgerCounter[]> {
  if (!hasSettlementNotes(spend)) return counters;
  const notes = await spend.notesBefore(now - UNLOGGED_AFTER_MS);
  if (notes.length === 0) return counters;
  const stored = await logged([...new Set(notes.map((note) => note.requestId))]);
  const late = notes.filter((note) => stored.has(note.requestId)).map((note) => note.id);
  if (late.length > 0) await spend.forgetSettlements(late).catch(() => {});
  const totals = new Map<string, { amount: number; count: number }>();
  for (const note of notes) {
    if (stored.has(note.requestId)) continue;
    for (const { counter, amount } of note.amounts) {
      if (amount === 0) continue;
      const total = totals.get(counter) ?? { amount: 0, count: 0 };
      total.amount += amount;
      total.count++;
      totals.set(counter, total);
    }
  }
  return counters.map((counter) => {
    const total = totals.get(counter.counter);
    return total === undefined ? counter : { ...counter, unlogged: total.amount, unloggedCount: total.count };
  });
}
