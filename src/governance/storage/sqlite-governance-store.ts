import type Database from 'better-sqlite3';
import type { EntityKind, EntityRecord } from '../entities.js';
import type { CounterSnapshot } from '../spend-store.js';
import { loadedWindowEnd, snapshotOf, storedWindowEnd, type AlertRecord, type EntityChange, type EntityChanges, type EntityWrite, type EntityWriteResult, type GovernanceStore, type StoredEntity } from './governance-store.js';
import { refusal, unchanged, UNCHANGED, Unchanged } from './entity-write.js';
import { GOVERNANCE_MIGRATIONS } from './migrations.js';
import { writeWhenFree } from '../../storage/write-when-free.js';

interface EntityRow {
  kind: EntityKind;
  id: string;
  document: string;
  seed_hash: string | null;
  version: number;
}

function entityOf(row: EntityRow): StoredEntity {
  return { kind: row.kind, id: row.id, document: JSON.parse(row.document) as EntityRecord, seedHash: row.seed_hash ?? undefined, version: row.version };
}

const ENTITY_COLUMNS = 'kind, id, document, seed_hash, version';

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
    // Read and upgrade under the write lock: several processes may open one file together.
    const upgrade = this.db.transaction(() => {
      this.db.exec('CREATE TABLE IF NOT EXISTS governance_schema (version INTEGER NOT NULL)');
      const row = this.db.prepare('SELECT MAX(version) AS version FROM governance_schema').get() as { version: number | null };
      const current = row.version ?? 0;
      for (const migration of GOVERNANCE_MIGRATIONS) {
        if (migration.version <= current) continue;
        this.db.exec(migration.sqlite);
        this.db.prepare('INSERT INTO governance_schema (version) VALUES (?)').run(migration.version);
      }
    });
    await writeWhenFree(this.db, () => upgrade.immediate());
  }

  async loadEntities(): Promise<StoredEntity[]> {
    return (this.db.prepare(`SELECT ${ENTITY_COLUMNS} FROM governance_entities`).all() as EntityRow[]).map(entityOf);
  }

  async revision(): Promise<number> {
    return (this.db.prepare('SELECT revision FROM governance_revision WHERE id = 1').get() as { revision: number } | undefined)?.revision ?? 0;
  }

  async changesSince(revision: number): Promise<EntityChanges> {
    // One read transaction: one snapshot of the WAL, so the head revision and the rows agree.
    const read = this.db.transaction((): EntityChanges => ({
      revision: (this.db.prepare('SELECT revision FROM governance_revision WHERE id = 1').get() as { revision: number }).revision,
      entities: (this.db.prepare(`SELECT ${ENTITY_COLUMNS} FROM governance_entities WHERE revision > ?`).all(revision) as EntityRow[]).map(entityOf),
      removed: this.db.prepare('SELECT kind, id FROM governance_removed WHERE revision > ?').all(revision) as { kind: EntityKind; id: string }[],
    }));
    return read.deferred();
  }

  putEntity(entity: EntityWrite): Promise<StoredEntity> {
    return this.write((revision) => {
      const row = this.db
        .prepare(
          `INSERT INTO governance_entities (kind, id, document, seed_hash, updated_at, version, revision) VALUES (?, ?, ?, ?, ?, 1, ?)
           ON CONFLICT (kind, id) DO UPDATE SET document = excluded.document, seed_hash = excluded.seed_hash, updated_at = excluded.updated_at, version = governance_entities.version + 1, revision = excluded.revision
           RETURNING ${ENTITY_COLUMNS}`,
        )
        .get(entity.kind, entity.id, JSON.stringify(entity.document), entity.seedHash ?? null, new Date().toISOString(), revision) as EntityRow;
      this.db.prepare('DELETE FROM governance_removed WHERE kind = ? AND id = ?').run(entity.kind, entity.id);
      return entityOf(row);
    });
  }

  insertEntity(entity: EntityWrite): Promise<StoredEntity | undefined> {
    return this.write((revision) => {
      const row = this.db
        .prepare(`INSERT INTO governance_entities (kind, id, document, seed_hash, updated_at, version, revision) VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT (kind, id) DO NOTHING RETURNING ${ENTITY_COLUMNS}`)
        .get(entity.kind, entity.id, JSON.stringify(entity.document), entity.seedHash ?? null, new Date().toISOString(), revision) as EntityRow | undefined;
      if (row === undefined) throw UNCHANGED;
      this.db.prepare('DELETE FROM governance_removed WHERE kind = ? AND id = ?').run(entity.kind, entity.id);
      return entityOf(row);
    }).catch(unchanged(undefined));
  }

  updateEntity(kind: EntityKind, id: string, expected: number | undefined, change: EntityChange): Promise<EntityWriteResult> {
    return this.write<EntityWriteResult>((revision) => {
      const row = this.db.prepare(`SELECT ${ENTITY_COLUMNS} FROM governance_entities WHERE kind = ? AND id = ?`).get(kind, id) as EntityRow | undefined;
      const found = refusal(row === undefined ? undefined : entityOf(row), expected);
      if (found.status !== 'written') throw new Unchanged(found);
      const next = change(found.entity);
      if (next === undefined) throw new Unchanged(found);
      const updated = this.db
        .prepare(`UPDATE governance_entities SET document = ?, seed_hash = ?, updated_at = ?, version = version + 1, revision = ? WHERE kind = ? AND id = ? RETURNING ${ENTITY_COLUMNS}`)
        .get(JSON.stringify(next.document), next.seedHash ?? null, new Date().toISOString(), revision, kind, id) as EntityRow;
      return { status: 'written', entity: entityOf(updated) };
    }).catch(unchanged());
  }

  deleteEntity(kind: EntityKind, id: string, expected?: number): Promise<EntityWriteResult> {
    return this.write<EntityWriteResult>((revision) => {
      const row = this.db.prepare(`SELECT ${ENTITY_COLUMNS} FROM governance_entities WHERE kind = ? AND id = ?`).get(kind, id) as EntityRow | undefined;
      const found = refusal(row === undefined ? undefined : entityOf(row), expected);
      if (found.status !== 'written') throw new Unchanged(found);
      this.db.prepare('DELETE FROM governance_entities WHERE kind = ? AND id = ?').run(kind, id);
      this.db.prepare('INSERT INTO governance_removed (kind, id, revision) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET revision = excluded.revision').run(kind, id, revision);
      return found;
    }).catch(unchanged());
  }

  /**
   * One entity write under SQLite's write lock (BEGIN IMMEDIATE, so another process's write
   * between this read and this write is impossible), with the store's next revision. Throwing
   * from `work` rolls it back.
   */
  private write<T>(work: (revision: number) => T): Promise<T> {
    const transaction = this.db.transaction(() => {
      const { revision } = this.db.prepare('UPDATE governance_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision').get() as { revision: number };
      return work(revision);
    });
    return writeWhenFree(this.db, () => transaction.immediate());
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

  async claimAlert(alert: AlertRecord): Promise<boolean> {
    const statement = this.db.prepare(
      'INSERT INTO governance_alerts (counter, threshold, window_end, fired_at, payload, delivered, attempts) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (counter, threshold) DO NOTHING',
    );
    const payload = JSON.stringify(alert.payload);
    const { changes } = await writeWhenFree(this.db, () => statement.run(alert.counter, alert.threshold, storedWindowEnd(alert.windowEnd), alert.firedAt, payload, alert.delivered ? 1 : 0, alert.attempts));
    return changes === 1;
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
