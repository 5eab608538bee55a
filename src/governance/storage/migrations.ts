/** Versioned schema changes of the governance tables; each runs once, in order, in a transaction. */
export interface Migration {
  version: number;
  sqlite: string;
  postgres: string;
}

export const GOVERNANCE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sqlite: `
      CREATE TABLE governance_entities (kind TEXT NOT NULL, id TEXT NOT NULL, document TEXT NOT NULL, seed_hash TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (kind, id));
      CREATE TABLE governance_counters (counter TEXT PRIMARY KEY, window_end INTEGER NOT NULL, used REAL NOT NULL, credit REAL NOT NULL);
      CREATE INDEX governance_counters_window_end ON governance_counters (window_end);
      CREATE TABLE governance_alerts (counter TEXT NOT NULL, threshold REAL NOT NULL, window_end INTEGER NOT NULL, fired_at TEXT NOT NULL, payload TEXT NOT NULL, delivered INTEGER NOT NULL, attempts INTEGER NOT NULL, PRIMARY KEY (counter, threshold));
    `,
    postgres: `
      CREATE TABLE governance_entities (kind TEXT NOT NULL, id TEXT NOT NULL, document JSONB NOT NULL, seed_hash TEXT, updated_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (kind, id));
      CREATE TABLE governance_counters (counter TEXT PRIMARY KEY, window_end BIGINT NOT NULL, used DOUBLE PRECISION NOT NULL, credit DOUBLE PRECISION NOT NULL);
      CREATE INDEX governance_counters_window_end ON governance_counters (window_end);
      CREATE TABLE governance_alerts (counter TEXT NOT NULL, threshold DOUBLE PRECISION NOT NULL, window_end BIGINT NOT NULL, fired_at TEXT NOT NULL, payload JSONB NOT NULL, delivered BOOLEAN NOT NULL, attempts INTEGER NOT NULL, PRIMARY KEY (counter, threshold));
    `,
  },
  {
    // Which request log records the stored counters already include (see GovernanceService.flush): one row, or none.
    version: 2,
    sqlite: 'CREATE TABLE governance_journal (id INTEGER PRIMARY KEY CHECK (id = 1), watermark INTEGER NOT NULL);',
    postgres: 'CREATE TABLE governance_journal (id INTEGER PRIMARY KEY CHECK (id = 1), watermark BIGINT NOT NULL);',
  },
  {
    // Entity versions (conditional admin writes) and one revision counter for the whole store, bumped
    // by every entity write or delete (replicas poll it and read what changed after the revision they
    // saw); deleted entities leave their revision in governance_removed.
    version: 3,
    sqlite: `
      ALTER TABLE governance_entities ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE governance_entities ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
      CREATE INDEX governance_entities_revision ON governance_entities (revision);
      CREATE TABLE governance_removed (kind TEXT NOT NULL, id TEXT NOT NULL, revision INTEGER NOT NULL, PRIMARY KEY (kind, id));
      CREATE INDEX governance_removed_revision ON governance_removed (revision);
      CREATE TABLE governance_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
      INSERT INTO governance_revision (id, revision) VALUES (1, 1);
    `,
    postgres: `
      ALTER TABLE governance_entities ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
      ALTER TABLE governance_entities ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
      CREATE INDEX governance_entities_revision ON governance_entities (revision);
      CREATE TABLE governance_removed (kind TEXT NOT NULL, id TEXT NOT NULL, revision BIGINT NOT NULL, PRIMARY KEY (kind, id));
      CREATE INDEX governance_removed_revision ON governance_removed (revision);
      CREATE TABLE governance_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision BIGINT NOT NULL);
      INSERT INTO governance_revision (id, revision) VALUES (1, 1);
    `,
  },
  {
    // The ledger counts USD in whole nano-USD (usd-units.ts): stored USD counters are converted, and
    // each counter keeps what expired reservations charged it (reconciliation tells that apart).
    version: 4,
    sqlite: `
      ALTER TABLE governance_counters ADD COLUMN expired REAL NOT NULL DEFAULT 0;
      ALTER TABLE governance_counters ADD COLUMN expired_count INTEGER NOT NULL DEFAULT 0;
      UPDATE governance_counters SET used = ROUND(used * 1000000000), credit = ROUND(credit * 1000000000) WHERE counter LIKE '%|usd|%';
    `,
    postgres: `
      ALTER TABLE governance_counters ADD COLUMN IF NOT EXISTS expired DOUBLE PRECISION NOT NULL DEFAULT 0;
      ALTER TABLE governance_counters ADD COLUMN IF NOT EXISTS expired_count INTEGER NOT NULL DEFAULT 0;
      UPDATE governance_counters SET used = ROUND(used * 1000000000), credit = ROUND(credit * 1000000000) WHERE counter LIKE '%|usd|%';
    `,
  },
];
