import type { EntityKind, EntityRecord } from '../entities.js';
import type { CounterSnapshot } from '../spend-store.js';

/** One entity to write: its document (never a secret, only hashes) and the config it was seeded from. */
export interface EntityWrite {
  kind: EntityKind;
  id: string;
  document: EntityRecord;
  /** SHA-256 of the config definition it was last seeded from; undefined for API-created entities. */
  seedHash: string | undefined;
}

/** One entity as persisted: `version` counts its writes (1 when created), for conditional admin writes. */
export interface StoredEntity extends EntityWrite {
  version: number;
}

/**
 * What changed after a store revision: every entity written and every entity deleted since, and
 * the revision this brings the reader to. Each entity write or delete takes the next revision of
 * the whole store, one writer at a time, so a reader that applies the changes since the revision
 * it last saw misses nothing, whichever replica wrote them.
 */
export interface EntityChanges {
  revision: number;
  entities: StoredEntity[];
  removed: { kind: EntityKind; id: string }[];
}

/** A conditional write: done, refused because the entity is at another version, or the entity does not exist. */
export type EntityWriteResult = { status: 'written'; entity: StoredEntity } | { status: 'conflict'; current: number } | { status: 'missing' };

/**
 * A change computed from the stored entity (inside the store's transaction, so from its newest
 * version); undefined leaves the entity as it is (answered as written, at its current version).
 */
export type EntityChange = (current: StoredEntity) => { document: EntityRecord; seedHash: string | undefined } | undefined;

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
  /** The store's entity revision: a cheap read, polled to notice changes made elsewhere. */
  revision(): Promise<number>;
  /** Entities written and deleted after `revision`, read in one snapshot. */
  changesSince(revision: number): Promise<EntityChanges>;
  /** Creates or replaces an entity unconditionally (its version goes up by one). */
  putEntity(entity: EntityWrite): Promise<StoredEntity>;
  /** Creates an entity unless one with its kind and id exists (then: undefined). */
  insertEntity(entity: EntityWrite): Promise<StoredEntity | undefined>;
  /**
   * Rewrites an entity from its stored state, in one transaction: `change` sees the newest stored
   * version, so fields it does not touch keep what any replica last wrote. With `expected`, only
   * when the stored version is that one.
   */
  updateEntity(kind: EntityKind, id: string, expected: number | undefined, change: EntityChange): Promise<EntityWriteResult>;
  /** Deletes an entity (with `expected`: only at that version). */
  deleteEntity(kind: EntityKind, id: string, expected?: number): Promise<EntityWriteResult>;
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
  /**
   * Records an alert that just fired unless one of the same counter and threshold is recorded
   * already (another replica, or worker, fired it first): true when this call recorded it. A
   * counter's name holds its window, so each window's crossing is claimed once.
   */
  claimAlert(alert: AlertRecord): Promise<boolean>;
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
