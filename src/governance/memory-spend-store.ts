import type { CounterSnapshot, CounterState, LedgerCounter, LimitLine, ReserveResult, SpendStore } from './spend-store.js';

interface Counter extends CounterState {
  readonly name: string;
  windowEnd: number;
  changed: boolean;
  expired: number;
  expiredCount: number;
}

interface Reservation {
  readonly counters: Counter[];
  readonly amounts: number[];
  readonly onExpiry: number[];
  readonly expiresAt: number;
}

/**
 * The single-process SpendStore: everything is synchronous, so `reserve` is atomic by
 * construction (JavaScript runs it to completion before any other request's `reserve`).
 */
export class MemorySpendStore implements SpendStore {
  private readonly counters = new Map<string, Counter>();
  private readonly reservations = new Map<string, Reservation>();
  private nextId = 1;

  reserve(lines: readonly LimitLine[], now: number, ttlMs: number): ReserveResult {
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index]!;
      const counter = this.counters.get(line.counter);
      if (counter === undefined) {
        if (line.amount > line.limit || line.limit <= 0) return { ok: false, index, state: { used: 0, reserved: 0, credit: 0 } };
        continue;
      }
      const ceiling = line.limit + counter.credit;
      if (counter.used + counter.reserved + line.amount > ceiling || counter.used >= ceiling) {
        return { ok: false, index, state: { used: counter.used, reserved: counter.reserved, credit: counter.credit } };
      }
    }
    const counters: Counter[] = new Array(lines.length);
    const amounts: number[] = new Array(lines.length);
    const onExpiry: number[] = new Array(lines.length);
    const remaining: number[] = new Array(lines.length);
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index]!;
      const counter = this.counterFor(line.counter, line.windowEnd);
      counter.reserved += line.amount;
      counters[index] = counter;
      amounts[index] = line.amount;
      onExpiry[index] = line.chargeOnExpiry;
      remaining[index] = line.limit + counter.credit - counter.used - counter.reserved;
    }
    const id = String(this.nextId++);
    this.reservations.set(id, { counters, amounts, onExpiry, expiresAt: now + ttlMs });
    return { ok: true, id, remaining };
  }

  settle(id: string, actual: readonly number[]): void {
    const reservation = this.reservations.get(id);
    if (reservation === undefined) return;
    this.reservations.delete(id);
    this.apply(reservation, actual);
  }

  peek(counter: string): CounterState {
    const found = this.counters.get(counter);
    return found === undefined ? { used: 0, reserved: 0, credit: 0 } : { used: found.used, reserved: found.reserved, credit: found.credit };
  }

  addCredit(counter: string, windowEnd: number, usd: number): void {
    const found = this.counterFor(counter, windowEnd);
    found.credit += usd;
    found.changed = true;
  }

  resetScope(scope: string): void {
    for (const counter of this.counters.values()) {
      if (!counter.name.startsWith(`${scope}|`) && !counter.name.startsWith(`${scope}/`)) continue;
      counter.used = 0;
      counter.credit = 0;
      counter.expired = 0;
      counter.expiredCount = 0;
      counter.changed = true;
    }
  }

  sweep(now: number): void {
    for (const [id, reservation] of this.reservations) {
      if (reservation.expiresAt > now) continue;
      this.reservations.delete(id);
      this.apply(reservation, reservation.onExpiry);
      for (let index = 0; index < reservation.counters.length; index++) {
        const counter = reservation.counters[index]!;
        const charged = reservation.onExpiry[index] ?? 0;
        if (charged === 0) continue;
        counter.expired += charged;
        counter.expiredCount++;
      }
    }
    for (const [name, counter] of this.counters) {
      if (counter.windowEnd <= now && counter.reserved <= 0 && !counter.changed) this.counters.delete(name);
    }
  }

  takeChanged(): CounterSnapshot[] {
    const changed: CounterSnapshot[] = [];
    for (const counter of this.counters.values()) {
      if (!counter.changed) continue;
      counter.changed = false;
      changed.push({ counter: counter.name, windowEnd: counter.windowEnd, used: counter.used, credit: counter.credit, expired: counter.expired, expiredCount: counter.expiredCount });
    }
    return changed;
  }

  restore(snapshots: readonly CounterSnapshot[]): void {
    for (const snapshot of snapshots) {
      const counter = this.counterFor(snapshot.counter, snapshot.windowEnd);
      counter.used = snapshot.used;
      counter.credit = snapshot.credit;
      counter.expired = snapshot.expired ?? 0;
      counter.expiredCount = snapshot.expiredCount ?? 0;
    }
  }

  list(marker: string): LedgerCounter[] {
    const found: LedgerCounter[] = [];
    for (const counter of this.counters.values()) {
      if (!counter.name.includes(marker)) continue;
      found.push({ counter: counter.name, used: counter.used, reserved: counter.reserved, credit: counter.credit, expired: counter.expired, expiredCount: counter.expiredCount });
    }
    return found;
  }

  /** Reservations in flight (for tests and metrics). */
  get pending(): number {
    return this.reservations.size;
  }

  private apply(reservation: Reservation, actual: readonly number[]): void {
    for (let index = 0; index < reservation.counters.length; index++) {
      const counter = reservation.counters[index]!;
      counter.reserved = Math.max(0, counter.reserved - reservation.amounts[index]!);
      const used = actual[index] ?? 0;
      if (used !== 0) {
        counter.used += used;
        counter.changed = true;
      }
    }
  }

  private counterFor(name: string, windowEnd: number): Counter {
    let counter = this.counters.get(name);
    if (counter === undefined) {
      counter = { name, windowEnd, used: 0, reserved: 0, credit: 0, changed: false, expired: 0, expiredCount: 0 };
      this.counters.set(name, counter);
    }
    return counter;
  }
}
