import type pg from 'pg';
import type { EntityKind, EntityRecord } from '../entities.js';
import type { CounterSnapshot } from '../spend-store.js';
import { loadedWindowEnd, snapshotOf, storedWindowEnd, type AlertRecord, type GovernanceStore, type StoredEntity } from './governance-store.js';
import { GOVERNANCE_MIGRATIONS } from './migrations.js';

interface CounterRow {
  counter: string;
  window_end: string;
  used: number;
  credit: number;
  expired: number;
  expired_count: number;
}

/** Governance state in PostgreSQL (for several replicas sharing entities; spend counters are per flush). */
export class PostgresGovernanceStore implements GovernanceStore {
  constructor(private readonly pool: pg.Pool) {}

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    // See postgresDatabase().transaction: a connection lost while checked out must not crash the process.
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      // One migrator at a time across replicas.
      await client.query('SELECT pg_advisory_xact_lock(7432001)');
      await client.query('CREATE TABLE IF NOT EXISTS governance_schema (version INTEGER NOT NULL)');
      const { rows } = await client.query<{ version: number | null }>('SELECT MAX(version) AS version FROM governance_schema');
      const current = rows[0]?.version ?? 0;
      for (const migration of GOVERNANCE_MIGRATIONS) {
        if (migration.version <= current) continue;
        await client.query(migration.postgres);
        await client.query('INSERT INTO governance_schema (version) VALUES ($1)', [migration.version]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.off('error', onError);
      client.release(lost);
    }
  }

  async loadEntities(): Promise<StoredEntity[]> {
    const { rows } = await this.pool.query<{ kind: EntityKind; id: string; document: EntityRecord; seed_hash: string | null }>('SELECT kind, id, document, seed_hash FROM governance_entities');
    return rows.map((row) => ({ kind: row.kind, id: row.id, document: row.document, seedHash: row.seed_hash ?? undefined }));
  }

  async putEntity(entity: StoredEntity): Promise<void> {
    await this.pool.query(
      'INSERT INTO governance_entities (kind, id, document, seed_hash, updated_at) VALUES ($1, $2, $3, $4, now()) ON CONFLICT (kind, id) DO UPDATE SET document = excluded.document, seed_hash = excluded.seed_hash, updated_at = excluded.updated_at',
      [entity.kind, entity.id, JSON.stringify(entity.document), entity.seedHash ?? null],
    );
  }

  async deleteEntity(kind: EntityKind, id: string): Promise<void> {
    await this.pool.query('DELETE FROM governance_entities WHERE kind = $1 AND id = $2', [kind, id]);
  }

  async loadCounters(now: number): Promise<CounterSnapshot[]> {
    const { rows } = await this.pool.query<CounterRow>('SELECT counter, window_end, used, credit, expired, expired_count FROM governance_counters WHERE window_end > $1', [now]);
    return rows.map(snapshotOf);
  }

  async loadSpendCounters(): Promise<CounterSnapshot[]> {
    const { rows } = await this.pool.query<CounterRow>("SELECT counter, window_end, used, credit, expired, expired_count FROM governance_counters WHERE counter LIKE '%|usd|%'");
    return rows.map(snapshotOf);
  }

  async saveCounters(counters: readonly CounterSnapshot[], watermark?: number | null): Promise<void> {
    if (counters.length === 0 && watermark === undefined) return;
    // One statement, so counters and watermark commit together.
    const journal =
      watermark === undefined
        ? 'SELECT 1'
        : watermark === null
          ? 'DELETE FROM governance_journal'
          : 'INSERT INTO governance_journal (id, watermark) VALUES (1, $7) ON CONFLICT (id) DO UPDATE SET watermark = excluded.watermark';
    await this.pool.query(
      `WITH saved AS (
         INSERT INTO governance_counters (counter, window_end, used, credit, expired, expired_count)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::double precision[], $4::double precision[], $5::double precision[], $6::integer[])
         ON CONFLICT (counter) DO UPDATE SET window_end = excluded.window_end, used = excluded.used, credit = excluded.credit, expired = excluded.expired, expired_count = excluded.expired_count
         RETURNING 1
       ) ${journal}`,
      [
        counters.map((counter) => counter.counter),
        counters.map((counter) => storedWindowEnd(counter.windowEnd)),
        counters.map((counter) => counter.used),
        counters.map((counter) => counter.credit),
        counters.map((counter) => counter.expired ?? 0),
        counters.map((counter) => counter.expiredCount ?? 0),
        ...(typeof watermark === 'number' ? [watermark] : []),
      ],
    );
  }

  async loadJournalWatermark(): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ watermark: string }>('SELECT watermark FROM governance_journal WHERE id = 1');
    return rows[0] === undefined ? undefined : Number(rows[0].watermark);
  }

  async pruneCounters(now: number): Promise<void> {
    await this.pool.query("DELETE FROM governance_counters WHERE window_end <= $1 AND counter NOT LIKE '%|usd|%'", [now]);
  }

  async putAlert(alert: AlertRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO governance_alerts (counter, threshold, window_end, fired_at, payload, delivered, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (counter, threshold) DO UPDATE SET delivered = excluded.delivered, attempts = excluded.attempts',
      [alert.counter, alert.threshold, storedWindowEnd(alert.windowEnd), alert.firedAt, JSON.stringify(alert.payload), alert.delivered, alert.attempts],
    );
  }

  async loadAlerts(now: number): Promise<AlertRecord[]> {
    const { rows } = await this.pool.query<{ counter: string; threshold: number; window_end: string; fired_at: string; payload: Record<string, unknown>; delivered: boolean; attempts: number }>(
      'SELECT counter, threshold, window_end, fired_at, payload, delivered, attempts FROM governance_alerts WHERE window_end > $1',
      [now],
    );
    return rows.map((row) => ({ counter: row.counter, threshold: row.threshold, windowEnd: loadedWindowEnd(Number(row.window_end)), firedAt: row.fired_at, payload: row.payload, delivered: row.delivered, attempts: row.attempts }));
  }
}
