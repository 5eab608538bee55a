import type pg from 'pg';
import type { EntityKind, EntityRecord } from '../entities.js';
import { refusal, unchanged, UNCHANGED, Unchanged } from './entity-write.js';
import type { CounterSnapshot } from '../spend-store.js';
import { loadedWindowEnd, snapshotOf, storedWindowEnd, type AlertRecord, type EntityChange, type EntityChanges, type EntityWrite, type EntityWriteResult, type GovernanceStore, type StoredEntity } from './governance-store.js';
import { GOVERNANCE_MIGRATIONS } from './migrations.js';
import { inPostgresTransaction } from '../../storage/postgres-transaction.js';

/** The LISTEN/NOTIFY channel told the new revision when an entity write commits. */
export const ENTITY_CHANNEL = 'tollgate_governance_entities';

interface EntityRow {
  kind: EntityKind;
  id: string;
  document: EntityRecord;
  seed_hash: string | null;
  version: string | number;
}

function entityOf(row: EntityRow): StoredEntity {
  return { kind: row.kind, id: row.id, document: row.document, seedHash: row.seed_hash ?? undefined, version: Number(row.version) };
}

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
    await inPostgresTransaction(this.pool, async (client) => {
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
    });
  }

  async loadEntities(): Promise<StoredEntity[]> {
    const { rows } = await this.pool.query<EntityRow>('SELECT kind, id, document, seed_hash, version FROM governance_entities');
    return rows.map(entityOf);
  }

  async revision(): Promise<number> {
    const { rows } = await this.pool.query<{ revision: string }>('SELECT revision FROM governance_revision WHERE id = 1');
    return Number(rows[0]?.revision ?? 0);
  }

  async changesSince(revision: number): Promise<EntityChanges> {
    // One statement: one snapshot, so the head revision and the rows agree.
    const { rows } = await this.pool.query<EntityRow & { change: 'entity' | 'removed' | 'head'; revision: string }>(
      `SELECT 'head' AS change, NULL AS kind, NULL AS id, NULL::jsonb AS document, NULL AS seed_hash, NULL::bigint AS version, revision FROM governance_revision WHERE id = 1
       UNION ALL SELECT 'entity', kind, id, document, seed_hash, version, revision FROM governance_entities WHERE revision > $1
       UNION ALL SELECT 'removed', kind, id, NULL, NULL, NULL, revision FROM governance_removed WHERE revision > $1`,
      [revision],
    );
    const changes: EntityChanges = { revision, entities: [], removed: [] };
    for (const row of rows) {
      if (row.change === 'head') changes.revision = Number(row.revision);
      else if (row.change === 'entity') changes.entities.push(entityOf(row));
      else changes.removed.push({ kind: row.kind, id: row.id });
    }
    return changes;
  }

  putEntity(entity: EntityWrite): Promise<StoredEntity> {
    return this.write(async (client, revision) => {
      const { rows } = await client.query<EntityRow>(
        `INSERT INTO governance_entities (kind, id, document, seed_hash, updated_at, version, revision) VALUES ($1, $2, $3, $4, now(), 1, $5)
         ON CONFLICT (kind, id) DO UPDATE SET document = excluded.document, seed_hash = excluded.seed_hash, updated_at = excluded.updated_at, version = governance_entities.version + 1, revision = excluded.revision
         RETURNING kind, id, document, seed_hash, version`,
        [entity.kind, entity.id, JSON.stringify(entity.document), entity.seedHash ?? null, revision],
      );
      await client.query('DELETE FROM governance_removed WHERE kind = $1 AND id = $2', [entity.kind, entity.id]);
      return entityOf(rows[0]!);
    });
  }

  insertEntity(entity: EntityWrite): Promise<StoredEntity | undefined> {
    return this.write(async (client, revision) => {
      const { rows } = await client.query<EntityRow>(
        'INSERT INTO governance_entities (kind, id, document, seed_hash, updated_at, version, revision) VALUES ($1, $2, $3, $4, now(), 1, $5) ON CONFLICT (kind, id) DO NOTHING RETURNING kind, id, document, seed_hash, version',
        [entity.kind, entity.id, JSON.stringify(entity.document), entity.seedHash ?? null, revision],
      );
      if (rows[0] === undefined) throw UNCHANGED;
      await client.query('DELETE FROM governance_removed WHERE kind = $1 AND id = $2', [entity.kind, entity.id]);
      return entityOf(rows[0]);
    }).catch(unchanged(undefined));
  }

  updateEntity(kind: EntityKind, id: string, expected: number | undefined, change: EntityChange): Promise<EntityWriteResult> {
    return this.write<EntityWriteResult>(async (client, revision) => {
      const { rows } = await client.query<EntityRow>('SELECT kind, id, document, seed_hash, version FROM governance_entities WHERE kind = $1 AND id = $2 FOR UPDATE', [kind, id]);
      const found = refusal(rows[0] === undefined ? undefined : entityOf(rows[0]), expected);
      if (found.status !== 'written') throw new Unchanged(found);
      const next = change(found.entity);
      if (next === undefined) throw new Unchanged(found);
      const updated = await client.query<EntityRow>(
        'UPDATE governance_entities SET document = $3, seed_hash = $4, updated_at = now(), version = version + 1, revision = $5 WHERE kind = $1 AND id = $2 RETURNING kind, id, document, seed_hash, version',
        [kind, id, JSON.stringify(next.document), next.seedHash ?? null, revision],
      );
      return { status: 'written', entity: entityOf(updated.rows[0]!) };
    }).catch(unchanged());
  }

  deleteEntity(kind: EntityKind, id: string, expected?: number): Promise<EntityWriteResult> {
    return this.write<EntityWriteResult>(async (client, revision) => {
      const { rows } = await client.query<EntityRow>('DELETE FROM governance_entities WHERE kind = $1 AND id = $2 AND ($3::bigint IS NULL OR version = $3) RETURNING kind, id, document, seed_hash, version', [kind, id, expected ?? null]);
      if (rows[0] === undefined) {
        const { rows: current } = await client.query<{ version: string }>('SELECT version FROM governance_entities WHERE kind = $1 AND id = $2', [kind, id]);
        throw new Unchanged(current[0] === undefined ? { status: 'missing' } : { status: 'conflict', current: Number(current[0].version) });
      }
      await client.query('INSERT INTO governance_removed (kind, id, revision) VALUES ($1, $2, $3) ON CONFLICT (kind, id) DO UPDATE SET revision = excluded.revision', [kind, id, revision]);
      return { status: 'written', entity: entityOf(rows[0]) };
    }).catch(unchanged());
  }

  /**
   * One entity write: takes the store's next revision first (its row lock orders every entity
   * write, so revisions commit in order and a reader never skips one still in flight), runs
   * `work`, and notifies listeners on commit. Throwing from `work` rolls all of it back.
   */
  private write<T>(work: (client: pg.PoolClient, revision: number) => Promise<T>): Promise<T> {
    return inPostgresTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ revision: string }>('UPDATE governance_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision');
      const revision = Number(rows[0]!.revision);
      const result = await work(client, revision);
      await client.query('SELECT pg_notify($1, $2)', [ENTITY_CHANNEL, String(revision)]);
      return result;
    });
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

  async claimAlert(alert: AlertRecord): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'INSERT INTO governance_alerts (counter, threshold, window_end, fired_at, payload, delivered, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (counter, threshold) DO NOTHING',
      [alert.counter, alert.threshold, storedWindowEnd(alert.windowEnd), alert.firedAt, JSON.stringify(alert.payload), alert.delivered, alert.attempts],
    );
    return rowCount === 1;
  }

  async loadAlerts(now: number): Promise<AlertRecord[]> {
    const { rows } = await this.pool.query<{ counter: string; threshold: number; window_end: string; fired_at: string; payload: Record<string, unknown>; delivered: boolean; attempts: number }>(
      'SELECT counter, threshold, window_end, fired_at, payload, delivered, attempts FROM governance_alerts WHERE window_end > $1',
      [now],
    );
    return rows.map((row) => ({ counter: row.counter, threshold: row.threshold, windowEnd: loadedWindowEnd(Number(row.window_end)), firedAt: row.fired_at, payload: row.payload, delivered: row.delivered, attempts: row.attempts }));
  }
}
