import type { EntityKind, EntityRecord } from '../entities.js';
import type { CounterSnapshot } from '../spend-store.js';

/** One entity as persisted: its document (never a secret, only hashes) and the config it was seeded from. */
export interface StoredEntity {
  kind: EntityKind;
  id: string;
  document: EntityRecord;
  /** SHA-256 of the config definition it was last seeded from; undefined for API-created entities. */
  seedHash: string | undefined;
}

/** A budget alert that fired, and whether its webhook was delivered. */
export interface AlertRecord {
  /** The counter (budget window) and threshold: unique. */
  counter: string;
  threshold: number;
  windowEnd: number;
  firedAt: string;
  payload: Record<string, unknown>;
  delivered: boolean;
  attempts: number;
}

/**
 * Durable state of governance, one interface for every backend (memory, SQLite, PostgreSQL).
 * Only admin changes, start-up and the periodic spend flush call it: never the request path.
 */
export interface GovernanceStore {
  /** Creates or upgrades the tables (versioned migrations). */
  migrate(): Promise<void>;
  loadEntities(): Promise<StoredEntity[]>;
  putEntity(entity: StoredEntity): Promise<void>;
  deleteEntity(kind: EntityKind, id: string): Promise<void>;
  /** Counters whose window has not ended by `now`. */
  loadCounters(now: number): Promise<CounterSnapshot[]>;
  /** Every stored USD counter, ended windows included (for `tollgate reconcile`). */
  loadSpendCounters(): Promise<CounterSnapshot[]>;
  /**
   * Saves counters and, in the same transaction, the request journal's watermark they include:
   * a number sets it, null clears it (counters saved without a journal say nothing about the log),
   * undefined leaves it as it is.
   */
  saveCounters(counters: readonly CounterSnapshot[], watermark?: number | null): Promise<void>;
  /** The request journal watermark saved with the counters; undefined when none is. */
  loadJournalWatermark(): Promise<number | undefined>;
  /** Deletes rate-limit counters (requests, tokens) whose window ended by `now`; USD counters stay as spend history. */
  pruneCounters(now: number): Promise<void>;
  /** Inserts or updates an alert (by counter and threshold). */
  putAlert(alert: AlertRecord): Promise<void>;
  /** Alerts of windows that have not ended by `now`. */
  loadAlerts(now: number): Promise<AlertRecord[]>;
}

/** Infinity does not survive SQL numbers or JSON: lifetime windows are stored as this. */
export const FOREVER = 8_640_000_000_000_000;

export function storedWindowEnd(windowEnd: number): number {
  return Number.isFinite(windowEnd) ? windowEnd : FOREVER;
}

export function loadedWindowEnd(stored: number): number {
  return stored >= FOREVER ? Number.POSITIVE_INFINITY : stored;
}

/** A stored counter row as a snapshot; the expiry charges only when there are any. */
export function snapshotOf(row: { counter: string; window_end: number | string; used: number | string; credit: number | string; expired?: number | string | null; expired_count?: number | string | null }): CounterSnapshot {
  const snapshot: CounterSnapshot = { counter: row.counter, windowEnd: loadedWindowEnd(Number(row.window_end)), used: Number(row.used), credit: Number(row.credit) };
  if (Number(row.expired ?? 0) !== 0 || Number(row.expired_count ?? 0) !== 0) {
    snapshot.expired = Number(row.expired ?? 0);
    snapshot.expiredCount = Number(row.expired_count ?? 0);
  }
  return snapshot;
}
