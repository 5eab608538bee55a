import type Database from 'better-sqlite3';
import type { EntityKind, EntityRecord } from '../entities.js';
import type { CounterSnapshot } from '../spend-store.js';
import { loadedWindowEnd, snapshotOf, storedWindowEnd, type AlertRecord, type GovernanceStore, type StoredEntity } from './governance-store.js';
import { GOVERNANCE_MIGRATIONS } from './migrations.js';
import { writeWhenFree } from '../../storage/write-when-free.js';

interface EntityRow {
  kind: EntityKind;
  id: string;
  document: string;
  seed_hash: string | null;
}

interface CounterRow {
  counter: string;
  window_end: number;
  used: number;
  credit: number;
  expired: number;
  expired_count: number;
}

interface AlertRow {
  counter: string;
  threshold: number;
  window_end: number;
  fired_at: string;
  payload: string;
  delivered: number;
  attempts: number;
}

/** Governance state in the gateway's SQLite file (WAL, set up by storage). */
export class SqliteGovernanceStore implements GovernanceStore {
  constructor(private readonly db: Database.Database) {}

  async migrate(): Promise<void> {
    this.db.exec('CREATE TABLE IF NOT EXISTS governance_schema (version INTEGER NOT NULL)');
    const row = this.db.prepare('SELECT MAX(version) AS version FROM governance_schema').get() as { version: number | null };
    const current = row.version ?? 0;
    const upgrade = this.db.transaction(() => {
      for (const migration of GOVERNANCE_MIGRATIONS) {
        if (migration.version <= current) continue;
        this.db.exec(migration.sqlite);
        this.db.prepare('INSERT INTO governance_schema (version) VALUES (?)').run(migration.version);
      }
    });
    upgrade();
  }

  async loadEntities(): Promise<StoredEntity[]> {
    const rows = this.db.prepare('SELECT kind, id, document, seed_hash FROM governance_entities').all() as EntityRow[];
    return rows.map((row) => ({ kind: row.kind, id: row.id, document: JSON.parse(row.document) as EntityRecord, seedHash: row.seed_hash ?? undefined }));
  }

  async putEntity(entity: StoredEntity): Promise<void> {
    const statement = this.db.prepare(
      'INSERT INTO governance_entities (kind, id, document, seed_hash, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET document = excluded.document, seed_hash = excluded.seed_hash, updated_at = excluded.updated_at',
    );
    const document = JSON.stringify(entity.document);
    await writeWhenFree(this.db, () => statement.run(entity.kind, entity.id, document, entity.seedHash ?? null, new Date().toISOString()));
  }

  async deleteEntity(kind: EntityKind, id: string): Promise<void> {
    const statement = this.db.prepare('DELETE FROM governance_entities WHERE kind = ? AND id = ?');
    await writeWhenFree(this.db, () => statement.run(kind, id));
  }

  async loadCounters(now: number): Promise<CounterSnapshot[]> {
    const rows = this.db.prepare('SELECT counter, window_end, used, credit, expired, expired_count FROM governance_counters WHERE window_end > ?').all(now) as CounterRow[];
    return rows.map(snapshotOf);
  }

  async loadSpendCounters(): Promise<CounterSnapshot[]> {
    const rows = this.db.prepare("SELECT counter, window_end, used, credit, expired, expired_count FROM governance_counters WHERE counter LIKE '%|usd|%'").all() as CounterRow[];
    return rows.map(snapshotOf);
  }

  async saveCounters(counters: readonly CounterSnapshot[], watermark?: number | null): Promise<void> {
    if (counters.length === 0 && watermark === undefined) return;
    const upsert = this.db.prepare(
      'INSERT INTO governance_counters (counter, window_end, used, credit, expired, expired_count) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (counter) DO UPDATE SET window_end = excluded.window_end, used = excluded.used, credit = excluded.credit, expired = excluded.expired, expired_count = excluded.expired_count',
    );
    const setWatermark = this.db.prepare('INSERT INTO governance_journal (id, watermark) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET watermark = excluded.watermark');
    const clearWatermark = this.db.prepare('DELETE FROM governance_journal');
    const save = this.db.transaction(() => {
      for (const counter of counters) upsert.run(counter.counter, storedWindowEnd(counter.windowEnd), counter.used, counter.credit, counter.expired ?? 0, counter.expiredCount ?? 0);
      if (watermark === null) clearWatermark.run();
      else if (watermark !== undefined) setWatermark.run(watermark);
    });
    await writeWhenFree(this.db, () => save());
  }

  async loadJournalWatermark(): Promise<number | undefined> {
    const row = this.db.prepare('SELECT watermark FROM governance_journal WHERE id = 1').get() as { watermark: number } | undefined;
    return row?.watermark;
  }

  async pruneCounters(now: number): Promise<void> {
    const statement = this.db.prepare("DELETE FROM governance_counters WHERE window_end <= ? AND counter NOT LIKE '%|usd|%'");
    await writeWhenFree(this.db, () => statement.run(now));
  }

  async putAlert(alert: AlertRecord): Promise<void> {
    const statement = this.db.prepare(
      'INSERT INTO governance_alerts (counter, threshold, window_end, fired_at, payload, delivered, attempts) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (counter, threshold) DO UPDATE SET delivered = excluded.delivered, attempts = excluded.attempts',
    );
    const payload = JSON.stringify(alert.payload);
    await writeWhenFree(this.db, () => statement.run(alert.counter, alert.threshold, storedWindowEnd(alert.windowEnd), alert.firedAt, payload, alert.delivered ? 1 : 0, alert.attempts));
  }

  async loadAlerts(now: number): Promise<AlertRecord[]> {
    const rows = this.db.prepare('SELECT counter, threshold, window_end, fired_at, payload, delivered, attempts FROM governance_alerts WHERE window_end > ?').all(now) as AlertRow[];
    return rows.map((row) => ({
      counter: row.counter,
      threshold: row.threshold,
      windowEnd: loadedWindowEnd(row.window_end),
      firedAt: row.fired_at,
      payload: JSON.parse(row.payload) as Record<string, unknown>,
      delivered: row.delivered === 1,
      attempts: row.attempts,
    }));
  }
}
