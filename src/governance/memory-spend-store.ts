import { EPSILON, type CounterSnapshot, type CounterState, type LimitLine, type ReserveResult, type SpendStore } from './spend-store.js';

interface Counter extends CounterState {
  readonly name: string;
  windowEnd: number;
  changed: boolean;
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
        if (line.amount > line.limit + EPSILON || line.limit <= 0) return { ok: false, index, state: { used: 0, reserved: 0, credit: 0 } };
        continue;
      }
      const ceiling = line.limit + counter.credit;
      if (counter.used + counter.reserved + line.amount > ceiling + EPSILON || counter.used >= ceiling - EPSILON) {
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
      counter.changed = true;
    }
  }

  sweep(now: number): void {
    for (const [id, reservation] of this.reservations) {
      if (reservation.expiresAt > now) continue;
      this.reservations.delete(id);
      this.apply(reservation, reservation.onExpiry);
    }
    for (const [name, counter] of this.counters) {
      if (counter.windowEnd <= now && counter.reserved <= EPSILON && !counter.changed) this.counters.delete(name);
    }
  }

  takeChanged(): CounterSnapshot[] {
    const changed: CounterSnapshot[] = [];
    for (const counter of this.counters.values()) {
      if (!counter.changed) continue;
      counter.changed = false;
      changed.push({ counter: counter.name, windowEnd: counter.windowEnd, used: counter.used, credit: counter.credit });
    }
    return changed;
  }

  restore(snapshots: readonly CounterSnapshot[]): void {
    for (const snapshot of snapshots) {
      const counter = this.counterFor(snapshot.counter, snapshot.windowEnd);
      counter.used = snapshot.used;
      counter.credit = snapshot.credit;
    }
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
      counter = { name, windowEnd, used: 0, reserved: 0, credit: 0, changed: false };
      this.counters.set(name, counter);
    }
    return counter;
  }
}
